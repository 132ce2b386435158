package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AES-GCM and AES-GMAC at every plaintext length from 0 to 300 bytes, on both paths of {@link GcmEngine} (the JDK's
 * intrinsics and Java), against values from outside the project: pyca/cryptography's AES-GCM
 * ({@code vectors/gcm/esp_gcm_lengths.txt}, made by {@code make_esp_gcm_lengths.py} beside it, which documents the
 * inputs) and the JDK's {@code AES/GCM/NoPadding}.
 * <p>
 * One JDK release shipped a GCM intrinsic that was wrong for some lengths. An intrinsic replaces the Java code only
 * once C2 compiles the caller, so every sweep is repeated {@value #ROUNDS} times and checked each time: the first
 * rounds run interpreted, the later ones on the compiled stubs (tens of thousands of calls, beyond C2's thresholds).
 */
class AesGcmLengthsTest
{
    private static final int ROUNDS = 10;
    private static final int MAX_LENGTH = 300;
    /** SPI, sequence number, IV. */
    private static final int HEADER = 16;
    /** An odd offset, so no access is aligned by accident. */
    private static final int BASE = 3;
    private static final byte[] SPI = Hex.decode("8a0b0c0d");
    private static final long SEQUENCE_HIGH = 2;
    /** AAD lengths around the block boundaries, for the raw engine. */
    private static final int[] AAD_LENGTHS = { 0, 1, 8, 12, 15, 16, 17, 20, 31, 32, 33 };

    /** One line of the vector file. */
    private record Vector(int length, byte[] keyMaterial, byte[] iv, byte[] ciphertext, byte[] gcmTag,
        byte[] gcmEsnTag, byte[] gmacTag, byte[] gmacEsnTag)
    {
        static Vector parse(final String line)
        {
            final String[] f = line.split(" ");
            assertEquals(8, f.length, line);
            return new Vector(Integer.parseInt(f[0]), Hex.decode(f[1]), Hex.decode(f[2]),
                "-".equals(f[3]) ? new byte[0] : Hex.decode(f[3]), Hex.decode(f[4]), Hex.decode(f[5]),
                Hex.decode(f[6]), Hex.decode(f[7]));
        }

        /** Byte i = (i * 7 + L) & 0xff, as the script makes it. */
        byte[] plaintext()
        {
            final byte[] plaintext = new byte[length];
            for (int i = 0; i < length; i++)
            {
                plaintext[i] = (byte)(i * 7 + length);
            }
            return plaintext;
        }

        long sequence()
        {
            return (SEQUENCE_HIGH << 32) | (0xFFFF_FFF0L + length % 16);
        }
    }

    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldProtectLikeCryptographyAtEveryLengthFrom0To300WithAndWithoutEsnAndEveryIcvLength(
        final boolean intrinsics) throws IOException
    {
        final List<Vector> vectors = vectors();
        assertEquals(MAX_LENGTH + 1, vectors.size());
        final List<AesGcmTransform[]> transforms = new ArrayList<>();
        for (final Vector v : vectors)
        {
            final IvSource iv = (sequence, array, offset, length) -> System.arraycopy(v.iv, 0, array, offset, length);
            transforms.add(new AesGcmTransform[]{
                new AesGcmTransform(v.keyMaterial, 8, true, iv, intrinsics),
                new AesGcmTransform(v.keyMaterial, 12, true, iv, intrinsics),
                new AesGcmTransform(v.keyMaterial, 16, true, iv, intrinsics),
                new AesGcmTransform(v.keyMaterial, 16, false, iv, intrinsics) });
        }
        for (int round = 0; round < ROUNDS; round++)
        {
            for (int i = 0; i < vectors.size(); i++)
            {
                final Vector v = vectors.get(i);
                for (final boolean esn : new boolean[]{ false, true })
                {
                    for (final AesGcmTransform gcm : new AesGcmTransform[]{
                        transforms.get(i)[0], transforms.get(i)[1], transforms.get(i)[2] })
                    {
                        check(v, gcm, true, esn, esn ? v.gcmEsnTag : v.gcmTag, round);
                    }
                    check(v, transforms.get(i)[3], false, esn, esn ? v.gmacEsnTag : v.gmacTag, round);
                }
            }
        }
    }

    /**
     * The raw engine against the JDK's GCM: every text length from 0 to 300 with AAD of 0, 1, 8, 12, 15, 16, 17, 20,
     * 31, 32 and 33 bytes, 16-byte tags (shorter ones are prefixes, checked above).
     */
    @ParameterizedTest(name = "intrinsics {0}")
    @ValueSource(booleans = { true, false })
    void shouldAgreeWithTheJdkGcmAtEveryLengthFrom0To300AroundAadBlockBoundaries(final boolean intrinsics)
        throws Exception
    {
        final byte[] key = Hex.decode("000102030405060708090a0b0c0d0e0f");
        final GcmEngine engine = new GcmEngine(key, 0, key.length, intrinsics);
        final Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
        final byte[] aadSource = new byte[BASE + 40];
        for (int i = 0; i < aadSource.length; i++)
        {
            aadSource[i] = (byte)(0xA5 ^ i * 11);
        }
        final byte[] buffer = new byte[BASE + MAX_LENGTH + 16];
        final byte[] tag = new byte[16];
        final byte[] nonce = new byte[12];
        // The JDK's own GCM runs interpreted first and compiled later too; its results are computed once.
        final byte[][][] expected = new byte[MAX_LENGTH + 1][AAD_LENGTHS.length][];
        for (int round = 0; round < 3; round++)
        {
            for (int length = 0; length <= MAX_LENGTH; length++)
            {
                for (int a = 0; a < AAD_LENGTHS.length; a++)
                {
                    final int aadLength = AAD_LENGTHS[a];
                    nonce[0] = (byte)length;
                    nonce[11] = (byte)aadLength;
                    final byte[] plaintext = new byte[length];
                    for (int i = 0; i < length; i++)
                    {
                        plaintext[i] = (byte)(i * 5 + aadLength);
                    }
                    if (expected[length][a] == null)
                    {
                        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
                        jdk.updateAAD(aadSource, BASE, aadLength);
                        expected[length][a] = jdk.doFinal(plaintext);
                    }
                    System.arraycopy(plaintext, 0, buffer, BASE, length);

                    engine.encrypt(nonce, aadSource, BASE, aadLength, buffer, BASE, length, tag, 0, 16);

                    final String what = "round " + round + " length " + length + " aad " + aadLength;
                    assertEquals(Hex.encode(expected[length][a], 0, length), Hex.encode(buffer, BASE, length), what);
                    assertEquals(Hex.encode(expected[length][a], length, 16), Hex.encode(tag), what);
                    assertTrue(engine.decrypt(nonce, aadSource, BASE, aadLength, buffer, BASE, length, tag, 0, 16),
                        what);
                    assertEquals(Hex.encode(plaintext), Hex.encode(buffer, BASE, length), what);
                }
            }
        }
    }

    private static void check(
        final Vector v,
        final AesGcmTransform transform,
        final boolean gcm,
        final boolean esn,
        final byte[] fullTag,
        final int round)
    {
        final int length = v.length;
        final int icv = transform.icvLength();
        final String what = (gcm ? "GCM" : "GMAC") + " round " + round + " length " + length + " ESN " + esn +
            " ICV " + icv;
        final byte[] plaintext = v.plaintext();
        final byte[] array = new byte[BASE + HEADER + length + icv + 5];
        System.arraycopy(SPI, 0, array, BASE, 4);
        final long sequence = v.sequence();
        for (int i = 0; i < 4; i++)
        {
            array[BASE + 4 + i] = (byte)(sequence >>> (24 - 8 * i));
        }
        System.arraycopy(plaintext, 0, array, BASE + HEADER, length);

        transform.protect(array, BASE, BASE + HEADER, length, esn, sequence);

        assertEquals(Hex.encode(v.iv), Hex.encode(array, BASE + 8, 8), what);
        assertEquals(Hex.encode(gcm ? v.ciphertext : plaintext), Hex.encode(array, BASE + HEADER, length), what);
        assertEquals(Hex.encode(fullTag, 0, icv), Hex.encode(array, BASE + HEADER + length, icv), what);

        array[BASE + HEADER + length + icv - 1] ^= 0x01;
        assertFalse(transform.verify(array, BASE, BASE + HEADER, length, esn, sequence), what + " flipped ICV");
        array[BASE + HEADER + length + icv - 1] ^= 0x01;
        assertTrue(transform.verify(array, BASE, BASE + HEADER, length, esn, sequence), what);
        transform.decrypt(array, BASE, BASE + HEADER, length);
        assertArrayEquals(plaintext, Arrays.copyOfRange(array, BASE + HEADER, BASE + HEADER + length), what);
    }

    private static List<Vector> vectors() throws IOException
    {
        final List<Vector> vectors = new ArrayList<>();
        try (InputStream in = AesGcmLengthsTest.class.getResourceAsStream("/vectors/gcm/esp_gcm_lengths.txt"))
        {
            assertNotNull(in, "vectors/gcm/esp_gcm_lengths.txt");
            final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line = reader.readLine(); line != null; line = reader.readLine())
            {
                final Vector v = Vector.parse(line);
                assertEquals(vectors.size(), v.length, "lines in order of length");
                vectors.add(v);
            }
        }
        return vectors;
    }
}
