package org.esp4j.core.esp;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.Arrays;
import java.util.List;

import static org.esp4j.core.esp.EspHarness.concat;
import static org.esp4j.core.esp.EspHarness.extension;
import static org.esp4j.core.esp.EspHarness.fragmentHeader;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv4ChecksumOver;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.u16;
import static org.esp4j.core.esp.EspHarness.u32;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where ESP goes and what the outer headers look like afterwards (RFC 4303 §3.1.1, RFC 8200 §4.1), checked byte for
 * byte with NULL encryption so the result is readable, and the ESP trailer (§2.4, §2.6) for every cipher.
 */
class EspLayoutTest
{
    static final String V4_SRC = "192.0.2.1";
    static final String V4_DST = "192.0.2.2";
    static final String V6_SRC = "2001:db8::1";
    static final String V6_DST = "2001:db8::2";
    static final long SPI = 0x1000L;

    private final EspHarness h = new EspHarness();

    /** Expected ESP part for NULL encryption: header, inner, padding 1,2,.., pad length, next header, ICV. */
    private static byte[] expectedNullEsp(
        final SecurityAssociation sa, final long sequence, final byte[] inner, final int nextHeader) throws Exception
    {
        final int padded = (inner.length + 2 + 3) / 4 * 4;
        final int padLength = padded - inner.length - 2;
        final byte[] esp = new byte[8 + padded];
        esp[0] = (byte)(sa.spi() >>> 24);
        esp[1] = (byte)(sa.spi() >>> 16);
        esp[2] = (byte)(sa.spi() >>> 8);
        esp[3] = (byte)sa.spi();
        esp[4] = (byte)(sequence >>> 24);
        esp[5] = (byte)(sequence >>> 16);
        esp[6] = (byte)(sequence >>> 8);
        esp[7] = (byte)sequence;
        System.arraycopy(inner, 0, esp, 8, inner.length);
        for (int i = 0; i < padLength; i++)
        {
            esp[8 + inner.length + i] = (byte)(i + 1);
        }
        esp[8 + padded - 2] = (byte)padLength;
        esp[8 + padded - 1] = (byte)nextHeader;
        final Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(sa.config().integrityKey(), "HmacSHA1"));
        final byte[] icv = Arrays.copyOf(mac.doFinal(esp), 12);
        return concat(esp, icv);
    }

    private SecurityAssociation nullSa(final String src, final String dst)
    {
        return h.sad.add(EspHarness.config(src, dst, SPI, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL)
            .build());
    }

    @Test
    void shouldInsertEspAfterHopByHopRoutingAndFragmentHeadersAndPatchTheChain() throws Exception
    {
        final SecurityAssociation sa = nullSa(V6_SRC, V6_DST);
        final byte[] hopByHop = extension(43, 1, 0xA1);
        final byte[] routing = extension(44, 2, 0xB2);
        final byte[] inner = udp(1000, 2000, payload(13, 5));
        final byte[] packet = ipv6(V6_SRC, V6_DST, 0, concat(hopByHop, routing, fragmentHeader(17), inner));

        final EspHarness.Outcome out = h.protect(sa, packet);

        assertEquals(EspVerdict.DELIVER, out.verdict(), String.valueOf(out.reason()));
        final byte[] esp = expectedNullEsp(sa, 1, inner, 17);
        final byte[] expectedChain = concat(hopByHop, routing, fragmentHeader(50), esp);
        final byte[] expected = ipv6(V6_SRC, V6_DST, 0, expectedChain);
        assertEquals(Hex.encode(expected), Hex.encode(out.bytes()));
        assertEquals(out.bytes().length - 40, u16(out.bytes(), 4), "payload length");
    }

    @Test
    void shouldPatchTheIpv6NextHeaderWhenThereAreNoExtensionHeaders() throws Exception
    {
        final SecurityAssociation sa = nullSa(V6_SRC, V6_DST);
        final byte[] inner = udp(1000, 2000, payload(20, 9));
        final EspHarness.Outcome out = h.protect(sa, ipv6(V6_SRC, V6_DST, 17, inner));
        assertEquals(Hex.encode(ipv6(V6_SRC, V6_DST, 50, expectedNullEsp(sa, 1, inner, 17))), Hex.encode(out.bytes()));
    }

    @Test
    void shouldKeepDestinationOptionsBeforeRoutingInFrontAndProtectFinalDestinationOptions() throws Exception
    {
        final SecurityAssociation sa = nullSa(V6_SRC, V6_DST);
        final byte[] firstOptions = extension(43, 1, 0xC1);      // destination options for the routing hops
        final byte[] routing = extension(60, 1, 0xB2);
        final byte[] finalOptions = extension(17, 2, 0xD3);      // destination options for the final destination
        final byte[] udp = udp(1000, 2000, payload(10, 3));
        final byte[] packet = ipv6(V6_SRC, V6_DST, 60, concat(firstOptions, routing, finalOptions, udp));

        final EspHarness.Outcome out = h.protect(sa, packet);

        assertEquals(EspVerdict.DELIVER, out.verdict(), String.valueOf(out.reason()));
        final byte[] patchedRouting = routing.clone();
        patchedRouting[0] = 50;
        final byte[] expected = ipv6(V6_SRC, V6_DST, 60,
            concat(firstOptions, patchedRouting, expectedNullEsp(sa, 1, concat(finalOptions, udp), 60)));
        assertEquals(Hex.encode(expected), Hex.encode(out.bytes()));
    }

    @Test
    void shouldPutEspInFrontOfDestinationOptionsWithoutRoutingHeader() throws Exception
    {
        final SecurityAssociation sa = nullSa(V6_SRC, V6_DST);
        final byte[] hopByHop = extension(60, 1, 0xA1);
        final byte[] finalOptions = extension(17, 1, 0xD3);
        final byte[] udp = udp(1000, 2000, payload(10, 3));
        final EspHarness.Outcome out = h.protect(sa, ipv6(V6_SRC, V6_DST, 0, concat(hopByHop, finalOptions, udp)));

        final byte[] patchedHopByHop = hopByHop.clone();
        patchedHopByHop[0] = 50;
        assertEquals(Hex.encode(ipv6(V6_SRC, V6_DST, 0,
            concat(patchedHopByHop, expectedNullEsp(sa, 1, concat(finalOptions, udp), 60)))), Hex.encode(out.bytes()));
    }

    @ParameterizedTest(name = "IHL {0}")
    @ValueSource(ints = { 5, 6, 8 })
    void shouldInsertEspAfterIpv4OptionsWithProtocol50LengthAndValidChecksum(final int ihl) throws Exception
    {
        final SecurityAssociation sa = nullSa(V4_SRC, V4_DST);
        final byte[] options = ihl == 5 ? new byte[0] : ihl == 6 ?
            new byte[]{ (byte)0x94, 4, 0, 0 } :
            new byte[]{ 1, 1, 1, 1, 7, 7, 4, 0, 0, 0, 0, 0 };
        final byte[] inner = udp(5060, 5060, payload(33, 1));
        final byte[] packet = ipv4(V4_SRC, V4_DST, 17, options, inner);

        final EspHarness.Outcome out = h.protect(sa, packet);

        assertEquals(EspVerdict.DELIVER, out.verdict(), String.valueOf(out.reason()));
        final byte[] bytes = out.bytes();
        final int headerLength = ihl * 4;
        assertEquals(0x40 | ihl, bytes[0] & 0xFF);
        assertEquals(50, bytes[9] & 0xFF, "protocol");
        assertEquals(bytes.length, u16(bytes, 2), "total length");
        assertEquals(0, ipv4ChecksumOver(bytes, 0, headerLength), "header checksum verifies");
        // everything else in the header, options included, is unchanged
        for (int i = 0; i < headerLength; i++)
        {
            if (i != 2 && i != 3 && i != 9 && i != 10 && i != 11)
            {
                assertEquals(packet[i], bytes[i], "header byte " + i);
            }
        }
        assertEquals(Hex.encode(expectedNullEsp(sa, 1, inner, 17)),
            Hex.encode(bytes, headerLength, bytes.length - headerLength));
    }

    @Test
    void shouldNumberPacketsFromOneUpwards()
    {
        final SecurityAssociation sa = nullSa(V4_SRC, V4_DST);
        assertEquals(1, sa.nextOutboundSequence());
        for (int i = 1; i <= 20; i++)
        {
            final EspHarness.Outcome out = h.protect(sa, ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(1, 2, payload(i, i))));
            assertEquals(i, u32(out.bytes(), 24), "sequence number of packet " + i);
            assertEquals(SPI, u32(out.bytes(), 20));
            assertEquals(i, h.processor.lastSequence());
        }
    }

    /** Decrypt the protected packet with the JDK and return the plaintext ESP payload (inner + padding + trailer). */
    private static byte[] jdkPlaintext(final SecurityAssociation sa, final byte[] bytes, final int espOffset)
        throws Exception
    {
        final EncryptionAlgorithm algorithm = sa.config().encryptionAlgorithm();
        final int ivLength = algorithm.ivLengthBytes();
        final int icvLength = sa.config().icvLengthBits() / 8;
        final int start = espOffset + 8 + ivLength;
        final byte[] body = Arrays.copyOfRange(bytes, start, bytes.length - icvLength);
        if (algorithm == EncryptionAlgorithm.NULL)
        {
            return body;
        }
        final String name = algorithm == EncryptionAlgorithm.AES_CBC ? "AES" : "DESede";
        final Cipher cipher = Cipher.getInstance(name + "/CBC/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(sa.config().encryptionKey(), name),
            new IvParameterSpec(Arrays.copyOfRange(bytes, espOffset + 8, start)));
        return cipher.doFinal(body);
    }

    /** The separate ciphers; the combined-mode ones are covered by {@code EspAeadTest}. */
    @ParameterizedTest
    @EnumSource(value = EncryptionAlgorithm.class, names = { "NULL", "AES_CBC", "DES_EDE3_CBC" })
    void shouldPadWithOneTwoThreeToTheCipherAlignmentAndEndWithPadLengthAndNextHeader(
        final EncryptionAlgorithm algorithm) throws Exception
    {
        final SecurityAssociation sa = h.sad.add(
            EspHarness.config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA256_128, algorithm).build());
        final int alignment = Math.max(4, algorithm.blockSizeBytes());
        for (int length = 0; length < 3 * alignment; length++)
        {
            final byte[] inner = payload(length, length);
            final EspHarness.Outcome out = h.protect(sa, ipv4(V4_SRC, V4_DST, 253, new byte[0], inner));
            assertEquals(EspVerdict.DELIVER, out.verdict());
            final byte[] plain = jdkPlaintext(sa, out.bytes(), 20);
            assertEquals(0, plain.length % alignment, "padded length aligned, inner " + length);
            final int padLength = plain[plain.length - 2] & 0xFF;
            assertTrue(padLength < alignment, "minimal padding");
            assertEquals(length + padLength + 2, plain.length);
            assertEquals(253, plain[plain.length - 1] & 0xFF, "next header");
            assertEquals(Hex.encode(inner), Hex.encode(plain, 0, length));
            for (int i = 0; i < padLength; i++)
            {
                assertEquals(i + 1, plain[length + i] & 0xFF, "pad byte " + i);
            }
            assertEquals(20 + 8 + algorithm.ivLengthBytes() + plain.length + 16, out.bytes().length);
        }
    }

    @Test
    void shouldProtectOutboundTrafficToAProtectPolicyEvenBehindFinalDestinationOptions()
    {
        // RFC 4301 §4.4.1.1: the "next layer protocol" selector is the protocol after the extension headers.
        final SecurityAssociation sa = nullSa(V6_SRC, V6_DST);
        h.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(),
            PolicyDirection.OUT, PolicyAction.PROTECT, 100, 0,
            List.of(new TemplateConfig(null, null, SPI, 0, false))));
        final byte[] plainUdp = ipv6(V6_SRC, V6_DST, 17, udp(5060, 5060, payload(10, 1)));
        assertEquals(EspVerdict.DELIVER, h.outbound(plainUdp).verdict(), "plain UDP to 5060 is protected");

        final byte[] withOptions = ipv6(V6_SRC, V6_DST, 60, concat(extension(17, 1, 0xD3), udp(5060, 5060, payload(10, 1))));
        final EspHarness.Outcome out = h.outbound(withOptions);
        assertEquals("deliver", EspVerdict.name(out.verdict()),
            "UDP to 5060 behind destination options must not leave in plaintext (reason " + out.reason() + ")");
        assertEquals(2, sa.counters().packets());
    }
}
