package org.esp4j.benchmarks;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.util.Arrays;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * One side of an SA pair, as a UE or P-CSCF runs it: clock, counters, SAD, (empty) SPD and one {@link EspProcessor},
 * plus the test packet and the helpers the benchmarks share.
 * <p>
 * The packet is IPv6/UDP from the UE {@code [2001::1:d1ae:bb37:d9c9:81d0]:38003} to the P-CSCF
 * {@code [2001:0:0:1::2]:50718}, the shape of SIP over a protected port pair, with a valid UDP checksum.
 */
public final class EspFixture
{
    /** SPI of the benchmarked SA. */
    public static final long SPI = 2821032177L;
    public static final String UE = "2001::1:d1ae:bb37:d9c9:81d0";
    public static final String PCSCF = "2001:0:0:1::2";
    public static final int SOURCE_PORT = 38003;
    public static final int DESTINATION_PORT = 50718;
    /** Where packets start in the buffers: exactly the headroom {@link EspProcessor} needs. */
    public static final int OFFSET = EspProcessor.MAX_HEADROOM;

    public final CachedNanoClock clock = new CachedNanoClock();
    public final XfrmCounters counters = XfrmCounters.inMemory();
    public final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, null);
    public final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    public final EspProcessor processor = new EspProcessor(sad, spd, counters, clock);
    public final SecurityAssociation sa;

    /**
     * @param suite            algorithms.
     * @param replayWindowSize 0 turns anti-replay off.
     */
    public EspFixture(final EspSuite suite, final int replayWindowSize)
    {
        clock.update(1_000_000_000L);
        sa = sad.add(SaConfig.builder()
            .source(address(UE))
            .destination(address(PCSCF))
            .spi(SPI)
            .replayWindowSize(replayWindowSize)
            .integrity(suite.integrity(), suite.integrityKey())
            .encryption(suite.encryption(), suite.encryptionKey())
            .build());
    }

    /**
     * @param udpPayloadLength UDP payload bytes.
     * @return an IPv6/UDP packet UE to P-CSCF.
     */
    public static byte[] ipv6UdpPacket(final int udpPayloadLength)
    {
        final int udpLength = UdpHeader.LENGTH + udpPayloadLength;
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[Ipv6Header.LENGTH + udpLength]);
        Ipv6Header.write(packet, 0, 0, udpLength, IpProtocol.UDP, 64);
        packet.putBytes(Ipv6Header.SOURCE_OFFSET, address(UE).getAddress());
        packet.putBytes(Ipv6Header.DESTINATION_OFFSET, address(PCSCF).getAddress());
        UdpHeader.write(packet, Ipv6Header.LENGTH, SOURCE_PORT, DESTINATION_PORT, udpLength);
        packet.putBytes(Ipv6Header.LENGTH + UdpHeader.LENGTH, pattern(udpPayloadLength, 0x20));
        UdpHeader.updateIpv6Checksum(packet, 0, Ipv6Header.LENGTH, udpLength);
        return packet.byteArray();
    }

    /**
     * @param packetLength largest packet the buffer will hold before protection.
     * @return a heap buffer with {@link EspProcessor#MAX_HEADROOM} in front and {@link EspProcessor#MAX_TAILROOM}
     *         behind room for the packet.
     */
    public static UnsafeBuffer packetBuffer(final int packetLength)
    {
        return new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + packetLength + EspProcessor.MAX_TAILROOM]);
    }

    /**
     * Protect a copy of a plaintext packet once, outside the measurement.
     *
     * @param plaintext the IP packet.
     * @return the ESP packet.
     */
    public byte[] protectOnce(final byte[] plaintext)
    {
        final UnsafeBuffer buffer = packetBuffer(plaintext.length);
        buffer.putBytes(OFFSET, plaintext);
        final int verdict = processor.protect(sa, buffer, OFFSET, plaintext.length);
        check(verdict == EspVerdict.DELIVER, "protect failed: " + processor.dropReason());
        final byte[] esp = new byte[processor.resultLength()];
        buffer.getBytes(processor.resultOffset(), esp);
        return esp;
    }

    /**
     * @param suite     the SA's algorithms.
     * @return a JDK {@link Mac} keyed like the SA.
     */
    public static Mac jdkMac(final EspSuite suite)
    {
        try
        {
            final Mac mac = Mac.getInstance(suite.jdkMacName());
            mac.init(new SecretKeySpec(suite.integrityKey(), suite.jdkMacName()));
            return mac;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Check that the JDK {@link Mac} reproduces the ICV of an esp4j ESP packet over the given range, which proves
     * the baseline authenticates exactly the bytes esp4j does.
     *
     * @param mac          the baseline MAC.
     * @param esp          an ESP packet from esp4j (IPv6 header first).
     * @param authLength   bytes from the SPI to the ICV.
     * @param icvLength    truncated ICV bytes.
     */
    public static void checkBaselineIcv(final Mac mac, final byte[] esp, final int authLength, final int icvLength)
    {
        mac.update(esp, Ipv6Header.LENGTH, authLength);
        final byte[] full = mac.doFinal();
        final int icvOffset = Ipv6Header.LENGTH + authLength;
        check(Arrays.equals(full, 0, icvLength, esp, icvOffset, icvOffset + icvLength),
            "JDK " + mac.getAlgorithm() + " does not reproduce the esp4j ICV: baseline would MAC other bytes");
    }

    /**
     * @param esp         an ESP packet behind a 40-byte IPv6 header.
     * @param icvLength   its ICV length.
     * @return the ICV-covered length: SPI, sequence number, IV, payload, padding, pad length and next header.
     */
    public static int authenticatedLength(final byte[] esp, final int icvLength)
    {
        return esp.length - Ipv6Header.LENGTH - icvLength;
    }

    /**
     * Fail the trial if any packet was dropped: a benchmark that drops measures the drop path, not the packet path.
     *
     * @param expectedSuccess the success counter that must have moved.
     */
    public void checkNoDrops(final XfrmCounter expectedSuccess)
    {
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            check(counter.isSuccess() || counters.get(counter) == 0,
                counter + " = " + counters.get(counter) + ": the benchmark dropped packets");
        }
        check(counters.get(expectedSuccess) > 0, expectedSuccess + " did not move");
    }

    static byte[] pattern(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i * 7);
        }
        return bytes;
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

    static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalStateException(message);
        }
    }
}
