package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv4ChecksumOver;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.u16;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.esp4j.core.esp.EspLayoutTest.V6_DST;
import static org.esp4j.core.esp.EspLayoutTest.V6_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The carrier contract: in carrier mode an ESP_IN_UDP result is the IP header and ESP, without the UDP header the
 * carrier's socket writes, and the result names its carrier and peer port; input from a carrier says whether it came
 * in UDP instead of wearing a made-up UDP header. The wire form itself is checked against scapy in
 * {@link EspVectorConformanceTest}; here carrier mode is checked against the wire form.
 */
class EspCarrierModeTest
{
    private static final long SPI = 0x7001L;
    private static final int PEER_PORT = 4501;

    private final EspHarness wire = new EspHarness();
    private final EspHarness carrier = new EspHarness();
    private final EspHarness receiver = new EspHarness();

    EspCarrierModeTest()
    {
        carrier.processor.carrierPayloads(true);
    }

    private static SaConfig.Builder nullSha1(final boolean v6)
    {
        return EspHarness.config(v6 ? V6_SRC : V4_SRC, v6 ? V6_DST : V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA1_96,
            EncryptionAlgorithm.NULL);
    }

    private static SaConfig udpSa(final boolean v6)
    {
        return nullSha1(v6).encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, PEER_PORT).build();
    }

    private static byte[] sip(final boolean v6)
    {
        final byte[] udp = udp(5060, 5060, payload(37, 3));
        return v6 ? ipv6(V6_SRC, V6_DST, 17, udp) : ipv4(V4_SRC, V4_DST, 17, new byte[0], udp);
    }

    @Test
    void shouldLeaveTheSameEspWithoutTheUdpHeaderInCarrierModeAndNameTheCarrier()
    {
        for (final boolean v6 : new boolean[] { false, true })
        {
            final int ipLength = v6 ? 40 : 20;
            final SaConfig config = udpSa(v6);
            final SecurityAssociation wireSa = wire.sad.add(config);
            final SecurityAssociation carrierSa = carrier.sad.add(config);

            final EspHarness.Outcome whole = wire.protect(wireSa, sip(v6));
            assertEquals(EspCarrier.UDP, wire.processor.resultCarrier());
            assertEquals(ipLength + 8, wire.processor.resultEspOffset() - wire.processor.resultOffset());
            final EspHarness.Outcome payloadOnly = carrier.protect(carrierSa, sip(v6));
            assertEquals(EspVerdict.DELIVER, payloadOnly.verdict());
            assertEquals(EspCarrier.UDP, carrier.processor.resultCarrier());
            assertEquals(PEER_PORT, carrier.processor.resultPeerPort());
            assertEquals(ipLength, carrier.processor.resultEspOffset() - carrier.processor.resultOffset());

            final byte[] w = whole.bytes();
            final byte[] c = payloadOnly.bytes();
            assertEquals(w.length - 8, c.length, "no UDP header");
            assertEquals(Hex.encode(Arrays.copyOfRange(w, ipLength + 8, w.length)),
                Hex.encode(Arrays.copyOfRange(c, ipLength, c.length)), "the same ESP, ICV included");
            if (v6)
            {
                assertEquals(50, c[6] & 0xFF, "next header ESP");
                assertEquals(c.length - 40, u16(c, 4), "payload length");
            }
            else
            {
                assertEquals(50, c[9] & 0xFF, "protocol ESP");
                assertEquals(c.length, u16(c, 2), "total length");
                assertEquals(0, ipv4ChecksumOver(c, 0, 20), "header checksum");
            }
            wire.sad.delete(SPI, EspTestSupport.address(v6 ? V6_DST : V4_DST));
            carrier.sad.delete(SPI, EspTestSupport.address(v6 ? V6_DST : V4_DST));
        }
    }

    @Test
    void shouldNameTheIpCarrierForRawEspAndForPassedPackets()
    {
        final SecurityAssociation sa = carrier.sad.add(nullSha1(false).build());
        assertEquals(EspVerdict.DELIVER, carrier.protect(sa, sip(false)).verdict());
        assertEquals(EspCarrier.IP, carrier.processor.resultCarrier());
        assertEquals(20, carrier.processor.resultEspOffset() - carrier.processor.resultOffset());
        assertEquals(EspVerdict.PASS, carrier.outbound(sip(false)).verdict());
        assertEquals(EspCarrier.IP, carrier.processor.resultCarrier());
    }

    @Test
    void shouldDeliverCarrierInputThatCameInUdpForAnEspInUdpSa()
    {
        for (final boolean v6 : new boolean[] { false, true })
        {
            final SaConfig config = udpSa(v6);
            final SecurityAssociation out = carrier.sad.add(config);
            receiver.sad.add(config);
            final byte[] esp = carrier.protect(out, sip(v6)).bytes();

            final Map<XfrmCounter, Long> before = receiver.snapshot();
            final UnsafeBuffer buffer = EspTestSupport.packetBuffer(esp);
            assertEquals(EspVerdict.DELIVER, receiver.processor.inbound(buffer, EspTestSupport.HEADROOM, esp.length,
                true), "drop " + receiver.processor.dropReason());
            assertEquals(Hex.encode(sip(v6)), Hex.encode(EspTestSupport.result(buffer, receiver.processor)));
            receiver.assertOnlyMovedByOne(before, XfrmCounter.Esp4jInDelivered);
        }
    }

    @Test
    void shouldDropCarrierInputWhoseEncapsulationIsNotTheSasAsStateMismatch()
    {
        final SaConfig config = udpSa(false);
        final SecurityAssociation out = carrier.sad.add(config);
        receiver.sad.add(config);
        assertDroppedFromCarrier(carrier.protect(out, sip(false)).bytes(), false, XfrmCounter.XfrmInStateMismatch);

        final SaConfig raw = nullSha1(true).build();
        final SecurityAssociation rawOut = carrier.sad.add(raw);
        receiver.sad.add(raw);
        assertDroppedFromCarrier(carrier.protect(rawOut, sip(true)).bytes(), true, XfrmCounter.XfrmInStateMismatch);
    }

    @Test
    void shouldDropNonEspFromTheUdpCarrierAsHeaderErrorAndCheckItAsPlaintextFromTheOthers()
    {
        assertDroppedFromCarrier(sip(false), true, XfrmCounter.XfrmInHdrError);

        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(sip(false));
        assertEquals(EspVerdict.PASS, receiver.processor.inbound(buffer, EspTestSupport.HEADROOM, sip(false).length,
            false));
        receiver.assertOnlyMovedByOne(before, XfrmCounter.Esp4jInBypass);
    }

    @Test
    void shouldNotRecogniseEspInUdpByPortInCarrierInput()
    {
        // a wire packet to 4500 handed in by a raw carrier is plaintext UDP to the policy, not ESP
        final byte[] wirePacket = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(4500, 4500, new byte[] { (byte)0xFF }));
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(wirePacket);
        assertEquals(EspVerdict.PASS, receiver.processor.inbound(buffer, EspTestSupport.HEADROOM, wirePacket.length,
            false));
        receiver.assertOnlyMovedByOne(before, XfrmCounter.Esp4jInBypass);
    }

    /**
     * With a UDP checksum to cover it, the ICV of IPv6 ESP-in-UDP could not wait for an ICV batch; in carrier mode the
     * socket computes that checksum after the batch, so the ICV waits like any other and comes out the same.
     */
    @Test
    void shouldDeferTheIcvOfIpv6EspInUdpToTheBatchInCarrierMode()
    {
        final IcvBatch batch = IcvBatch.create(1, 1);
        assertNotNull(batch, "tests run with --add-modules jdk.incubator.vector");
        final SaConfig config = udpSa(true);
        final SecurityAssociation unbatched = carrier.sad.add(config);
        final byte[] expected = carrier.protect(unbatched, sip(true)).bytes();

        final EspHarness batched = new EspHarness();
        batched.processor.carrierPayloads(true);
        batched.processor.icvBatch(batch);
        final SecurityAssociation sa = batched.sad.add(config);
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(sip(true));
        assertEquals(EspVerdict.DELIVER, batched.processor.protect(sa, buffer, EspTestSupport.HEADROOM,
            sip(true).length));
        assertEquals(1, batch.pending(), "the ICV waits for the batch");
        batched.processor.completeIcvs();
        assertEquals(Hex.encode(expected), Hex.encode(EspTestSupport.result(buffer, batched.processor)));

        final EspHarness wholeWire = new EspHarness();
        wholeWire.processor.icvBatch(IcvBatch.create(1, 1));
        final SecurityAssociation wireSa = wholeWire.sad.add(config);
        assertEquals(EspVerdict.DELIVER, wholeWire.protect(wireSa, sip(true)).verdict());
        assertEquals(0, wholeWire.processor.icvBatch().pending(), "wire mode: the UDP checksum needs the ICV now");
    }

    @Test
    void shouldKeepResultOffsetsRelativeToThePacketForBuffersThatDoNotWrapAnArray()
    {
        final SaConfig config = udpSa(false);
        final SecurityAssociation sa = carrier.sad.add(config);
        final byte[] packet = sip(false);
        final UnsafeBuffer direct = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(
            EspTestSupport.HEADROOM + packet.length + EspProcessor.MAX_TAILROOM));
        direct.putBytes(EspTestSupport.HEADROOM, packet);
        assertEquals(EspVerdict.DELIVER, carrier.processor.protect(sa, direct, EspTestSupport.HEADROOM, packet.length));
        final int resultOffset = carrier.processor.resultOffset();
        assertEquals(20, carrier.processor.resultEspOffset() - resultOffset);
        assertEquals(SPI, direct.getInt(carrier.processor.resultEspOffset(), java.nio.ByteOrder.BIG_ENDIAN));
        assertNotEquals(0, resultOffset);

        receiver.sad.add(config);
        assertTrue(resultOffset >= 0);
        assertEquals(EspVerdict.DELIVER, receiver.processor.inbound(direct, resultOffset,
            carrier.processor.resultLength(), true), "drop " + receiver.processor.dropReason());
        final byte[] plain = new byte[receiver.processor.resultLength()];
        direct.getBytes(receiver.processor.resultOffset(), plain);
        assertEquals(Hex.encode(packet), Hex.encode(plain));
    }

    private void assertDroppedFromCarrier(final byte[] packet, final boolean udpEncapsulated, final XfrmCounter counter)
    {
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(packet);
        assertEquals(EspVerdict.DROP, receiver.processor.inbound(buffer, EspTestSupport.HEADROOM, packet.length,
            udpEncapsulated));
        assertEquals(counter, receiver.processor.dropReason());
        receiver.assertOnlyMovedByOne(before, counter);
    }
}
