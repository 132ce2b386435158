package org.esp4j.core.esp;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.testutil.EspVector;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Shared set-up for packet-path tests: a SAD/SPD/processor on a fake clock and SA configs from vectors.
 */
final class EspTestSupport
{
    static final int HEADROOM = EspProcessor.MAX_HEADROOM;

    final CachedNanoClock clock = new CachedNanoClock();
    final XfrmCounters counters = XfrmCounters.inMemory();
    final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, null);
    final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    final EspProcessor processor = new EspProcessor(sad, spd, counters, clock);

    EspTestSupport()
    {
        clock.update(1_000_000_000L);
    }

    static IntegrityAlgorithm integrity(final String vectorName)
    {
        switch (vectorName)
        {
            case "HMAC-MD5-96": return IntegrityAlgorithm.HMAC_MD5_96;
            case "HMAC-SHA1-96": return IntegrityAlgorithm.HMAC_SHA1_96;
            default: throw new IllegalArgumentException(vectorName);
        }
    }

    static EncryptionAlgorithm encryption(final String vectorName)
    {
        switch (vectorName)
        {
            case "NULL": return EncryptionAlgorithm.NULL;
            case "AES-CBC": return EncryptionAlgorithm.AES_CBC;
            default: throw new IllegalArgumentException(vectorName);
        }
    }

    static SaConfig saConfig(final EspVector vector, final long spi)
    {
        final SaConfig.Builder builder = SaConfig.builder()
            .source(address(vector.src()))
            .destination(address(vector.dst()))
            .spi(spi)
            .replayWindowSize(64)
            .integrity(integrity(vector.authAlg()), vector.authKey())
            .encryption(encryption(vector.cryptAlg()), vector.cryptKey());
        if ("udp4500".equals(vector.encap()))
        {
            builder.encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500);
        }
        return builder.build();
    }

    static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    /** @return a buffer with the packet at {@link #HEADROOM} and room behind it. */
    static UnsafeBuffer packetBuffer(final byte[] packet)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[HEADROOM + packet.length + EspProcessor.MAX_TAILROOM]);
        buffer.putBytes(HEADROOM, packet);
        return buffer;
    }

    static byte[] result(final UnsafeBuffer buffer, final EspProcessor processor)
    {
        final byte[] bytes = new byte[processor.resultLength()];
        buffer.getBytes(processor.resultOffset(), bytes);
        return bytes;
    }
}
