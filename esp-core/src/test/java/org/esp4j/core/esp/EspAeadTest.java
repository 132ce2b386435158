package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Combined-mode SAs (RFC 4106 AES-GCM, RFC 4543 AES-GMAC) through {@link EspProcessor}: reference packets byte for
 * byte, the JDK's own GCM reading what esp4j sends, and tampered packets dropped and counted. Round trips for every
 * combination of ESN, UDP encapsulation and IP version are in {@link EspRoundTripTest}.
 */
class EspAeadTest
{
    static Stream<Arguments> aeads()
    {
        return Stream.of(EncryptionAlgorithm.values()).filter(EncryptionAlgorithm::combinedMode)
            .flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    /**
     * Three ESP packets of draft-mcgrew-gcm-test-01 §4, sent by the processor inside an IPv4 header whose protocol
     * is the packet's next header: the bytes behind the IPv4 header are the draft's packet. The receiving SA gives
     * the IPv4 packet back. (The draft's trailers are ESP's own 1, 2, ... padding to 4 bytes, so the processor pads
     * exactly as the draft did.)
     */
    @ParameterizedTest(name = "{0} esn={3}")
    @CsvSource(delimiter = '|', textBlock = """
        AES_GCM_16|feffe9928665731c6d6a8f9467308308|cafebabe|false|0000000a|facedbaddecaf888|\
        4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265\
        726369747902646b00000100010001|\
        0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c\
        3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a
        AES_GCM_16|abbccddef00112233445566778899aab|decaf888|true|0000000000000001|cafedebaceface74|\
        4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d500004e20001e8c18d75b81dc91baa047\
        6b91b924b280389d92c963bac046ec959b6266c04722b14923010101|\
        0000010000000001cafedebaceface7418a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f\
        9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68651f57e6\
        5f354f75ff17015769623436
        AES_GMAC|4c80cdefbb5d10da906ac73c3613a634|22433c64|false|00000007|0000000000000000|\
        45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374\
        01020201|\
        0000432100000007000000000000000045000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364\
        65666768696a6b6c6d6e6f707172737401020201f2a9a836e155106aa8dcd618e4099aaa
        """)
    void shouldSendTheDraftPacketsByteForByteAndTakeThemBack(
        final EncryptionAlgorithm algorithm,
        final String key,
        final String salt,
        final boolean esn,
        final String sequence,
        final String iv,
        final String plaintext,
        final String packet)
    {
        final byte[] trailer = Hex.decode(plaintext);
        final int nextHeader = trailer[trailer.length - 1] & 0xFF;
        final int padLength = trailer[trailer.length - 2] & 0xFF;
        final byte[] inner = Arrays.copyOf(trailer, trailer.length - padLength - 2);
        final byte[] ipPacket = ipv4(V4_SRC, V4_DST, nextHeader, new byte[0], inner);
        final byte[] expectedEsp = Hex.decode(packet);
        final long spi = u32(expectedEsp, 0);
        final SaConfig config = SaConfig.builder()
            .source(EspTestSupport.address(V4_SRC)).destination(EspTestSupport.address(V4_DST)).spi(spi).esn(esn)
            .encryption(algorithm, Hex.decode(key + salt)).build();
        final EspHarness sender = new EspHarness();
        final SecurityAssociation out = sender.sad.add(config);
        out.nextOutboundSequence(Long.parseUnsignedLong(sequence, 16));
        final byte[] ivBytes = Hex.decode(iv);
        out.ivSource((seq, array, offset, length) -> System.arraycopy(ivBytes, 0, array, offset, length));

        final EspHarness.Outcome sent = sender.protect(out, ipPacket);

        assertEquals(EspVerdict.DELIVER, sent.verdict(), String.valueOf(sent.reason()));
        assertEquals(Hex.encode(expectedEsp), Hex.encode(sent.bytes(), 20, sent.bytes().length - 20));
        assertEquals(50, sent.bytes()[9], "IPv4 protocol ESP");

        final EspHarness receiver = new EspHarness();
        final SecurityAssociation in = receiver.sad.add(config);
        final EspHarness.Outcome back = receiver.inbound(sent.bytes());
        assertEquals("deliver", EspVerdict.name(back.verdict()), String.valueOf(back.reason()));
        assertEquals(Hex.encode(ipPacket), Hex.encode(back.bytes()));
        assertEquals(1, in.counters().packets());
    }

    /**
     * Flip any byte of the ESP packet (SPI to ICV): it is dropped and counted against exactly one counter, the
     * packet is not decrypted, and the SA still takes the genuine packet afterwards. A changed SPI finds no SA; every
     * other byte is authenticated (for GMAC the clear payload too) and fails the ICV check.
     */
    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("aeads")
    void shouldDropEveryTamperedPacketAsIntegrityFailureWithoutDecryptingIt(
        final EncryptionAlgorithm algorithm, final boolean esn)
    {
        final SaConfig config = EspHarness.config(V4_SRC, V4_DST, 0x4000_0001L, IntegrityAlgorithm.NONE, algorithm)
            .esn(esn).build();
        final EspHarness sender = new EspHarness();
        final EspHarness receiver = new EspHarness();
        final SecurityAssociation out = sender.sad.add(config);
        final SecurityAssociation in = receiver.sad.add(config);
        final byte[] esp = sender.protect(out, ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(5060, 5060, payload(37, 3))))
            .bytes();

        long failures = 0;
        for (int i = 20; i < esp.length; i++)
        {
            final byte[] tampered = esp.clone();
            tampered[i] ^= (byte)0x80;
            final Map<XfrmCounter, Long> before = receiver.snapshot();
            final EspHarness.Outcome outcome = receiver.inbound(tampered);
            assertEquals("drop", EspVerdict.name(outcome.verdict()), "byte " + i);
            final XfrmCounter expected = i < 24 ? XfrmCounter.XfrmInNoStates : XfrmCounter.XfrmInStateProtoError;
            receiver.assertOnlyMovedByOne(before, expected);
            assertEquals(Hex.encode(tampered), Hex.encode(outcome.bytes()), "byte " + i + ": packet left as it came");
            failures += i < 24 ? 0 : 1;
            assertEquals(failures, in.counters().integrityFailures(), "byte " + i);
        }
        assertEquals(0, in.counters().packets());
        assertEquals("deliver", EspVerdict.name(receiver.inbound(esp).verdict()));
    }

    /**
     * The JDK's {@code AES/GCM/NoPadding} decrypts what esp4j sends, given the RFC 4106 §5 AAD (for ESN the high
     * half of the sequence number first) and nonce {@code salt || IV}; the padding is ESP's 1, 2, 3, ... to 4 bytes.
     * For GMAC the JDK verifies the tag over the RFC 4543 AAD with an empty plaintext. An independent check of the
     * layout, for ESN too, where the draft has no GMAC packet.
     */
    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("aeads")
    void shouldSendPacketsTheJdkGcmAccepts(final EncryptionAlgorithm algorithm, final boolean esn) throws Exception
    {
        final SaConfig config = EspHarness.config(V6_SRC, V6_DST, 0x4000_0002L, IntegrityAlgorithm.NONE, algorithm)
            .esn(esn).build();
        final EspHarness sender = new EspHarness();
        final SecurityAssociation out = sender.sad.add(config);
        out.nextOutboundSequence(esn ? 0x0000_0007_FFFF_FFFEL : 0xFFFF_FFF0L);
        final byte[] keyMaterial = config.encryptionKey();
        final SecretKeySpec key = new SecretKeySpec(keyMaterial, 0, keyMaterial.length - 4, "AES");
        final int icvLength = algorithm.icvLengthBytes();

        for (int length = 0; length < 12; length++)
        {
            final byte[] inner = udp(1000, 2000, payload(length, length));
            final EspHarness.Outcome sent = sender.protect(out, ipv6(V6_SRC, V6_DST, 17, inner));
            final byte[] esp = Arrays.copyOfRange(sent.bytes(), 40, sent.bytes().length);
            final long sequence = sender.processor.lastSequence();
            final int cipherLength = esp.length - 16 - icvLength;
            assertEquals(0, cipherLength % 4, "4-byte alignment");

            final byte[] nonce = new byte[12];
            System.arraycopy(keyMaterial, keyMaterial.length - 4, nonce, 0, 4);
            System.arraycopy(esp, 8, nonce, 4, 8);
            final byte[] header = esn ? Hex.decode(Hex.encode(esp, 0, 4) + String.format("%016x", sequence)) :
                Arrays.copyOf(esp, 8);
            assertEquals(sequence & 0xFFFF_FFFFL, u32(esp, 4), "only the low half is sent");

            final Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
            jdk.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            final byte[] tag = fullTagFromJdk(algorithm, key, nonce, header, esp, cipherLength, esn);
            // Compare our (possibly truncated) ICV with the start of the JDK's full tag, then let the JDK decrypt.
            assertEquals(Hex.encode(tag, 0, icvLength), Hex.encode(esp, esp.length - icvLength, icvLength));
            if (algorithm == EncryptionAlgorithm.AES_GMAC)
            {
                assertEquals(Hex.encode(inner), Hex.encode(esp, 16, inner.length), "GMAC payload is in clear");
                continue;
            }
            jdk.updateAAD(header);
            jdk.update(esp, 16, cipherLength);
            final byte[] plain = jdk.doFinal(tag);
            assertEquals(Hex.encode(inner), Hex.encode(plain, 0, inner.length));
            final int padLength = plain[plain.length - 2];
            assertEquals(plain.length, inner.length + padLength + 2);
            for (int i = 0; i < padLength; i++)
            {
                assertEquals(i + 1, plain[inner.length + i], "pad byte " + i);
            }
            assertEquals(17, plain[plain.length - 1], "next header");
        }
    }

    @Test
    void shouldRefuseAnHmacNextToACombinedModeAlgorithm()
    {
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> EspHarness.config(V4_SRC, V4_DST, 0x4000_0003L, IntegrityAlgorithm.HMAC_SHA1_96,
                EncryptionAlgorithm.AES_GCM_16).build());
        assertEquals("auth hmac(sha1) cannot be used with aead rfc4106(gcm(aes)): its ICV is the integrity check " +
            "(RFC 4303 3.2.3)", ex.getMessage());
    }

    @Test
    void shouldRefuseAKeyWithoutSaltAndNameNoKeyBytes()
    {
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> SaConfig.builder().encryption(EncryptionAlgorithm.AES_GCM_12, Hex.decode("00112233445566778899aabbccddeeff")));
        assertEquals("aead key for rfc4106(gcm(aes)) must be 128, 192 or 256 bits of AES key followed by a 32-bit " +
            "salt (160, 224 or 288 bits in all), got 128", ex.getMessage());
    }

    @Test
    void shouldDescribeAnAeadSaWithoutKeysAndWithItsIcvLength()
    {
        final SaConfig config = EspHarness.config(V4_SRC, V4_DST, 0x4000_0004L, IntegrityAlgorithm.NONE,
            EncryptionAlgorithm.AES_GCM_8).build();
        assertEquals(IntegrityAlgorithm.NONE, config.integrityAlgorithm());
        assertEquals(64, config.icvLengthBits());
        assertTrue(config.isAead());
        final String text = config.toString();
        assertTrue(text.contains(" aead rfc4106(gcm(aes))/64 "), text);
        assertFalse(text.contains(Hex.encode(config.encryptionKey())), "no key in toString");
        assertEquals("aead rfc4106(gcm(aes)) 0x" + Hex.encode(config.encryptionKey()) + " 64", config.describeKeys());
    }

    /** The JDK computes the full 16-byte tag over the same inputs (its API refuses tags under 12 bytes). */
    private static byte[] fullTagFromJdk(final EncryptionAlgorithm algorithm, final SecretKeySpec key,
        final byte[] nonce, final byte[] header, final byte[] esp, final int cipherLength, final boolean esn)
        throws Exception
    {
        final Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
        if (algorithm == EncryptionAlgorithm.AES_GMAC)
        {
            // RFC 4543: AAD = SPI || sequence number(s) || IV || payload ... next header; nothing is encrypted.
            jdk.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            jdk.updateAAD(header);
            jdk.updateAAD(esp, 8, 8 + cipherLength);
            return jdk.doFinal();
        }
        // Decrypting our ciphertext back and re-encrypting it gives the full tag for the same AAD and nonce.
        final Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
        final byte[] counter = Arrays.copyOf(nonce, 16);
        counter[15] = 2;
        ctr.init(Cipher.DECRYPT_MODE, key, new javax.crypto.spec.IvParameterSpec(counter));
        final byte[] plain = ctr.doFinal(esp, 16, cipherLength);
        jdk.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        jdk.updateAAD(header);
        final byte[] sealed = jdk.doFinal(plain);
        assertEquals(Hex.encode(esp, 16, cipherLength), Hex.encode(sealed, 0, cipherLength), "same ciphertext");
        return Arrays.copyOfRange(sealed, cipherLength, sealed.length);
    }
}
