package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Every inbound drop is counted against exactly one named counter, and dropReason() names it.
 */
class EspInboundDropTest
{
    private static final long SPI = 0x2000L;

    private final EspHarness sender = new EspHarness();
    private final EspHarness receiver = new EspHarness();

    private SecurityAssociation[] pair(final SaConfig config)
    {
        return new SecurityAssociation[]{ sender.sad.add(config), receiver.sad.add(config) };
    }

    private static SaConfig.Builder nullSha1()
    {
        return EspHarness.config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL);
    }

    private static byte[] sip(final int length)
    {
        return ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 5060, payload(length, length)));
    }

    private void assertDropped(final byte[] packet, final XfrmCounter counter)
    {
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final EspHarness.Outcome out = receiver.inbound(packet);
        assertEquals("drop", EspVerdict.name(out.verdict()), "reason " + out.reason());
        assertEquals(counter, out.reason());
        receiver.assertOnlyMovedByOne(before, counter);
    }

    /** Recompute the HMAC-SHA1-96 ICV of a NULL-encrypted IPv4 ESP packet (header of 20 bytes) after editing it. */
    private static void resign(final byte[] esp, final SecurityAssociation sa) throws Exception
    {
        final Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(sa.config().integrityKey(), "HmacSHA1"));
        mac.update(esp, 20, esp.length - 20 - 12);
        System.arraycopy(mac.doFinal(), 0, esp, esp.length - 12, 12);
    }

    @Test
    void shouldDropUnknownSpiAsNoStates()
    {
        final SecurityAssociation sa = sender.sad.add(nullSha1().build());
        assertDropped(sender.protect(sa, sip(10)).bytes(), XfrmCounter.XfrmInNoStates);
    }

    @Test
    void shouldDropSpiKnownForAnotherDestinationAsNoStates()
    {
        final SaConfig config = nullSha1().build();
        final SecurityAssociation sa = sender.sad.add(config);
        receiver.sad.add(config.toBuilder().destination(EspTestSupport.address("192.0.2.99")).build());
        assertDropped(sender.protect(sa, sip(10)).bytes(), XfrmCounter.XfrmInNoStates);
    }

    @Test
    void shouldDropTruncatedEspHeaderAsHeaderError()
    {
        pair(nullSha1().build());
        assertDropped(ipv4(V4_SRC, V4_DST, 50, new byte[0], new byte[]{ 0, 0, 0x20, 0, 0, 0, 0 }),
            XfrmCounter.XfrmInHdrError);
    }

    @Test
    void shouldDropBadIcvAsProtoErrorAndCountItOnTheSa()
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] esp = sender.protect(sas[0], sip(10)).bytes();
        esp[esp.length - 1] ^= 1;
        assertDropped(esp, XfrmCounter.XfrmInStateProtoError);
        assertEquals(1, sas[1].counters().integrityFailures());
        assertEquals(0, sas[1].counters().packets());
        assertEquals(0, sas[1].counters().replayDrops());
    }

    @Test
    void shouldNotAdvanceTheReplayWindowForAPacketWithBadIcv()
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] first = sender.protect(sas[0], sip(10)).bytes();
        sas[0].nextOutboundSequence(100_000);
        final byte[] forged = sender.protect(sas[0], sip(10)).bytes();
        forged[30] ^= 0x40;
        assertDropped(forged, XfrmCounter.XfrmInStateProtoError);
        assertEquals(0, sas[1].replayHighestSequence());

        final EspHarness.Outcome out = receiver.inbound(first);
        assertEquals("deliver", EspVerdict.name(out.verdict()), "reason " + out.reason());
    }

    @Test
    void shouldDropReplayedPacketInsideWindowAsSeqErrorAndCountItOnTheSa()
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] esp = sender.protect(sas[0], sip(10)).bytes();
        assertEquals(EspVerdict.DELIVER, receiver.inbound(esp.clone()).verdict());
        assertDropped(esp, XfrmCounter.XfrmInStateSeqError);
        assertEquals(1, sas[1].counters().replayDrops());
        assertEquals(1, sas[1].counters().packets());
    }

    @Test
    void shouldDropPacketLeftOfTheWindowAsSeqError()
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] old = sender.protect(sas[0], sip(10)).bytes();
        sas[0].nextOutboundSequence(1000);
        assertEquals(EspVerdict.DELIVER, receiver.inbound(sender.protect(sas[0], sip(10)).bytes()).verdict());
        assertDropped(old, XfrmCounter.XfrmInStateSeqError);
    }

    @Test
    void shouldDropBadPaddingWithValidIcvAsProtoError() throws Exception
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] esp = sender.protect(sas[0], sip(9)).bytes(); // 17 bytes of UDP: 1 pad byte
        final int padLengthAt = esp.length - 12 - 2;
        assertEquals(1, esp[padLengthAt]);
        esp[padLengthAt - 1] = 7; // the pad byte must be 1
        resign(esp, sas[0]);
        assertDropped(esp, XfrmCounter.XfrmInStateProtoError);
        assertEquals(0, sas[1].counters().integrityFailures());
    }

    @Test
    void shouldDropPadLengthBeyondThePayloadAsProtoError() throws Exception
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] esp = sender.protect(sas[0], sip(9)).bytes();
        esp[esp.length - 12 - 2] = (byte)200;
        resign(esp, sas[0]);
        assertDropped(esp, XfrmCounter.XfrmInStateProtoError);
    }

    @Test
    void shouldVerifyThenDropDummyPacketWithNextHeader59()
        throws Exception
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        final byte[] esp = sender.protect(sas[0], sip(9)).bytes();
        esp[esp.length - 12 - 1] = 59;
        resign(esp, sas[0]);
        assertDropped(esp, XfrmCounter.Esp4jInDummy);
    }

    @Test
    void shouldDropInnerPacketOutsideTheSaSelectorAsStateMismatch()
    {
        final SecurityAssociation[] sas = pair(nullSha1()
            .selector(TrafficSelector.builder().protocol(17).destinationPort(5060).build()).build());
        assertEquals(EspVerdict.DELIVER, receiver.inbound(sender.protect(sas[0], sip(1)).bytes()).verdict());
        final byte[] other = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 5061, payload(4, 4)));
        assertDropped(sender.protect(sas[0], other).bytes(), XfrmCounter.XfrmInStateMismatch);
    }

    @Test
    void shouldDropUdpEncapsulatedPacketForARawSaAsStateMismatch()
    {
        final SaConfig raw = nullSha1().build();
        receiver.sad.add(raw);
        final SecurityAssociation encap = sender.sad.add(raw.toBuilder()
            .encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500).build());
        assertDropped(sender.protect(encap, sip(10)).bytes(), XfrmCounter.XfrmInStateMismatch);
    }

    @Test
    void shouldDropRawEspForAUdpEncapsulatedSaAsStateMismatch()
    {
        final SaConfig raw = nullSha1().build();
        final SecurityAssociation out = sender.sad.add(raw);
        receiver.sad.add(raw.toBuilder().encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500).build());
        assertDropped(sender.protect(out, sip(10)).bytes(), XfrmCounter.XfrmInStateMismatch);
    }

    @Test
    void shouldConsumeNatKeepaliveAndCountIt()
    {
        assertDropped(ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(4500, 4500, new byte[]{ (byte)0xFF })),
            XfrmCounter.Esp4jInNatKeepalive);
    }

    @Test
    void shouldPassIkeBehindNonEspMarkerUnchanged()
    {
        final byte[] ike = ipv4(V4_SRC, V4_DST, 17, new byte[0],
            udp(4500, 4500, EspHarness.concat(new byte[4], payload(28, 3))));
        final EspHarness.Outcome out = receiver.inbound(ike);
        assertEquals(EspVerdict.PASS, out.verdict());
        assertNull(out.reason());
        assertEquals(Hex.encode(ike), Hex.encode(out.bytes()));
    }

    @Test
    void shouldCountIkeBehindNonEspMarkerAgainstExactlyOneCounter()
    {
        // Every other inbound outcome moves exactly one counter (bypass, delivered or a drop reason); a PASS of IKE on
        // 4500 is traffic let through and must be counted too, or the counters no longer add up to the packets seen.
        final byte[] ike = ipv4(V4_SRC, V4_DST, 17, new byte[0],
            udp(4500, 4500, EspHarness.concat(new byte[4], payload(28, 3))));
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        assertEquals(EspVerdict.PASS, receiver.inbound(ike).verdict());
        assertEquals(1, receiver.totalDelta(before), "counters moved by an IKE packet on 4500");
    }

    @Test
    void shouldPassPlaintextWithoutPolicyAsBypass()
    {
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        assertEquals(EspVerdict.PASS, receiver.inbound(sip(10)).verdict());
        receiver.assertOnlyMovedByOne(before, XfrmCounter.Esp4jInBypass);
    }

    @Test
    void shouldDropPlaintextHittingAProtectInPolicyAsTemplateMismatch()
    {
        receiver.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(),
            PolicyDirection.IN, PolicyAction.PROTECT, 100, 0, List.of(new TemplateConfig(null, null, SPI, 0, false))));
        assertDropped(sip(10), XfrmCounter.XfrmInTmplMismatch);
    }

    @Test
    void shouldDropPlaintextHittingADiscardInPolicyAsPolicyBlock()
    {
        receiver.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).build(),
            PolicyDirection.IN, PolicyAction.DISCARD, 100, 0, List.of()));
        assertDropped(sip(10), XfrmCounter.XfrmInPolBlock);
    }

    @Test
    void shouldDropEspWhoseSaTheInPolicyDoesNotNameAsTemplateMismatch()
    {
        final SecurityAssociation[] sas = pair(nullSha1().build());
        receiver.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(),
            PolicyDirection.IN, PolicyAction.PROTECT, 100, 0,
            List.of(new TemplateConfig(null, null, SPI + 1, 0, false))));
        assertDropped(sender.protect(sas[0], sip(10)).bytes(), XfrmCounter.XfrmInTmplMismatch);
    }

    @Test
    void shouldDropIpVersion5AsHeaderError()
    {
        final byte[] packet = sip(10);
        packet[0] = 0x55;
        assertDropped(packet, XfrmCounter.XfrmInHdrError);
    }

    @Test
    void shouldDropTruncatedIpv6AsHeaderError()
    {
        final byte[] packet = ipv6(EspLayoutTest.V6_SRC, EspLayoutTest.V6_DST, 17, udp(1, 2, payload(30, 1)));
        assertDropped(Arrays.copyOf(packet, packet.length - 1), XfrmCounter.XfrmInHdrError);
        assertDropped(Arrays.copyOf(packet, 39), XfrmCounter.XfrmInHdrError);
        assertDropped(new byte[0], XfrmCounter.XfrmInHdrError);
    }

    @Test
    void shouldDropTruncatedIpv4AsHeaderError()
    {
        final byte[] packet = sip(10);
        assertDropped(Arrays.copyOf(packet, 19), XfrmCounter.XfrmInHdrError);
        assertDropped(Arrays.copyOf(packet, packet.length - 1), XfrmCounter.XfrmInHdrError);
    }

    @Test
    void shouldDropCiphertextNotAMultipleOfTheBlockAsProtoError()
    {
        final SecurityAssociation[] sas = pair(EspHarness.config(V4_SRC, V4_DST, SPI,
            IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC).build());
        final byte[] esp = sender.protect(sas[0], sip(10)).bytes();
        final byte[] shorter = Arrays.copyOf(esp, esp.length - 4);
        shorter[3] = (byte)(shorter.length & 0xFF);
        shorter[2] = (byte)(shorter.length >>> 8);
        shorter[10] = 0;
        shorter[11] = 0;
        final int checksum = EspHarness.ipv4ChecksumOver(shorter, 0, 20);
        shorter[10] = (byte)(checksum >>> 8);
        shorter[11] = (byte)checksum;
        assertDropped(shorter, XfrmCounter.XfrmInStateProtoError);
    }
}
