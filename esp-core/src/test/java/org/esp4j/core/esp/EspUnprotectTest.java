package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link EspProcessor#unprotect}: ESP only, the SA's selector only (documented to ignore other policies); a non-ESP
 * packet is one header error.
 */
class EspUnprotectTest
{
    private final EspHarness sender = new EspHarness();
    private final EspHarness receiver = new EspHarness();

    private static byte[] sip()
    {
        return ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 5060, payload(20, 1)));
    }

    private EspHarness.Outcome unprotect(final byte[] packet)
    {
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(packet);
        final int verdict = receiver.processor.unprotect(buffer, EspTestSupport.HEADROOM, packet.length);
        return new EspHarness.Outcome(verdict, EspTestSupport.result(buffer, receiver.processor),
            receiver.processor.dropReason());
    }

    @Test
    void shouldUnprotectEspToThePlaintext()
    {
        final SaConfig config = EspHarness.config(V4_SRC, V4_DST, 0x7001, IntegrityAlgorithm.HMAC_SHA256_128,
            EncryptionAlgorithm.AES_CBC).build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config);
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final EspHarness.Outcome back = unprotect(sender.protect(out, sip()).bytes());
        assertEquals(EspVerdict.DELIVER, back.verdict());
        assertEquals(Hex.encode(sip()), Hex.encode(back.bytes()));
        receiver.assertOnlyMovedByOne(before, XfrmCounter.Esp4jInDelivered);
    }

    @Test
    void shouldDropNonEspAsOneHeaderErrorAndNothingElse()
    {
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final EspHarness.Outcome out = unprotect(sip());
        assertEquals(EspVerdict.DROP, out.verdict());
        assertEquals(XfrmCounter.XfrmInHdrError, out.reason());
        receiver.assertOnlyMovedByOne(before, XfrmCounter.XfrmInHdrError);
    }

    @Test
    void shouldIgnoreInboundPoliciesOtherThanTheSaSelectorAsDocumented()
    {
        final SaConfig config = EspHarness.config(V4_SRC, V4_DST, 0x7002, IntegrityAlgorithm.HMAC_SHA1_96,
            EncryptionAlgorithm.NULL).build();
        final SecurityAssociation out = sender.sad.add(config);
        receiver.sad.add(config);
        receiver.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).build(), PolicyDirection.IN,
            PolicyAction.DISCARD, 10, 0, List.of()));
        final EspHarness.Outcome back = unprotect(sender.protect(out, sip()).bytes());
        assertEquals("deliver", EspVerdict.name(back.verdict()), "reason " + back.reason());
    }
}
