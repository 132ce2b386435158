package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.sa.SaState;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.u32;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Extended sequence numbers across 2^32 (RFC 4303 §2.2.1, Appendix A), sequence overflow without ESN (§3.3.3), and
 * the soft/hard lifetimes (packets, bytes, time since add, time since first use) on the fake clock.
 */
class EspSequenceAndLifetimeTest
{
    private static final long SPI = 0x4000L;

    private final EspHarness sender = new EspHarness();
    private final EspHarness receiver = new EspHarness();

    private static SaConfig.Builder aes()
    {
        return EspHarness.config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC);
    }

    private static byte[] packet(final int length)
    {
        // 100 bytes of IPv4 payload when length is 92
        return ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 5060, payload(length, length)));
    }

    // ---------------------------------------------------------------- ESN

    @Test
    void shouldCarryLowBitsOnTheWireAndLetTheReceiverInferHighBitsAcross2To32()
    {
        final SaConfig config = aes().esn(true).build();
        final SecurityAssociation out = sender.sad.add(config);
        final SecurityAssociation in = receiver.sad.add(config);
        out.nextOutboundSequence(0xFFFF_FFFFL - 2);
        final long[] wire = { 0xFFFF_FFFDL, 0xFFFF_FFFEL, 0xFFFF_FFFFL, 0, 1, 2 };
        for (int i = 0; i < wire.length; i++)
        {
            final byte[] plain = packet(20 + i);
            final EspHarness.Outcome esp = sender.protect(out, plain);
            assertEquals(EspVerdict.DELIVER, esp.verdict(), "protect " + i + " " + esp.reason());
            assertEquals(wire[i], u32(esp.bytes(), 24), "wire sequence " + i);
            final EspHarness.Outcome back = receiver.inbound(esp.bytes());
            assertEquals("deliver", EspVerdict.name(back.verdict()), i + " " + back.reason());
            assertEquals(Hex.encode(plain), Hex.encode(back.bytes()));
            assertEquals(0xFFFF_FFFDL + i, receiver.processor.lastSequence(), "inferred sequence " + i);
        }
        assertEquals(0x1_0000_0002L, in.replayHighestSequence());
        assertEquals(SaState.VALID, out.state());
    }

    @Test
    void shouldCoverTheHighBitsWithTheIcv()
    {
        final SaConfig config = aes().esn(true).build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config.toBuilder().esn(false).build());
        out.nextOutboundSequence(0x1_0000_0005L);
        final byte[] esp = sender.protect(out, packet(30)).bytes();
        assertEquals(5, u32(esp, 24));
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final EspHarness.Outcome back = receiver.inbound(esp);
        assertEquals(XfrmCounter.XfrmInStateProtoError, back.reason(),
            "a receiver that does not add the high bits (1) to the ICV input must fail the ICV");
        receiver.assertOnlyMovedByOne(before, XfrmCounter.XfrmInStateProtoError);
    }

    @Test
    void shouldRejectPacketWhoseHighBitsTheReceiverInfersDifferently()
    {
        final SaConfig config = aes().esn(true).build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config);
        out.nextOutboundSequence(0x2_0000_0005L); // receiver at 0 infers high bits 0 for wire 5
        final EspHarness.Outcome back = receiver.inbound(sender.protect(out, packet(30)).bytes());
        assertEquals(XfrmCounter.XfrmInStateProtoError, back.reason());
    }

    @Test
    void shouldSendTheLastSequenceNumberThenRefuseWithoutEsn()
    {
        final SecurityAssociation out = sender.sad.add(aes().build());
        final SecurityAssociation in = receiver.sad.add(aes().build());
        out.nextOutboundSequence(0xFFFF_FFFFL);
        final EspHarness.Outcome last = sender.protect(out, packet(10));
        assertEquals(EspVerdict.DELIVER, last.verdict());
        assertEquals(0xFFFF_FFFFL, u32(last.bytes(), 24));
        assertEquals(EspVerdict.DELIVER, receiver.inbound(last.bytes()).verdict());
        assertEquals(0xFFFF_FFFFL, in.replayHighestSequence());

        final Map<XfrmCounter, Long> before = sender.snapshot();
        final EspHarness.Outcome refused = sender.protect(out, packet(10));
        assertEquals(EspVerdict.DROP, refused.verdict());
        sender.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutStateSeqError);
        assertEquals(SaState.EXPIRED, out.state());
        assertEquals(1, sender.eventCount(SaEventType.SEQUENCE_OVERFLOW));

        for (int i = 0; i < 3; i++)
        {
            assertEquals(EspVerdict.DROP, sender.protect(out, packet(10)).verdict());
        }
        assertEquals(1, sender.eventCount(SaEventType.SEQUENCE_OVERFLOW), "overflow raised once");
        assertEquals(1, out.counters().packets());
    }

    // ---------------------------------------------------------------- packet and byte limits

    @Test
    void shouldSoftExpireOnceAtThePacketLimitAndKeepWorkingUntilTheHardLimit()
    {
        final SecurityAssociation sa = sender.sad.add(aes()
            .lifetime(SaLifetimeConfig.builder().packetsSoftLimit(3).packetsHardLimit(5).build()).build());
        for (int i = 1; i <= 5; i++)
        {
            assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict(), "packet " + i);
            assertEquals(i < 3 ? SaState.VALID : SaState.DYING, sa.state(), "after packet " + i);
            assertEquals(i < 3 ? 0 : 1, sender.eventCount(SaEventType.SOFT_EXPIRED), "after packet " + i);
        }
        assertEquals(0, sender.eventCount(SaEventType.HARD_EXPIRED));
        final Map<XfrmCounter, Long> before = sender.snapshot();
        final EspHarness.Outcome sixth = sender.protect(sa, packet(10));
        assertEquals(EspVerdict.DROP, sixth.verdict());
        sender.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutStateExpired);
        assertEquals(SaState.EXPIRED, sa.state());
        assertEquals(1, sender.eventCount(SaEventType.HARD_EXPIRED));
        sender.protect(sa, packet(10));
        assertEquals(1, sender.eventCount(SaEventType.HARD_EXPIRED), "hard expiry raised once");
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED), "soft expiry raised once");
        assertEquals(5, sa.counters().packets());
    }

    @Test
    void shouldExpireOnTheByteLimits()
    {
        // each packet carries 100 bytes of IP payload (UDP header + 92)
        final SecurityAssociation sa = sender.sad.add(aes()
            .lifetime(SaLifetimeConfig.builder().bytesSoftLimit(250).bytesHardLimit(500).build()).build());
        for (int i = 1; i <= 5; i++)
        {
            assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(92)).verdict(), "packet " + i);
            assertEquals(i * 100L, sa.counters().bytes());
            assertEquals(i < 3 ? SaState.VALID : SaState.DYING, sa.state(), "after packet " + i);
        }
        final EspHarness.Outcome sixth = sender.protect(sa, packet(92));
        assertEquals(XfrmCounter.XfrmOutStateExpired, sixth.reason());
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED));
        assertEquals(1, sender.eventCount(SaEventType.HARD_EXPIRED));
    }

    @Test
    void shouldDropInboundPacketAfterTheHardPacketLimit()
    {
        final SaConfig config = aes().lifetime(SaLifetimeConfig.builder().packetsHardLimit(2).build()).build();
        final SecurityAssociation out = sender.sad.add(aes().build());
        final SecurityAssociation in = receiver.sad.add(config);
        assertEquals(EspVerdict.DELIVER, receiver.inbound(sender.protect(out, packet(10)).bytes()).verdict());
        assertEquals(EspVerdict.DELIVER, receiver.inbound(sender.protect(out, packet(10)).bytes()).verdict());
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final EspHarness.Outcome third = receiver.inbound(sender.protect(out, packet(10)).bytes());
        assertEquals(EspVerdict.DROP, third.verdict());
        receiver.assertOnlyMovedByOne(before, XfrmCounter.XfrmInStateExpired);
        assertEquals(SaState.EXPIRED, in.state());
        assertEquals(1, receiver.eventCount(SaEventType.HARD_EXPIRED));
        receiver.inbound(sender.protect(out, packet(10)).bytes());
        assertEquals(1, receiver.eventCount(SaEventType.HARD_EXPIRED));
    }

    // ---------------------------------------------------------------- time limits

    @Test
    void shouldExpireByTimeSinceAdd()
    {
        final SecurityAssociation sa = sender.sad.add(aes().lifetime(SaLifetimeConfig.builder()
            .softAddExpiresNs(5_000_000_000L).hardAddExpiresNs(10_000_000_000L).build()).build());
        sender.advanceSeconds(4);
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict());
        assertEquals(SaState.VALID, sa.state());
        sender.advanceSeconds(2);
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict());
        assertEquals(SaState.DYING, sa.state());
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED));
        sender.advanceSeconds(4); // exactly 10 s after add
        final EspHarness.Outcome late = sender.protect(sa, packet(10));
        assertEquals(XfrmCounter.XfrmOutStateExpired, late.reason());
        assertEquals(SaState.EXPIRED, sa.state());
        assertEquals(1, sender.eventCount(SaEventType.HARD_EXPIRED));
    }

    @Test
    void shouldExpireByTimeSinceFirstUseCountingFromTheFirstPacketNotTheAdd()
    {
        final SecurityAssociation sa = sender.sad.add(aes().lifetime(SaLifetimeConfig.builder()
            .softUseExpiresNs(5_000_000_000L).hardUseExpiresNs(10_000_000_000L).build()).build());
        sender.advanceSeconds(100);
        assertEquals(-1, sa.firstUseNs());
        sender.sad.poll();
        assertEquals(SaState.VALID, sa.state(), "an unused SA does not age by use time");
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict());
        assertEquals(sender.clock.nanoTime(), sa.firstUseNs());
        sender.advanceSeconds(4);
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict());
        assertEquals(SaState.VALID, sa.state());
        sender.advanceSeconds(2);
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict());
        assertEquals(SaState.DYING, sa.state());
        sender.advanceSeconds(5);
        assertEquals(XfrmCounter.XfrmOutStateExpired, sender.protect(sa, packet(10)).reason());
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED));
        assertEquals(1, sender.eventCount(SaEventType.HARD_EXPIRED));
    }

    @Test
    void shouldExpireIdleSasByTimeWhenPolled()
    {
        final SecurityAssociation idle = sender.sad.add(aes().lifetime(SaLifetimeConfig.builder()
            .softAddExpiresNs(5_000_000_000L).hardAddExpiresNs(10_000_000_000L).build()).build());
        final SecurityAssociation forever = sender.sad.add(aes().spi(SPI + 1).build());
        final SecurityAssociation used = sender.sad.add(aes().spi(SPI + 2).lifetime(SaLifetimeConfig.builder()
            .hardUseExpiresNs(3_000_000_000L).build()).build());
        sender.protect(used, packet(1));

        sender.advanceSeconds(2);
        assertEquals(3, sender.sad.poll());
        assertEquals(SaState.VALID, idle.state());
        sender.advanceSeconds(1);
        sender.sad.poll();
        assertEquals(SaState.EXPIRED, used.state(), "3 s after first use");
        sender.advanceSeconds(3);
        sender.sad.poll();
        assertEquals(SaState.DYING, idle.state());
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED));
        sender.advanceSeconds(4);
        sender.sad.poll();
        sender.sad.poll();
        assertEquals(SaState.EXPIRED, idle.state());
        assertEquals(SaState.VALID, forever.state());
        assertEquals(2, sender.eventCount(SaEventType.HARD_EXPIRED), "idle and used, once each");
        assertEquals(XfrmCounter.XfrmOutStateExpired, sender.protect(idle, packet(1)).reason());
    }

    @Test
    void shouldTreatZeroLimitsAsInfinite()
    {
        final SecurityAssociation sa = sender.sad.add(aes().lifetime(SaLifetimeConfig.builder()
            .packetsHardLimit(0).bytesHardLimit(0).hardAddExpiresNs(0).build()).build());
        sender.advanceSeconds(1_000_000);
        sender.sad.poll();
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(1)).verdict());
        assertEquals(SaState.VALID, sa.state());
    }

    // ---------------------------------------------------------------- lifetime update

    @Test
    void shouldStayDyingWhenAnUpdatedLifetimeStillHasTheSoftLimitReached()
    {
        // SecurityAssociation.updateLifetime: "a dying SA whose new soft limits are not reached becomes valid again"
        final SecurityAssociation sa = sender.sad.add(aes()
            .lifetime(SaLifetimeConfig.builder().packetsSoftLimit(2).build()).build());
        sender.protect(sa, packet(10));
        sender.protect(sa, packet(10));
        assertEquals(SaState.DYING, sa.state());
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED));

        sa.updateLifetime(SaLifetimeConfig.builder().packetsSoftLimit(2).packetsHardLimit(100).build(), sender.clock.nanoTime());
        assertEquals(SaState.DYING, sa.state(), "2 packets already reach the new soft limit of 2");
        sender.protect(sa, packet(10));
        assertEquals(1, sender.eventCount(SaEventType.SOFT_EXPIRED), "no second soft expiry for one limit");
    }

    @Test
    void shouldBecomeValidAgainWhenAnUpdatedLifetimeRaisesTheSoftLimit()
    {
        final SecurityAssociation sa = sender.sad.add(aes()
            .lifetime(SaLifetimeConfig.builder().packetsSoftLimit(2).packetsHardLimit(3).build()).build());
        sender.protect(sa, packet(10));
        sender.protect(sa, packet(10));
        assertEquals(SaState.DYING, sa.state());
        sa.updateLifetime(SaLifetimeConfig.builder().packetsSoftLimit(10).packetsHardLimit(20).build(), sender.clock.nanoTime());
        assertEquals(SaState.VALID, sa.state());
        for (int i = 3; i <= 9; i++)
        {
            assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict(), "packet " + i);
        }
        assertEquals(SaState.VALID, sa.state());
        sender.protect(sa, packet(10));
        assertEquals(SaState.DYING, sa.state());
        assertEquals(2, sender.eventCount(SaEventType.SOFT_EXPIRED), "once per soft limit reached");
    }

    @Test
    void shouldKeepAnExpiredSaExpiredWhenItsLifetimeIsUpdated()
    {
        final SecurityAssociation sa = sender.sad.add(aes()
            .lifetime(SaLifetimeConfig.builder().packetsHardLimit(1).build()).build());
        sender.protect(sa, packet(10));
        assertEquals(XfrmCounter.XfrmOutStateExpired, sender.protect(sa, packet(10)).reason());
        sa.updateLifetime(SaLifetimeConfig.UNLIMITED, sender.clock.nanoTime());
        assertEquals(SaState.EXPIRED, sa.state());
        assertEquals(XfrmCounter.XfrmOutStateExpired, sender.protect(sa, packet(10)).reason());
    }

    @Test
    void shouldExtendTheTimeSinceAddWhenTheLifetimeIsUpdated()
    {
        final SecurityAssociation sa = sender.sad.add(aes().lifetime(SaLifetimeConfig.builder()
            .hardAddExpiresNs(10_000_000_000L).build()).build());
        sender.advanceSeconds(8);
        sa.updateLifetime(SaLifetimeConfig.builder().hardAddExpiresNs(20_000_000_000L).build(), sender.clock.nanoTime());
        sender.advanceSeconds(4);
        assertEquals(EspVerdict.DELIVER, sender.protect(sa, packet(10)).verdict());
        sender.advanceSeconds(8);
        assertEquals(XfrmCounter.XfrmOutStateExpired, sender.protect(sa, packet(10)).reason());
    }

    // ---------------------------------------------------------------- SAD update of a live SA

    @Test
    void shouldNotAcceptReplaysAfterTheInboundSaIsUpdated()
    {
        // ip xfrm state update changes a live SA (lifetimes, encap); with the same keys, packets already received
        // must stay replays.
        final SaConfig config = aes().build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config);
        final byte[][] packets = new byte[5][];
        for (int i = 0; i < packets.length; i++)
        {
            packets[i] = sender.protect(out, packet(10 + i)).bytes();
            assertEquals(EspVerdict.DELIVER, receiver.inbound(packets[i].clone()).verdict());
        }
        receiver.sad.update(config.toBuilder()
            .lifetime(SaLifetimeConfig.builder().hardAddExpiresNs(3_600_000_000_000L).build()).build());
        final EspHarness.Outcome replay = receiver.inbound(packets[2]);
        assertEquals("drop", EspVerdict.name(replay.verdict()), "a replay of packet 3 after the update");
        assertEquals(XfrmCounter.XfrmInStateSeqError, replay.reason());
    }

    @Test
    void shouldContinueTheOutboundSequenceAfterTheOutboundSaIsUpdated()
    {
        final SaConfig config = aes().build();
        sender.sad.add(config);
        for (int i = 1; i <= 5; i++)
        {
            sender.protect(sender.sad.get(SPI, config.destination()), packet(10));
        }
        final SecurityAssociation updated = sender.sad.update(config.toBuilder()
            .lifetime(SaLifetimeConfig.builder().hardAddExpiresNs(3_600_000_000_000L).build()).build());
        assertEquals(6, u32(sender.protect(updated, packet(10)).bytes(), 24),
            "sequence numbers must not restart (the peer would drop them as replays, RFC 4303 3.3.3)");
    }
}
