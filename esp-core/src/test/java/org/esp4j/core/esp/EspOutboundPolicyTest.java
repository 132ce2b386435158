package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.sa.SaState;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.esp4j.core.esp.EspHarness.concat;
import static org.esp4j.core.esp.EspHarness.extension;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.u32;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.esp4j.core.esp.EspLayoutTest.V6_DST;
import static org.esp4j.core.esp.EspLayoutTest.V6_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Outbound policy decisions (protect / bypass / discard / acquire), SA choice for a template, selectors on the upper
 * protocol behind extension headers, and buffers that do not wrap an array.
 */
class EspOutboundPolicyTest
{
    private final EspHarness sender = new EspHarness();
    private final EspHarness receiver = new EspHarness();

    private static byte[] sip()
    {
        return ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 5060, payload(20, 1)));
    }

    private void protectPolicy(final EspHarness h, final PolicyDirection direction, final long spi, final int reqid,
        final boolean optional)
    {
        h.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(), direction,
            PolicyAction.PROTECT, 100, 0, List.of(new TemplateConfig(null, null, spi, reqid, optional))));
    }

    private static SaConfig.Builder sa(final long spi)
    {
        return EspHarness.config(V4_SRC, V4_DST, spi, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC)
            .reqid(7);
    }

    @Test
    void shouldProtectBypassAndDiscardByPolicy()
    {
        protectPolicy(sender, PolicyDirection.OUT, 0x6001, 0, false);
        sender.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(6).destinationPort(23).build(),
            PolicyDirection.OUT, PolicyAction.DISCARD, 100, 0, List.of()));
        sender.sad.add(sa(0x6001).build());

        Map<XfrmCounter, Long> before = sender.snapshot();
        assertEquals(EspVerdict.DELIVER, sender.outbound(sip()).verdict());
        sender.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutProtected);

        before = sender.snapshot();
        final byte[] other = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 53, payload(5, 1)));
        final EspHarness.Outcome passed = sender.outbound(other);
        assertEquals(EspVerdict.PASS, passed.verdict());
        assertEquals(Hex.encode(other), Hex.encode(passed.bytes()));
        sender.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutBypass);

        before = sender.snapshot();
        assertEquals(EspVerdict.DROP, sender.outbound(ipv4(V4_SRC, V4_DST, 6, new byte[0], udp(1, 23, payload(5, 1))))
            .verdict());
        sender.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutPolBlock);
    }

    @Test
    void shouldDropAndAcquireWhenNoSaFitsARequiredTemplateButPassForAnOptionalOne()
    {
        final int[] acquires = { 0 };
        final EspProcessor processor = new EspProcessor(sender.sad, sender.spd, sender.counters, sender.clock,
            new org.esp4j.core.spd.SpdEventListener()
            {
                public void onSaEvent(final org.esp4j.core.sa.SaEventType type, final SecurityAssociation sa)
                {
                }

                public void onAcquire(final org.esp4j.core.spd.SecurityPolicy policy, final long srcHigh,
                    final long srcLow, final long dstHigh, final long dstLow, final int protocol, final int srcPort,
                    final int dstPort)
                {
                    acquires[0]++;
                    assertEquals(17, protocol);
                    assertEquals(5060, dstPort);
                }
            });
        protectPolicy(sender, PolicyDirection.OUT, TemplateConfig.ANY_SPI, 7, false);
        final Map<XfrmCounter, Long> before = sender.snapshot();
        final byte[] packet = sip();
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(packet);
        assertEquals(EspVerdict.DROP, processor.outbound(buffer, EspTestSupport.HEADROOM, packet.length));
        sender.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutNoStates);
        assertEquals(1, acquires[0]);

        final EspHarness optional = new EspHarness();
        protectPolicy(optional, PolicyDirection.OUT, TemplateConfig.ANY_SPI, 7, true);
        assertEquals(EspVerdict.PASS, optional.outbound(sip()).verdict());
    }

    @Test
    void shouldUseTheNewSaOnceTheOldOneIsDyingAfterARekey()
    {
        // RFC 4301 §4.4.2 / Linux xfrm_state_find: a soft-expired SA is used only while no valid SA fits.
        protectPolicy(sender, PolicyDirection.OUT, TemplateConfig.ANY_SPI, 7, false);
        final SecurityAssociation old = sender.sad.add(sa(0x6001)
            .lifetime(SaLifetimeConfig.builder().packetsSoftLimit(2).build()).build());
        assertEquals(0x6001, u32(sender.outbound(sip()).bytes(), 20));
        assertEquals(0x6001, u32(sender.outbound(sip()).bytes(), 20));
        assertEquals(SaState.DYING, old.state());

        sender.advanceSeconds(1);
        sender.sad.add(sa(0x6002).build()); // the rekeyed SA
        final EspHarness.Outcome out = sender.outbound(sip());
        assertEquals(EspVerdict.DELIVER, out.verdict());
        assertEquals(0x6002, u32(out.bytes(), 20), "traffic moves to the new SA after the rekey");
    }

    @Test
    void shouldMoveToAnotherSaWhenTheCachedOneIsDeleted()
    {
        protectPolicy(sender, PolicyDirection.OUT, TemplateConfig.ANY_SPI, 7, false);
        final SecurityAssociation first = sender.sad.add(sa(0x6001).build());
        assertEquals(0x6001, u32(sender.outbound(sip()).bytes(), 20));
        sender.advanceSeconds(1);
        sender.sad.add(sa(0x6002).build());
        sender.sad.delete(first);
        assertEquals(0x6002, u32(sender.outbound(sip()).bytes(), 20));
    }

    @Test
    void shouldCheckTheSaSelectorOnTheUpperProtocolBehindFinalDestinationOptions()
    {
        final SaConfig config = EspHarness.config(V6_SRC, V6_DST, 0x6003, IntegrityAlgorithm.HMAC_SHA1_96,
            EncryptionAlgorithm.AES_CBC).selector(TrafficSelector.builder().protocol(17).destinationPort(5060).build())
            .build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config);
        final byte[] plain = ipv6(V6_SRC, V6_DST, 60, concat(extension(17, 1, 0xD3), udp(5060, 5060, payload(12, 1))));
        final EspHarness.Outcome esp = sender.protect(out, plain);
        final EspHarness.Outcome back = receiver.inbound(esp.bytes());
        assertEquals("deliver", EspVerdict.name(back.verdict()),
            "UDP to 5060 behind destination options fits the SA selector (reason " + back.reason() + ")");
        assertEquals(Hex.encode(plain), Hex.encode(back.bytes()));
    }

    @Test
    void shouldRoundTripThroughBuffersThatDoNotWrapAnArray()
    {
        final SaConfig config = sa(0x6004).encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500).build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config);
        for (int length = 0; length < 40; length++)
        {
            final byte[] plain = ipv4(V4_SRC, V4_DST, 17, new byte[]{ 1, 1, 1, 0 }, udp(1, 2, payload(length, length)));
            final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(
                EspTestSupport.HEADROOM + plain.length + EspProcessor.MAX_TAILROOM));
            direct.putBytes(EspTestSupport.HEADROOM, plain);
            assertEquals(EspVerdict.DELIVER, sender.processor.protect(out, direct, EspTestSupport.HEADROOM, plain.length),
                String.valueOf(sender.processor.dropReason()));
            final int espOffset = sender.processor.resultOffset();
            final int espLength = sender.processor.resultLength();
            final byte[] esp = new byte[espLength];
            direct.getBytes(espOffset, esp);
            assertEquals(0x6004, u32(esp, 24 + 8), "SPI behind IPv4 options and UDP");
            assertEquals(length + 1L, u32(esp, 24 + 8 + 4), "sequence");

            assertEquals(EspVerdict.DELIVER, receiver.processor.inbound(direct, espOffset, espLength),
                "length " + length + " " + receiver.processor.dropReason());
            final byte[] back = new byte[receiver.processor.resultLength()];
            direct.getBytes(receiver.processor.resultOffset(), back);
            assertEquals(Hex.encode(plain), Hex.encode(back), "length " + length);
        }
    }
}
