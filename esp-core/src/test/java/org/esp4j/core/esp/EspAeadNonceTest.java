package org.esp4j.core.esp;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashSet;
import java.util.Set;

import static org.esp4j.core.esp.EspHarness.config;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 item 4: an AES-GCM (RFC 4106) or AES-GMAC (RFC 4543) key never meets the same IV twice, across "runs" (two
 * SADs with the same preloaded key, as a daemon restart) and across {@code state del} + {@code add} with the same key,
 * although the sequence numbers start again at 1 each time; a peer that never restarts decrypts every packet with
 * the IV it reads from the wire.
 */
class EspAeadNonceTest
{
    private static final long SPI = 0xC000_0042L;
    private static final int PACKETS = 2_000;
    private static final int IV_OFFSET = 20 + 8; // IPv4 header, SPI and sequence number

    @ParameterizedTest
    @EnumSource(value = EncryptionAlgorithm.class, names = { "AES_GCM_16", "AES_GMAC" })
    void shouldNeverRepeatAnIvUnderOneKeyAcrossRunsAndReAdds(final EncryptionAlgorithm algorithm)
    {
        final SaConfig.Builder config = config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.NONE, algorithm);
        final Host peer = new Host();
        peer.sad.add(config.replayWindowSize(0).build()); // takes sequence numbers again after each restart
        final Set<Long> ivs = new HashSet<>();
        long sent = 0;
        for (int run = 0; run < 2; run++)
        {
            final Host host = new Host(); // a new daemon run, same preloaded key
            for (int add = 0; add < 2; add++)
            {
                final SecurityAssociation sa = host.sad.add(config.replayWindowSize(64).build());
                for (int i = 0; i < PACKETS; i++)
                {
                    final byte[] packet = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(1, 2, payload(24, i)));
                    final EspHarness.Outcome out = EspHarness.protect(host.processor, sa, packet);
                    assertEquals(EspVerdict.DELIVER, out.verdict());
                    assertEquals(i + 1, EspHarness.u32(out.bytes(), 24), "the sequence starts again at 1");
                    final long iv = ((long)EspHarness.u32(out.bytes(), IV_OFFSET) << 32) |
                        EspHarness.u32(out.bytes(), IV_OFFSET + 4);
                    assertTrue(ivs.add(iv), () -> "IV repeated under one key: " + Long.toHexString(iv));
                    final EspHarness.Outcome in = EspHarness.inbound(peer.processor, out.bytes());
                    assertEquals(EspVerdict.DELIVER, in.verdict(), () -> "peer dropped: " + in.reason());
                    assertEquals(Hex.encode(packet), Hex.encode(in.bytes()));
                    sent++;
                }
                host.sad.delete(sa); // state del, then add with the same key
            }
        }
        assertEquals(4L * PACKETS, sent);
        assertEquals(sent, ivs.size());
    }

    private static final class Host
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final XfrmCounters counters = XfrmCounters.inMemory();
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, null);
        final EspProcessor processor = new EspProcessor(sad, new SecurityPolicyDatabase(), counters, clock);
    }
}
