package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.esp4j.core.esp.EspHarness.concat;
import static org.esp4j.core.esp.EspHarness.extension;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.u16;
import static org.esp4j.core.esp.EspHarness.u32;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Protect on one side, inbound on the other: the original packet comes back byte for byte, for every suite (each
 * cipher with each HMAC, and each combined-mode algorithm alone), with and without ESN, raw and UDP-encapsulated,
 * IPv4 (with options) and IPv6 (with extension headers).
 */
class EspRoundTripTest
{
    static Stream<Arguments> suites()
    {
        final List<Arguments> all = new ArrayList<>();
        for (final EncryptionAlgorithm encryption : EncryptionAlgorithm.values())
        {
            final IntegrityAlgorithm[] integrities = encryption.combinedMode() ?
                new IntegrityAlgorithm[]{ IntegrityAlgorithm.NONE } :
                new IntegrityAlgorithm[]{
                    IntegrityAlgorithm.HMAC_MD5_96, IntegrityAlgorithm.HMAC_SHA1_96, IntegrityAlgorithm.HMAC_SHA256_128 };
            for (final IntegrityAlgorithm integrity : integrities)
            {
                for (final boolean esn : new boolean[]{ false, true })
                {
                    for (final boolean udpEncap : new boolean[]{ false, true })
                    {
                        all.add(Arguments.of(integrity, encryption, esn, udpEncap));
                    }
                }
            }
        }
        return all.stream();
    }

    private static List<byte[]> ipv4Packets()
    {
        final String s = EspLayoutTest.V4_SRC;
        final String d = EspLayoutTest.V4_DST;
        final List<byte[]> packets = new ArrayList<>();
        packets.add(ipv4(s, d, 17, new byte[0], udp(5060, 5060, payload(100, 1))));
        packets.add(ipv4(s, d, 17, new byte[]{ (byte)0x94, 4, 0, 0 }, udp(5062, 5060, payload(0, 2))));
        packets.add(ipv4(s, d, 6, new byte[]{ 1, 1, 1, 1, 7, 7, 4, 0, 0, 0, 0, 0 }, payload(1, 3)));
        packets.add(ipv4(s, d, 1, new byte[0], payload(1400, 4)));
        for (int length = 0; length < 40; length++)
        {
            packets.add(ipv4(s, d, 17, new byte[0], udp(1, 2, payload(length, length))));
        }
        return packets;
    }

    private static List<byte[]> ipv6Packets()
    {
        final String s = EspLayoutTest.V6_SRC;
        final String d = EspLayoutTest.V6_DST;
        final List<byte[]> packets = new ArrayList<>();
        packets.add(ipv6(s, d, 17, udp(5060, 5060, payload(100, 1))));
        packets.add(ipv6(s, d, 0, concat(extension(43, 1, 0xA1), extension(17, 2, 0xB2),
            udp(1000, 2000, payload(13, 5)))));
        packets.add(ipv6(s, d, 60, concat(extension(43, 1, 0xC1), extension(60, 1, 0xB2), extension(17, 2, 0xD3),
            udp(1000, 2000, payload(10, 3)))));
        packets.add(ipv6(s, d, 58, payload(1, 9)));
        for (int length = 0; length < 40; length++)
        {
            packets.add(ipv6(s, d, 17, udp(1, 2, payload(length, length))));
        }
        return packets;
    }

    @ParameterizedTest(name = "{0} {1} esn={2} udp={3}")
    @MethodSource("suites")
    void shouldRoundTripIpv4PacketsByteForByte(
        final IntegrityAlgorithm integrity, final EncryptionAlgorithm encryption, final boolean esn, final boolean encap)
    {
        roundTrip(EspLayoutTest.V4_SRC, EspLayoutTest.V4_DST, integrity, encryption, esn, encap, ipv4Packets());
    }

    @ParameterizedTest(name = "{0} {1} esn={2} udp={3}")
    @MethodSource("suites")
    void shouldRoundTripIpv6PacketsByteForByte(
        final IntegrityAlgorithm integrity, final EncryptionAlgorithm encryption, final boolean esn, final boolean encap)
    {
        roundTrip(EspLayoutTest.V6_SRC, EspLayoutTest.V6_DST, integrity, encryption, esn, encap, ipv6Packets());
    }

    /**
     * The fragment header here is an atomic fragment (offset 0, M=0; RFC 6946): protect puts ESP behind it (RFC 4303
     * §3.1.1), so the receiver must take it back.
     */
    @org.junit.jupiter.api.Test
    void shouldRoundTripIpv6PacketWithAtomicFragmentHeaderInFrontOfEsp()
    {
        roundTrip(EspLayoutTest.V6_SRC, EspLayoutTest.V6_DST, IntegrityAlgorithm.HMAC_SHA1_96,
            EncryptionAlgorithm.AES_CBC, false, false, List.of(
            ipv6(EspLayoutTest.V6_SRC, EspLayoutTest.V6_DST, 0, concat(extension(43, 1, 0xA1), extension(44, 2, 0xB2),
            EspHarness.fragmentHeader(17), udp(1000, 2000, payload(13, 5))))));
    }

    private static void roundTrip(final String src, final String dst, final IntegrityAlgorithm integrity,
        final EncryptionAlgorithm encryption, final boolean esn, final boolean encap, final List<byte[]> packets)
    {
        final SaConfig.Builder builder = EspHarness.config(src, dst, 0x8000_0001L, integrity, encryption).esn(esn);
        if (encap)
        {
            builder.encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500);
        }
        final SaConfig config = builder.build();
        final EspHarness sender = new EspHarness();
        final EspHarness receiver = new EspHarness();
        final SecurityAssociation out = sender.sad.add(config);
        final SecurityAssociation in = receiver.sad.add(config);
        final boolean ipv4 = src.indexOf(':') < 0;

        long sequence = 0;
        for (final byte[] packet : packets)
        {
            sequence++;
            final EspHarness.Outcome protectedPacket = sender.protect(out, packet);
            assertEquals(EspVerdict.DELIVER, protectedPacket.verdict(), String.valueOf(protectedPacket.reason()));
            final byte[] esp = protectedPacket.bytes();
            assertNotEquals(Hex.encode(packet), Hex.encode(esp));
            assertEquals(packet.length + out.transform().ivLength() + 8 + (encap ? 8 : 0) +
                padded(packet.length - (ipv4 ? (packet[0] & 0xF) * 4 : espOffsetIpv6(packet)), out) +
                config.icvLengthBits() / 8, esp.length, "ESP packet length");
            final int ipHeaderEnd = ipv4 ? (packet[0] & 0xF) * 4 : espOffsetIpv6(packet);
            int espAt = ipHeaderEnd;
            if (encap)
            {
                assertEquals(4500, u16(esp, ipHeaderEnd));
                assertEquals(4500, u16(esp, ipHeaderEnd + 2));
                assertEquals(esp.length - ipHeaderEnd, u16(esp, ipHeaderEnd + 4), "UDP length");
                if (ipv4)
                {
                    assertEquals(0, u16(esp, ipHeaderEnd + 6), "RFC 3948: IPv4 UDP checksum is zero");
                }
                else
                {
                    assertNotEquals(0, u16(esp, ipHeaderEnd + 6), "IPv6 UDP checksum is mandatory");
                    assertEquals(0, EspHarness.ipv6UdpChecksumResidue(esp, ipHeaderEnd), "IPv6 UDP checksum valid");
                }
                espAt += 8;
            }
            assertEquals(0x8000_0001L, u32(esp, espAt), "SPI");
            assertEquals(sequence, u32(esp, espAt + 4), "sequence number");
            if (ipv4)
            {
                assertEquals(esp.length, u16(esp, 2));
                assertEquals(0, EspHarness.ipv4ChecksumOver(esp, 0, ipHeaderEnd));
            }
            else
            {
                assertEquals(esp.length - 40, u16(esp, 4));
            }

            final EspHarness.Outcome back = receiver.inbound(esp);
            assertEquals("deliver", EspVerdict.name(back.verdict()), "packet " + sequence + " reason " + back.reason());
            assertEquals(Hex.encode(packet), Hex.encode(back.bytes()), "packet " + sequence);
        }
        assertEquals(packets.size(), receiver.counters.get(XfrmCounter.Esp4jInDelivered));
        assertEquals(packets.size(), sender.counters.get(XfrmCounter.Esp4jOutProtected));
        assertEquals(packets.size(), in.counters().packets());
        assertEquals(packets.size(), out.counters().packets());
    }

    /** Payload + trailer rounded up to the transform's alignment (RFC 4303 §2.4), minus the payload itself. */
    private static int padded(final int payloadLength, final SecurityAssociation sa)
    {
        final int blockSize = sa.transform().blockSize();
        return (payloadLength + 2 + blockSize - 1) / blockSize * blockSize - payloadLength;
    }

    /** Where ESP goes in the test's IPv6 packets: after HBH, routing, fragment and pre-routing destination options. */
    private static int espOffsetIpv6(final byte[] packet)
    {
        int nextHeader = packet[6] & 0xFF;
        int at = 40;
        while (nextHeader == 0 || nextHeader == 43 || nextHeader == 44 || nextHeader == 60)
        {
            if (nextHeader == 60 && (packet[at] & 0xFF) != 43)
            {
                break;
            }
            final int length = nextHeader == 44 ? 8 : ((packet[at + 1] & 0xFF) + 1) * 8;
            nextHeader = packet[at] & 0xFF;
            at += length;
        }
        return at;
    }
}
