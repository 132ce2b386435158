package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * CbcCipherEngine keeps one JDK cipher per direction and corrects its chaining register per packet: every packet must
 * come out as if a fresh cipher had been initialised with that packet's IV.
 */
class CbcCipherEngineTest
{
    static Stream<Arguments> ciphers()
    {
        return Stream.of(
            Arguments.of("AES/CBC/NoPadding", "AES", 16, 16),
            Arguments.of("AES/CBC/NoPadding", "AES", 16, 24),
            Arguments.of("AES/CBC/NoPadding", "AES", 16, 32),
            Arguments.of("DESede/CBC/NoPadding", "DESede", 8, 24));
    }

    private static byte[] jdk(final int mode, final String transformation, final String keyAlgorithm, final byte[] key,
        final byte[] iv, final byte[] input) throws Exception
    {
        final Cipher cipher = Cipher.getInstance(transformation);
        cipher.init(mode, new SecretKeySpec(key, keyAlgorithm), new IvParameterSpec(iv));
        return cipher.doFinal(input);
    }

    @ParameterizedTest(name = "{0} key {3}")
    @MethodSource("ciphers")
    void shouldEncryptEveryPacketAsAFreshJdkCipherWithThePacketsIv(
        final String transformation, final String keyAlgorithm, final int blockSize, final int keyLength) throws Exception
    {
        final Random random = new Random(0xC0C0_0001L + keyLength + blockSize);
        final byte[] key = new byte[keyLength];
        random.nextBytes(key);
        final CbcCipherEngine engine = new CbcCipherEngine(transformation, keyAlgorithm, blockSize, key);
        final byte[][] lastIv = new byte[1][];
        engine.ivSource((sequence, array, offset, length) ->
        {
            final byte[] iv = new byte[length];
            random.nextBytes(iv);
            lastIv[0] = iv;
            System.arraycopy(iv, 0, array, offset, length);
        });
        assertEquals(blockSize, engine.blockSize());
        assertEquals(blockSize, engine.ivLength());

        for (int packet = 0; packet < 1000; packet++)
        {
            final int length = blockSize * (1 + random.nextInt(packet % 10 == 0 ? 600 : 20));
            final byte[] plaintext = new byte[length];
            random.nextBytes(plaintext);
            final int front = 8 + random.nextInt(16);
            final byte[] array = new byte[front + blockSize + length + random.nextInt(16)];
            System.arraycopy(plaintext, 0, array, front + blockSize, length);

            engine.encrypt(array, front, front + blockSize, length, packet + 1);

            final byte[] iv = Arrays.copyOfRange(array, front, front + blockSize);
            assertEquals(Hex.encode(lastIv[0]), Hex.encode(iv), "IV written in front of the payload");
            final byte[] expected = jdk(Cipher.ENCRYPT_MODE, transformation, keyAlgorithm, key, iv, plaintext);
            assertEquals(Hex.encode(expected), Hex.encode(array, front + blockSize, length), "packet " + packet);
        }
    }

    @ParameterizedTest(name = "{0} key {3}")
    @MethodSource("ciphers")
    void shouldDecryptEveryPacketAsAFreshJdkCipherWithThePacketsIv(
        final String transformation, final String keyAlgorithm, final int blockSize, final int keyLength) throws Exception
    {
        final Random random = new Random(0xC0C0_0002L + keyLength + blockSize);
        final byte[] key = new byte[keyLength];
        random.nextBytes(key);
        final CbcCipherEngine engine = new CbcCipherEngine(transformation, keyAlgorithm, blockSize, key);

        for (int packet = 0; packet < 1000; packet++)
        {
            final int length = blockSize * (1 + random.nextInt(packet % 10 == 0 ? 600 : 20));
            final byte[] iv = new byte[blockSize];
            random.nextBytes(iv);
            final byte[] ciphertext = new byte[length];
            random.nextBytes(ciphertext);
            final int front = random.nextInt(16);
            final byte[] array = new byte[front + blockSize + length + 12];
            System.arraycopy(iv, 0, array, front, blockSize);
            System.arraycopy(ciphertext, 0, array, front + blockSize, length);

            engine.decrypt(array, front, front + blockSize, length);

            final byte[] expected = jdk(Cipher.DECRYPT_MODE, transformation, keyAlgorithm, key, iv, ciphertext);
            assertEquals(Hex.encode(expected), Hex.encode(array, front + blockSize, length), "packet " + packet);
            assertEquals(Hex.encode(iv), Hex.encode(array, front, blockSize), "IV left alone");
        }
    }

    @ParameterizedTest(name = "{0} key {3}")
    @MethodSource("ciphers")
    void shouldRoundTripWhenEncryptionAndDecryptionInterleaveOnOneEngine(
        final String transformation, final String keyAlgorithm, final int blockSize, final int keyLength)
    {
        final Random random = new Random(0xC0C0_0003L + keyLength);
        final byte[] key = new byte[keyLength];
        random.nextBytes(key);
        final CbcCipherEngine sender = new CbcCipherEngine(transformation, keyAlgorithm, blockSize, key);
        final CbcCipherEngine receiver = new CbcCipherEngine(transformation, keyAlgorithm, blockSize, key);
        for (int packet = 0; packet < 500; packet++)
        {
            final int length = blockSize * (1 + random.nextInt(40));
            final byte[] plaintext = new byte[length];
            random.nextBytes(plaintext);
            final byte[] array = new byte[blockSize + length];
            System.arraycopy(plaintext, 0, array, blockSize, length);
            sender.encrypt(array, 0, blockSize, length, packet + 1);
            // the sender also decrypts something (its own traffic in the other direction) between packets
            final byte[] other = new byte[blockSize * 3];
            random.nextBytes(other);
            sender.decrypt(other, 0, blockSize, blockSize * 2);
            receiver.decrypt(array, 0, blockSize, length);
            assertEquals(Hex.encode(plaintext), Hex.encode(array, blockSize, length), "packet " + packet);
        }
    }

    static Stream<Arguments> rfc3602()
    {
        return Stream.of(
            Arguments.of(1, "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
                Hex.encode("Single block msg".getBytes(StandardCharsets.US_ASCII)),
                "e353779c1079aeb82708942dbe77181a"),
            Arguments.of(2, "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"),
            Arguments.of(3, "6c3ea0477630ce21a2ce334aa746c2cd", "c782dc4c098c66cbd9cd27d825682c81",
                Hex.encode("This is a 48-byte message (exactly 3 AES blocks)".getBytes(StandardCharsets.US_ASCII)),
                "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5021c19216bad525c8579695d83ba2684"),
            Arguments.of(4, "56e47a38c5598974bc46903dba290349", "8ce82eefbea0da3c44699ed7db51b7d9",
                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
                "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad" +
                "83ce9f9a102ee99d49a53e87f4c3da55"));
    }

    @ParameterizedTest(name = "RFC 3602 case {0}")
    @MethodSource("rfc3602")
    void shouldMatchRfc3602AesCbcTestCasesEvenAfterAnEarlierPacket(
        final int testCase, final String key, final String iv, final String plaintext, final String ciphertext)
    {
        final CbcCipherEngine engine = new CbcCipherEngine("AES/CBC/NoPadding", "AES", 16, Hex.decode(key));
        final byte[] fixedIv = Hex.decode(iv);
        engine.ivSource((sequence, array, offset, length) -> System.arraycopy(fixedIv, 0, array, offset, length));
        final byte[] data = Hex.decode(plaintext);

        for (int round = 0; round < 3; round++) // the same packet three times: each must be the published ciphertext
        {
            final byte[] array = new byte[16 + data.length];
            System.arraycopy(data, 0, array, 16, data.length);
            engine.encrypt(array, 0, 16, data.length, round + 1);
            assertEquals(iv, Hex.encode(array, 0, 16));
            assertEquals(ciphertext, Hex.encode(array, 16, data.length), "round " + round);
        }

        for (int round = 0; round < 3; round++)
        {
            final byte[] array = new byte[16 + data.length];
            System.arraycopy(fixedIv, 0, array, 0, 16);
            System.arraycopy(Hex.decode(ciphertext), 0, array, 16, data.length);
            engine.decrypt(array, 0, 16, data.length);
            assertEquals(plaintext, Hex.encode(array, 16, data.length), "round " + round);
        }
    }
}
