package org.esp4j.core.esp;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import static org.esp4j.core.esp.EspHarness.config;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A packet whose SA is deleted while it is in flight (after the lookup, during the crypto) is neither sent nor
 * delivered, is counted under {@code XfrmOutStateInvalid} / {@code XfrmInStateInvalid}, and the keys it is being
 * processed with stay intact until the processor leaves its call.
 */
class EspSaDeletionTest
{
    private static final long SPI = 0x7000_0001L;
    private static final byte[] PACKET = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(1000, 2000, payload(40, 3)));

    @Test
    void shouldDropAndCountAPacketWhoseSaIsDeletedDuringProtection()
    {
        final EspHarness h = new EspHarness();
        final SaConfig config = cbcConfig();
        final SecurityAssociation sa = h.sad.add(config);
        final AtomicReference<String> keyDuringCrypto = new AtomicReference<>();
        // the CBC IV is drawn inside the crypto: delete the SA there, as a control thread could
        sa.ivSource((sequence, array, offset, length) ->
        {
            h.sad.delete(sa);
            keyDuringCrypto.set(Hex.encode(config.encryptionKey()));
            Arrays.fill(array, offset, offset + length, (byte)0x5A);
        });
        final var before = h.snapshot();

        final EspHarness.Outcome out = h.protect(sa, PACKET);

        assertEquals(EspVerdict.DROP, out.verdict());
        assertEquals(XfrmCounter.XfrmOutStateInvalid, out.reason());
        h.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutStateInvalid);
        assertFalse(keyDuringCrypto.get().matches("0+"), "keys are not wiped under a packet in flight");
        assertEquals(0, h.sad.reclaim(), "reclaimed once the processor left its call");
        assertTrue(Hex.encode(config.encryptionKey()).matches("0+"));
        assertEquals(XfrmCounter.XfrmOutStateInvalid, h.protect(sa, PACKET).reason(), "a stale SA is not used");
        assertNull(sa.transform(), "and gets no transform");
    }

    @Test
    void shouldKeepADeletedSasKeysUntilTheBatchThatMayHoldItEnds()
    {
        final EspHarness h = new EspHarness();
        final SaConfig config = cbcConfig();
        final SecurityAssociation sa = h.sad.add(config);
        h.processor.beginBatch();
        assertEquals(EspVerdict.DELIVER, h.protect(sa, PACKET).verdict());
        h.sad.delete(sa);
        assertEquals(XfrmCounter.XfrmOutStateInvalid, h.protect(sa, PACKET).reason(), "deleted: not used again");
        assertEquals(1, h.sad.reclaim(), "still in limbo inside the batch");
        assertFalse(Hex.encode(config.integrityKey()).matches("0+"));
        h.processor.endBatch();
        assertEquals(0, h.sad.reclaim());
        assertTrue(Hex.encode(config.integrityKey()).matches("0+"));
    }

    @Test
    void shouldDropAndCountAPacketWhoseSaIsDeletedBeforeDelivery()
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final XfrmCounters senderCounters = XfrmCounters.inMemory();
        final SecurityAssociationDatabase senderSad = new SecurityAssociationDatabase(senderCounters, clock, null);
        final XfrmCounters counters = XfrmCounters.inMemory();
        final AtomicReference<SecurityAssociationDatabase> receiverSad = new AtomicReference<>();
        // the SA's first packet crosses its soft limit; the listener deletes the SA, as a rekeying SIP bridge might,
        // while the packet is between decryption and delivery
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, (type, sa) ->
        {
            if (type == SaEventType.SOFT_EXPIRED)
            {
                receiverSad.get().delete(sa);
            }
        });
        receiverSad.set(sad);
        final SaConfig.Builder config = config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.NONE,
            EncryptionAlgorithm.AES_GCM_16);
        final SecurityAssociation sender = senderSad.add(config.build());
        sad.add(config.lifetime(SaLifetimeConfig.builder().packetsSoftLimit(1).build()).build());
        final EspProcessor senderProcessor = new EspProcessor(senderSad, new SecurityPolicyDatabase(), senderCounters,
            clock);
        final EspProcessor processor = new EspProcessor(sad, new SecurityPolicyDatabase(), counters, clock);

        final EspHarness.Outcome protectedPacket = EspHarness.protect(senderProcessor, sender, PACKET);
        assertEquals(EspVerdict.DELIVER, protectedPacket.verdict());
        final EspHarness.Outcome in = EspHarness.inbound(processor, protectedPacket.bytes());

        assertEquals(EspVerdict.DROP, in.verdict());
        assertEquals(XfrmCounter.XfrmInStateInvalid, in.reason());
        assertEquals(1, counters.get(XfrmCounter.XfrmInStateInvalid));
        assertEquals(0, counters.get(XfrmCounter.Esp4jInDelivered));
        assertEquals(0, sad.reclaim());
        processor.close();
        senderProcessor.close();
    }

    private static SaConfig cbcConfig()
    {
        return config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC).build();
    }
}
