package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AesGcmTransform} against the ESP packets of draft-mcgrew-gcm-test-01 §4 (AES-GCM-ESP per RFC 4106 and
 * AES-GMAC-ESP per RFC 4543), byte for byte, in both directions; tampering; truncated ICVs; the default IVs.
 * <p>
 * In the draft, {@code nonce} is the salt (first 4 bytes, the end of the key material) followed by the packet's IV,
 * and an 8-byte {@code seq} means an extended sequence number (only its low half is in the packet).
 */
class AesGcmTransformTest
{
    private static final String DRAFT_VECTORS = """
        1|GCM|4c80cdefbb5d10da906ac73c3613a634|00004321|8765432100000000|2e443b684956ed7e3b244cfe|\
        45000048699a000080114db7c0a80102c0a801010a9bf15638d301000001000000000000045f736970045f75647003736970\
        0963796265726369747902646b000021000101020201|\
        00004321000000004956ed7e3b244cfefecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34\
        cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe72\
        2fd04796562dfdb4
        2|GCM|feffe9928665731c6d6a8f9467308308|0000a5f8|0000000a|cafebabefacedbaddecaf888|\
        4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265\
        726369747902646b00000100010001|\
        0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c\
        3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a
        3|GCM|abbccddef00112233445566778899aababbccddef00112233445566778899aab|4a2cbfe3|00000002|\
        112233440102030405060708|\
        4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b40101040201020201|\
        4a2cbfe3000000020102030405060708ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763\
        748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c4915956c96
        4|GCM|00000000000000000000000000000000|00000000|00000001|000000000000000000000000|\
        4500003c99c500008001cb7a40679318010101010800075c020044006162636465666768696a6b6c6d6e6f7071727374\
        75767761626364656667686901020201|\
        000000000000000100000000000000004688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284\
        456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3f821d496eeb096e98ad2b69e4799c71d
        5|GCM|3de09874b388e6491988d0c3607eae1f|42f67e3f|1010101010101010|57690e434e280000a2fca1a3|\
        4500003c99c300008001cb7c40679318010101010800085c020043006162636465666768696a6b6c6d6e6f7071727374\
        75767761626364656667686901020201|\
        42f67e3f101010104e280000a2fca1a3fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917\
        65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320ae0d731cc978ecafaeae88f00e80d6e48
        6|GCM|3de09874b388e6491988d0c3607eae1f|42f67e3f|1010101010101010|57690e434e280000a2fca1a3|\
        4500001c42a200008001441f406793b6e00000020a00f5ff01020201|\
        42f67e3f101010104e280000a2fca1a3fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f\
        35e034be95f112e4e7d05d35
        7|GCM|feffe9928665731c6d6a8f9467308308feffe9928665731c|0000a5f8|0000000a|cafebabefacedbaddecaf888|\
        45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001|\
        0000a5f80000000afacedbaddecaf888a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0\
        315b27452144cc7795457b9652037f5318027b5b4cd7a636
        8|GCM|abbccddef00112233445566778899aab|00000100|0000000000000001|decaf888cafedebaceface74|\
        4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d500004e20001e8c18d75b81dc91baa047\
        6b91b924b280389d92c963bac046ec959b6266c04722b14923010101|\
        0000010000000001cafedebaceface7418a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f\
        9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68651f57e6\
        5f354f75ff17015769623436
        9|GCM|abbccddef00112233445566778899aababbccddef00112233445566778899aab|17405e67|156f3126dd0db99b|\
        73616c74616e640169766563|\
        45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb71260250101f646d540001|\
        17405e67dd0db99b616e640169766563f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f\
        f4d3a31ce673119e451626c2415771e3b7eebca614c89b35
        10|GCM|3de09874b388e6491988d0c3607eae1f|42f67e3f|1010101010101010|57690e434e280000a2fca1a3|\
        45000049333e00007f119182c3fb1d10c2b1d326c02831ce0035cb458003025b000001e0001e8c18d65759d52284a035\
        2c71475c8880391c764d6e5ee0496b325ae270c03899493915010101|\
        42f67e3f101010104e280000a2fca1a3fba2cad12fc1f9f00d3cebf305410db83d7784b607323d220f24b0a97d541828\
        00cadb0f68d99ef0e0c0c89ae9bea8884e52d65bc1afd0740f742444747b5b39ab533163aad4550ee5160975cdb608c5\
        769189609763b8e18caa81e2
        11|GCM|abbccddef00112233445566778899aababbccddef00112233445566778899aab|17405e67|156f3126dd0db99b|\
        73616c74616e640169766563|\
        636973636f0172756c657301746865016e6574776501646566696e6501746865746563686e6f6c6f6769657301746861\
        7477696c6c01646566696e65746f6d6f72726f7701020201|\
        17405e67dd0db99b616e640169766563d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18\
        d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b012a49363412364f8c0cac587f249e56b\
        11e24f30e44ccc76
        12|GCM|7d773d00c144c525ac619d18c84a3f47|335467ae|ffffffff|d966426743457e9182443bc6|01020201|\
        335467aeffffffff43457e9182443bc6437f866bcb3f699fe9b0822bac961c4504bef270
        13|GCM|abbccddef00112233445566778899aab|00000100|0000000000000001|decaf888cafedebaceface74|\
        746f016265016f72016e6f7401746f0162650001|\
        0000010000000001cafedebaceface7429c9fc69a197d038ccdd14e2ddfcaa0543332164412503524303ed3c6c5f2838\
        43af8c3e
        14|GCM|6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961|796b6963|ffffffffffffffff|\
        7475726e333021696765746d|\
        45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374\
        01020201|\
        796b6963ffffffff333021696765746df97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86\
        4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a329fb4c053
        15|GMAC|4c80cdefbb5d10da906ac73c3613a634|00004321|00000007|22433c640000000000000000|\
        45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374\
        01020201|\
        0000432100000007000000000000000045000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364\
        65666768696a6b6c6d6e6f707172737401020201f2a9a836e155106aa8dcd618e4099aaa
        16|GCM|3de09874b388e6491988d0c3607eae1f|3f7ef642|1010101010101010|57690e434e280000a2fca1a3|\
        45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374\
        01020201|\
        3f7ef642101010104e280000a2fca1a3fba2caa8c6c5f9f0f22ca54a061210ad3f6e5791cf1aca210d117cec9c357917\
        65acbd8701ad79845bf9fe3fba487bc96321930684eecadb56912546e7a95c9740d7cb05
        17|GCM|4c80cdefbb5d10da906ac73c3613a634|00004321|8765432100000007|22433c644855ec7d3a234bfd|\
        0800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201|\
        00004321000000074855ec7d3a234bfd74752e8aeb5d873cd7c0f4acc36c4bff84b7d7b98f0ca8b6acda6894bc619069\
        ef9cbc28fe1b56a7c4e0d58c86cd2bc0
        """;

    private static final int HEADER = 16; // SPI, sequence number, IV

    /** One draft vector, ready to run. */
    private record Vector(boolean gcm, byte[] keyMaterial, boolean esn, long sequence, byte[] iv, byte[] plaintext,
        byte[] packet)
    {
        static Vector of(final String algorithm, final String key, final String spi, final String seq,
            final String nonce, final String plaintext, final String packet)
        {
            final byte[] n = Hex.decode(nonce);
            final byte[] keyMaterial = Hex.decode(key + nonce.substring(0, 8));
            final byte[] p = Hex.decode(packet);
            assertEquals(spi, Hex.encode(p, 0, 4), "the draft's spi field is the packet's");
            return new Vector("GCM".equals(algorithm), keyMaterial, seq.length() == 16, Long.parseUnsignedLong(seq, 16),
                Arrays.copyOfRange(n, 4, 12), Hex.decode(plaintext), p);
        }

        AesGcmTransform transform(final int icvLength)
        {
            return new AesGcmTransform(keyMaterial, icvLength, gcm, fixedIv(iv));
        }

        AesGcmTransform transform(final int icvLength, final boolean intrinsics)
        {
            return new AesGcmTransform(keyMaterial, icvLength, gcm, fixedIv(iv), intrinsics);
        }

        int icvLength()
        {
            return packet.length - HEADER - plaintext.length;
        }
    }

    @ParameterizedTest(name = "draft-mcgrew-gcm-test-01 vector {0} ({1})")
    @CsvSource(delimiter = '|', textBlock = DRAFT_VECTORS)
    void shouldProtectTheDraftPacketsByteForByte(
        final int number, final String algorithm, final String key, final String spi, final String seq,
        final String nonce, final String plaintext, final String packet)
    {
        final Vector v = Vector.of(algorithm, key, spi, seq, nonce, plaintext, packet);
        assertEquals(16, v.icvLength());
        for (final boolean intrinsics : new boolean[]{ true, false })
        {
            final byte[] array = new byte[v.packet.length];
            System.arraycopy(v.packet, 0, array, 0, 8); // SPI and sequence number, as the packet code writes them
            System.arraycopy(v.plaintext, 0, array, HEADER, v.plaintext.length);

            v.transform(16, intrinsics).protect(array, 0, HEADER, v.plaintext.length, v.esn, v.sequence);

            assertEquals(Hex.encode(v.packet), Hex.encode(array), "intrinsics " + intrinsics);
        }
    }

    @ParameterizedTest(name = "draft-mcgrew-gcm-test-01 vector {0} ({1})")
    @CsvSource(delimiter = '|', textBlock = DRAFT_VECTORS)
    void shouldVerifyAndDecryptTheDraftPackets(
        final int number, final String algorithm, final String key, final String spi, final String seq,
        final String nonce, final String plaintext, final String packet)
    {
        final Vector v = Vector.of(algorithm, key, spi, seq, nonce, plaintext, packet);
        for (final boolean intrinsics : new boolean[]{ true, false })
        {
            final AesGcmTransform transform = v.transform(16, intrinsics);
            final byte[] array = v.packet.clone();

            assertTrue(transform.verify(array, 0, HEADER, v.plaintext.length, v.esn, v.sequence));
            assertArrayEquals(v.packet, array, "verify must not change the packet");
            transform.decrypt(array, 0, HEADER, v.plaintext.length);

            assertEquals(Hex.encode(v.plaintext), Hex.encode(array, HEADER, v.plaintext.length),
                "intrinsics " + intrinsics);
        }
    }

    @ParameterizedTest(name = "draft-mcgrew-gcm-test-01 vector {0} ({1})")
    @CsvSource(delimiter = '|', textBlock = DRAFT_VECTORS)
    void shouldRefuseTheDraftPacketWithAnyByteFlipped(
        final int number, final String algorithm, final String key, final String spi, final String seq,
        final String nonce, final String plaintext, final String packet)
    {
        final Vector v = Vector.of(algorithm, key, spi, seq, nonce, plaintext, packet);
        final AesGcmTransform transform = v.transform(16);
        // Every byte is covered: SPI and sequence number (AAD), IV (nonce), payload and ICV.
        for (int i = 0; i < v.packet.length; i++)
        {
            final byte[] array = v.packet.clone();
            array[i] ^= (byte)0x01;
            assertFalse(transform.verify(array, 0, HEADER, v.plaintext.length, v.esn, v.sequence), "byte " + i);
        }
        // The ESN high half is not sent but authenticated (RFC 4106 §5 / RFC 4543 §3).
        if (v.esn)
        {
            assertFalse(transform.verify(v.packet.clone(), 0, HEADER, v.plaintext.length, true,
                v.sequence + (1L << 32)));
        }
        assertTrue(transform.verify(v.packet.clone(), 0, HEADER, v.plaintext.length, v.esn, v.sequence));
    }

    /**
     * RFC 4106 §6: an 8- or 12-byte ICV is the start of the full tag, so the draft's 16-byte packets give the
     * expected truncated ICVs too.
     */
    @ParameterizedTest(name = "ICV {0} bytes")
    @CsvSource({ "8", "12" })
    void shouldSendTheFirstBytesOfTheTagAsATruncatedIcv(final int icvLength)
    {
        final Vector v = Vector.of("GCM", "feffe9928665731c6d6a8f9467308308", "0000a5f8", "0000000a",
            "cafebabefacedbaddecaf888",
            "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265" +
            "726369747902646b00000100010001",
            "0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c" +
            "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a");
        final AesGcmTransform transform = v.transform(icvLength);
        final int length = HEADER + v.plaintext.length;
        final byte[] array = new byte[length + icvLength];
        System.arraycopy(v.packet, 0, array, 0, 8);
        System.arraycopy(v.plaintext, 0, array, HEADER, v.plaintext.length);

        transform.protect(array, 0, HEADER, v.plaintext.length, false, v.sequence);

        assertEquals(icvLength, transform.icvLength());
        assertEquals(Hex.encode(v.packet, 0, length + icvLength), Hex.encode(array));
        assertTrue(transform.verify(array, 0, HEADER, v.plaintext.length, false, v.sequence));
        array[array.length - 1] ^= 0x40;
        assertFalse(transform.verify(array, 0, HEADER, v.plaintext.length, false, v.sequence));
    }

    @Test
    void shouldLeaveTheGmacPayloadInClear()
    {
        final byte[] keyMaterial = Hex.decode("4c80cdefbb5d10da906ac73c3613a634" + "22433c64");
        final AesGcmTransform gmac = new AesGcmTransform(keyMaterial, 16, false, new SequenceIvSource(0x4321));
        final byte[] payload = Hex.decode("0800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201");
        final byte[] array = new byte[HEADER + payload.length + 16];
        System.arraycopy(payload, 0, array, HEADER, payload.length);

        gmac.protect(array, 0, HEADER, payload.length, false, 1);

        assertEquals(Hex.encode(payload), Hex.encode(array, HEADER, payload.length));
        assertTrue(gmac.verify(array, 0, HEADER, payload.length, false, 1));
        gmac.decrypt(array, 0, HEADER, payload.length);
        assertEquals(Hex.encode(payload), Hex.encode(array, HEADER, payload.length));
    }

    /** The default IV: the sequence number XORed with the SA's 64-bit salt ({@link SequenceIvSource}). */
    @Test
    void shouldDeriveTheIvFromSequenceNumberXorSalt()
    {
        final byte[] iv = new byte[8];
        new SequenceIvSource(0x8000_0001_0000_0000L).nextIv(5, iv, 0, 8);
        assertEquals("8000000100000005", Hex.encode(iv));
        new SequenceIvSource(0x8000_0001_0000_0000L).nextIv(0x1_0000_0007L, iv, 0, 8);
        assertEquals("8000000000000007", Hex.encode(iv), "ESN: the high half too");
        new SequenceIvSource(0x0123_4567_89ab_cdefL).nextIv(1, iv, 0, 8);
        assertEquals("0123456789abcdee", Hex.encode(iv));
    }

    @Test
    void shouldRefuseIcvLengthsOtherThan8To16InStepsOf4()
    {
        final byte[] keyMaterial = new byte[20];
        for (final int icvLength : new int[]{ 0, 4, 10, 20 })
        {
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> new AesGcmTransform(keyMaterial, icvLength, true, null));
            assertEquals("AES-GCM ICV must be 8, 12 or 16 bytes, got " + icvLength, ex.getMessage());
        }
    }

    private static IvSource fixedIv(final byte[] iv)
    {
        return (sequence, array, offset, length) -> System.arraycopy(iv, 0, array, offset, length);
    }
}
