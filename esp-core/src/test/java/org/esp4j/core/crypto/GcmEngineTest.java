package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The raw AES-GCM of {@link GcmEngine} on both its paths (the JDK's intrinsics and Java): the published test cases,
 * the JDK's GCM on random inputs, tamper refusal and no allocation per message.
 */
class GcmEngineTest
{
    private static final String K = "feffe9928665731c6d6a8f9467308308";
    private static final String P60 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    private static final String P64 = P60 + "1aafd255";
    private static final String A = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    private static final String N96 = "cafebabefacedbaddecaf888";
    private static final String N64 = "cafebabefacedbad";
    private static final String N480 = "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728" +
        "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b";
    private static final String Z12 = "000000000000000000000000";

    /**
     * Test cases 1 to 18 of McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B (the same
     * values as NIST's GCM test vectors): AES-128, -192 and -256; empty and one-block texts; texts of 64 and 60
     * bytes; AAD of 0 and 20 bytes; nonces of 96, 64 and 480 bits (the last two through GHASH).
     */
    @ParameterizedTest(name = "test case {0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "1|00000000000000000000000000000000|-|-|" + Z12 + "|-|58e2fccefa7e3061367f1d57a4e7455a",
        "2|00000000000000000000000000000000|00000000000000000000000000000000|-|" + Z12 +
            "|0388dace60b6a392f328c2b971b2fe78|ab6e47d42cec13bdf53a67b21257bddf",
        "3|" + K + "|" + P64 + "|-|" + N96 + "|42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985|4d5c2af327cd64a62cf35abd2ba6fab4",
        "4|" + K + "|" + P60 + "|" + A + "|" + N96 + "|42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091|5bc94fbc3221a5db94fae95ae7121a47",
        "5|" + K + "|" + P60 + "|" + A + "|" + N64 + "|61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423" +
            "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598|3612d2e79e3b0785561be14aaca2fccb",
        "6|" + K + "|" + P60 + "|" + A + "|" + N480 + "|8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7" +
            "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5|619cc5aefffe0bfa462af43c1699d050",
        "7|000000000000000000000000000000000000000000000000|-|-|" + Z12 + "|-|cd33b28ac773f74ba00ed1f312572435",
        "8|000000000000000000000000000000000000000000000000|00000000000000000000000000000000|-|" + Z12 +
            "|98e7247c07f0fe411c267e4384b0f600|2ff58d80033927ab8ef4d4587514f0fb",
        "9|" + K + "feffe9928665731c|" + P64 + "|-|" + N96 + "|3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984" +
            "628593b40ca1e19c7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256|" +
            "9924a7c8587336bfb118024db8674a14",
        "10|" + K + "feffe9928665731c|" + P60 + "|" + A + "|" + N96 + "|3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984" +
            "628593b40ca1e19c7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710|2519498e80f1478f37ba55bd6d27618c",
        "11|" + K + "feffe9928665731c|" + P60 + "|" + A + "|" + N64 + "|0f10f599ae14a154ed24b36e25324db8c566632ef2bbb34f" +
            "8347280fc4507057fddc29df9a471f75c66541d4d4dad1c9e93a19a58e8b473fa0f062f7|65dcc57fcf623a24094fcca40d3533f8",
        "12|" + K + "feffe9928665731c|" + P60 + "|" + A + "|" + N480 + "|d27e88681ce3243c4830165a8fdcf9ff1de9a1d8e6b447ef" +
            "6ef7b79828666e4581e79012af34ddd9e2f037589b292db3e67c036745fa22e7e9b7373b|dcf566ff291c25bbb8568fc3d376a6d9",
        "13|0000000000000000000000000000000000000000000000000000000000000000|-|-|" + Z12 +
            "|-|530f8afbc74536b9a963b4f1c4cb738b",
        "14|0000000000000000000000000000000000000000000000000000000000000000|00000000000000000000000000000000|-|" +
            Z12 + "|cea7403d4d606b6e074ec5d3baf39d18|d0d1c8a799996bf0265b98b5d48ab919",
        "15|" + K + K + "|" + P64 + "|-|" + N96 + "|522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad|b094dac5d93471bdec1a502270e3cc6c",
        "16|" + K + K + "|" + P60 + "|" + A + "|" + N96 + "|522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662|76fc6ece0f4e1768cddf8853bb2d551b",
        "17|" + K + K + "|" + P60 + "|" + A + "|" + N64 + "|c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0" +
            "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f|3a337dbf46a792c45e454913fe2ea8f2",
        "18|" + K + K + "|" + P60 + "|" + A + "|" + N480 + "|5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4" +
            "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f|a44a8266ee1c8eb0c8b5d4cf5ae9f19a",
    })
    void shouldReproduceTheGcmSpecificationTestCases(
        final int testCase,
        final String key,
        final String plaintext,
        final String aad,
        final String nonce,
        final String ciphertext,
        final String tag)
    {
        for (final boolean intrinsics : new boolean[]{ true, false })
        {
            final byte[] k = Hex.decode(key);
            final GcmEngine engine = new GcmEngine(k, 0, k.length, intrinsics);
            final byte[] p = hex(plaintext);
            final byte[] a = hex(aad);
            final byte[] data = p.clone();
            final byte[] t = new byte[16];

            engine.encrypt(Hex.decode(nonce), a, 0, a.length, data, 0, data.length, t, 0, 16);

            assertEquals(ciphertext == null ? "" : ciphertext, Hex.encode(data), "ciphertext, intrinsics " + intrinsics);
            assertEquals(tag, Hex.encode(t), "tag, intrinsics " + intrinsics);
            assertTrue(engine.decrypt(Hex.decode(nonce), a, 0, a.length, data, 0, data.length, t, 0, 16));
            assertArrayEquals(p, data, "decrypted, intrinsics " + intrinsics);
        }
    }

    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldRefuseAnyFlippedBitAndLeaveTheCiphertextUntouched(final boolean intrinsics)
    {
        final GcmEngine engine = engine(Hex.decode(K), intrinsics);
        final byte[] nonce = Hex.decode(N96);
        final byte[] aad = Hex.decode(A);
        final byte[] data = Hex.decode(P60);
        final byte[] tag = new byte[16];
        engine.encrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16);

        final byte[][] parts = { aad, data, tag };
        for (final byte[] part : parts)
        {
            for (int bit = 0; bit < part.length * 8; bit++)
            {
                part[bit / 8] ^= (byte)(1 << (bit % 8));
                final byte[] ciphertextBefore = data.clone();
                assertFalse(engine.decrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16),
                    "bit " + bit + " flipped");
                assertArrayEquals(ciphertextBefore, data, "nothing decrypted after a failed check");
                part[bit / 8] ^= (byte)(1 << (bit % 8));
            }
        }
        assertTrue(engine.decrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16));
        assertEquals(P60, Hex.encode(data));
    }

    /**
     * Property: for random keys (128/192/256), 12-byte nonces (and some of other lengths), AAD of 0 to 40 bytes,
     * texts of 0 to 2000 bytes and tag lengths 8, 12 and 16, the ciphertext and tag equal the JDK's
     * {@code AES/GCM/NoPadding}, and decryption gives the plaintext back. Data sits at an odd offset inside a larger
     * array to exercise unaligned access.
     */
    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldAgreeWithTheJdkGcmOnRandomInputs(final boolean intrinsics) throws Exception
    {
        final SplittableRandom random = new SplittableRandom(0x4106_4543L);
        final int[] keyLengths = { 16, 24, 32 };
        final int[] tagLengths = { 8, 12, 16 };
        for (int run = 0; run < 600; run++)
        {
            final byte[] key = bytes(random, keyLengths[random.nextInt(3)]);
            final byte[] nonce = bytes(random, run % 10 == 9 ? 1 + random.nextInt(40) : 12);
            final byte[] aad = bytes(random, random.nextInt(41));
            final int length = run < 100 ? run : random.nextInt(2001);
            final byte[] plaintext = bytes(random, length);
            final int tagLength = tagLengths[random.nextInt(3)];
            final int offset = 1 + random.nextInt(15);
            final byte[] buffer = new byte[offset + length + 20];
            System.arraycopy(plaintext, 0, buffer, offset, length);
            final byte[] tag = new byte[tagLength];

            final GcmEngine engine = engine(key, intrinsics);
            engine.encrypt(nonce, aad, 0, aad.length, buffer, offset, length, tag, 0, tagLength);

            final Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
            // The JDK refuses tags under 96 bits; a truncated tag is the full tag's prefix (SP 800-38D §7.1 step 6).
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            jdk.updateAAD(aad);
            final byte[] expected = jdk.doFinal(plaintext);
            final String what = "run " + run + " key " + key.length + " nonce " + nonce.length + " aad " + aad.length +
                " length " + length + " tag " + tagLength;
            assertEquals(Hex.encode(expected, 0, length), Hex.encode(buffer, offset, length), what);
            assertEquals(Hex.encode(expected, length, tagLength), Hex.encode(tag), what);

            assertTrue(engine.decrypt(nonce, aad, 0, aad.length, buffer, offset, length, tag, 0, tagLength), what);
            assertArrayEquals(plaintext, Arrays.copyOfRange(buffer, offset, offset + length), what);
        }
    }

    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldAllocateNothingPerMessage(final boolean intrinsics)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final GcmEngine engine = engine(Hex.decode(K), intrinsics);
        final byte[] nonce = Hex.decode(N96);
        final byte[] aad = Hex.decode(A);
        final byte[] data = new byte[1400];
        final byte[] tag = new byte[16];
        for (int i = 0; i < 20_000; i++)
        {
            engine.encrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16);
            engine.decrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++)
        {
            engine.encrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16);
            engine.decrypt(nonce, aad, 0, aad.length, data, 0, data.length, tag, 0, 16);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // 20,000 messages: even one small object each would be hundreds of kilobytes.
        assertTrue(allocated < 16 * 1024, "allocated " + allocated + " bytes for 20000 messages");
    }

    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldWipeTheHashKeyOnDestroy(final boolean intrinsics) throws Exception
    {
        final GcmEngine engine = engine(Hex.decode(K), intrinsics);
        final byte[] nonce = Hex.decode(N96);
        final byte[] tag = new byte[16];
        engine.destroy();
        engine.encrypt(nonce, new byte[0], 0, 0, new byte[32], 0, 32, tag, 0, 16);

        // With the H-derived tables zeroed every product is 0, so the tag is E(K, J0) alone: nothing of H is left.
        final Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Hex.decode(K), "AES"));
        assertEquals(Hex.encode(ecb.doFinal(Hex.decode(N96 + "00000001"))), Hex.encode(tag));
    }

    /**
     * SP 800-38D §6.2 inc32: the counter's low 32 bits wrap to 0 and the upper 96 stay as they are (the JDK's
     * {@code CounterMode} would carry into them, so the intrinsic path must not take it across the wrap). Expected:
     * the JDK's AES-ECB over the counter blocks written out by hand.
     */
    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldWrapOnlyTheLow32BitsOfTheCounter(final boolean intrinsics) throws Exception
    {
        final byte[] key = Hex.decode(K);
        final GcmEngine engine = engine(key, intrinsics);
        final byte[] data = new byte[64 + 7];
        engine.start(0x0102030405060708L, 0x090a0b0cfffffffeL);
        engine.crypt(data, 0, data.length);

        final Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        final byte[] expected = ecb.doFinal(Hex.decode(
            "0102030405060708090a0b0cffffffff" + "0102030405060708090a0b0c00000000" +
            "0102030405060708090a0b0c00000001" + "0102030405060708090a0b0c00000002" +
            "0102030405060708090a0b0c00000003"));
        assertEquals(Hex.encode(expected, 0, data.length), Hex.encode(data));
    }

    private static GcmEngine engine(final byte[] key, final boolean intrinsics)
    {
        final GcmEngine engine = new GcmEngine(key, 0, key.length, intrinsics);
        assertEquals(intrinsics, engine.intrinsics());
        return engine;
    }

    private static byte[] hex(final String text)
    {
        return text == null ? new byte[0] : Hex.decode(text);
    }

    private static byte[] bytes(final SplittableRandom random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
