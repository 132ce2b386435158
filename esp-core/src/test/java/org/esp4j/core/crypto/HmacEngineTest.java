package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * HmacEngine against the published test cases of RFC 2202 (HMAC-MD5, HMAC-SHA-1) and RFC 4231 (HMAC-SHA-256), and
 * against javax.crypto.Mac on random keys and messages.
 */
class HmacEngineTest
{
    private static byte[] repeat(final int value, final int count)
    {
        final byte[] bytes = new byte[count];
        Arrays.fill(bytes, (byte)value);
        return bytes;
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] counting25()
    {
        final byte[] key = new byte[25];
        for (int i = 0; i < key.length; i++)
        {
            key[i] = (byte)(i + 1);
        }
        return key;
    }

    private static final String LARGER_KEY = "Test Using Larger Than Block-Size Key - Hash Key First";
    private static final String LARGER_KEY_AND_DATA =
        "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";

    static Stream<Arguments> rfc2202Md5()
    {
        return Stream.of(
            Arguments.of(1, repeat(0x0b, 16), ascii("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"),
            Arguments.of(2, ascii("Jefe"), ascii("what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738"),
            Arguments.of(3, repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"),
            Arguments.of(4, counting25(), repeat(0xcd, 50), "697eaf0aca3a3aea3a75164746ffaa79"),
            Arguments.of(5, repeat(0x0c, 16), ascii("Test With Truncation"), "56461ef2342edc00f9bab995690efd4c"),
            Arguments.of(6, repeat(0xaa, 80), ascii(LARGER_KEY), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
            Arguments.of(7, repeat(0xaa, 80), ascii(LARGER_KEY_AND_DATA), "6f630fad67cda0ee1fb1f562db3aa53e"));
    }

    static Stream<Arguments> rfc2202Sha1()
    {
        return Stream.of(
            Arguments.of(1, repeat(0x0b, 20), ascii("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"),
            Arguments.of(2, ascii("Jefe"), ascii("what do ya want for nothing?"),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            Arguments.of(3, repeat(0xaa, 20), repeat(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
            Arguments.of(4, counting25(), repeat(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
            Arguments.of(5, repeat(0x0c, 20), ascii("Test With Truncation"), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
            Arguments.of(6, repeat(0xaa, 80), ascii(LARGER_KEY), "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
            Arguments.of(7, repeat(0xaa, 80), ascii(LARGER_KEY_AND_DATA), "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"));
    }

    static Stream<Arguments> rfc4231Sha256()
    {
        return Stream.of(
            Arguments.of(1, repeat(0x0b, 20), ascii("Hi There"),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            Arguments.of(2, ascii("Jefe"), ascii("what do ya want for nothing?"),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            Arguments.of(3, repeat(0xaa, 20), repeat(0xdd, 50),
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            Arguments.of(4, counting25(), repeat(0xcd, 50),
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            // Case 5: the RFC gives only the output truncated to 128 bits.
            Arguments.of(5, repeat(0x0c, 20), ascii("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"),
            Arguments.of(6, repeat(0xaa, 131), ascii(LARGER_KEY),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            Arguments.of(7, repeat(0xaa, 131), ascii("This is a test using a larger than block-size key and a larger " +
                "than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
    }

    private static String mac(final IntegrityAlgorithm algorithm, final byte[] key, final byte[] data, final int outLength)
    {
        final HmacEngine engine = new HmacEngine(algorithm, key);
        final byte[] out = new byte[engine.macLength() + 8];
        engine.start();
        engine.update(data, 0, data.length);
        engine.finish(out, 4);
        return Hex.encode(out, 4, outLength);
    }

    private static String oneCallMac(
        final IntegrityAlgorithm algorithm, final byte[] key, final byte[] data, final int outLength)
    {
        final HmacEngine engine = new HmacEngine(algorithm, key);
        final byte[] message = new byte[data.length + 7];
        System.arraycopy(data, 0, message, 3, data.length);
        final byte[] out = new byte[engine.macLength() + 8];
        engine.mac(message, 3, data.length, false, 0, out, 4);
        return Hex.encode(out, 4, outLength);
    }

    @ParameterizedTest(name = "RFC 2202 HMAC-SHA-1 case {0}, in one call")
    @MethodSource("rfc2202Sha1")
    void shouldMatchRfc2202HmacSha1TestCasesInOneCall(
        final int testCase, final byte[] key, final byte[] data, final String mac)
    {
        assertEquals(mac, oneCallMac(IntegrityAlgorithm.HMAC_SHA1_96, key, data, mac.length() / 2));
    }

    @ParameterizedTest(name = "RFC 2202 HMAC-MD5 case {0}, in one call")
    @MethodSource("rfc2202Md5")
    void shouldMatchRfc2202HmacMd5TestCasesInOneCall(
        final int testCase, final byte[] key, final byte[] data, final String mac)
    {
        assertEquals(mac, oneCallMac(IntegrityAlgorithm.HMAC_MD5_96, key, data, mac.length() / 2));
    }

    /**
     * {@link HmacEngine#mac} against the streaming calls over one engine at every length from 0 to 300 bytes and
     * around the block boundaries up to 1,500, with and without the ESN's high bits, repeated until the JIT has
     * compiled both paths (the JDK's SHA-1 stub replaces its compression only in C2's code).
     */
    @ParameterizedTest
    @EnumSource(value = IntegrityAlgorithm.class, names = { "HMAC_MD5_96", "HMAC_SHA1_96", "HMAC_SHA256_128" })
    void shouldGiveTheStreamingMacInOneCallAtEveryLength(final IntegrityAlgorithm algorithm)
    {
        final Random random = new Random(0x5eed_0002L + algorithm.ordinal());
        final byte[] key = new byte[20];
        random.nextBytes(key);
        final HmacEngine oneCall = new HmacEngine(algorithm, key);
        final HmacEngine streaming = new HmacEngine(algorithm, key);
        final byte[] data = new byte[1600];
        random.nextBytes(data);
        final java.util.List<Integer> lengths = new java.util.ArrayList<>();
        for (int length = 0; length <= 300; length++)
        {
            lengths.add(length);
        }
        for (int boundary = 320; boundary <= 1536; boundary += 64)
        {
            for (int delta = -9; delta <= 9; delta++)
            {
                lengths.add(boundary + delta);
            }
        }
        final byte[] expected = new byte[streaming.macLength()];
        final byte[] actual = new byte[oneCall.macLength()];
        for (int round = 0; round < 20; round++)
        {
            for (final int length : lengths)
            {
                final boolean esn = (length + round) % 2 == 0;
                final int esnHigh = random.nextInt();
                final int offset = round % 5;
                streaming.start();
                streaming.update(data, offset, length);
                if (esn)
                {
                    streaming.updateInt(esnHigh);
                }
                streaming.finish(expected, 0);
                oneCall.mac(data, offset, length, esn, esnHigh, actual, 0);
                if (!Arrays.equals(expected, actual))
                {
                    assertEquals(Hex.encode(expected), Hex.encode(actual),
                        "round " + round + " length " + length + " esn " + esn);
                }
            }
        }
    }

    @ParameterizedTest(name = "RFC 2202 HMAC-MD5 case {0}")
    @MethodSource("rfc2202Md5")
    void shouldMatchRfc2202HmacMd5TestCases(final int testCase, final byte[] key, final byte[] data, final String mac)
    {
        assertEquals(mac, mac(IntegrityAlgorithm.HMAC_MD5_96, key, data, mac.length() / 2));
    }

    @ParameterizedTest(name = "RFC 2202 HMAC-SHA-1 case {0}")
    @MethodSource("rfc2202Sha1")
    void shouldMatchRfc2202HmacSha1TestCases(final int testCase, final byte[] key, final byte[] data, final String mac)
    {
        assertEquals(mac, mac(IntegrityAlgorithm.HMAC_SHA1_96, key, data, mac.length() / 2));
    }

    @ParameterizedTest(name = "RFC 4231 HMAC-SHA-256 case {0}")
    @MethodSource("rfc4231Sha256")
    void shouldMatchRfc4231HmacSha256TestCases(final int testCase, final byte[] key, final byte[] data, final String mac)
    {
        assertEquals(mac, mac(IntegrityAlgorithm.HMAC_SHA256_128, key, data, mac.length() / 2));
    }

    @Test
    void shouldTruncateRfc2202Case5ToTheFirst96Bits()
    {
        assertEquals("56461ef2342edc00f9bab995",
            mac(IntegrityAlgorithm.HMAC_MD5_96, repeat(0x0c, 16), ascii("Test With Truncation"), 12));
        assertEquals("4c1a03424b55e07fe7f27be1",
            mac(IntegrityAlgorithm.HMAC_SHA1_96, repeat(0x0c, 20), ascii("Test With Truncation"), 12));
    }

    @Test
    void shouldGiveSameMacAcrossRepeatedUseOfOneEngine()
    {
        final HmacEngine engine = new HmacEngine(IntegrityAlgorithm.HMAC_SHA1_96, repeat(0x0b, 20));
        final byte[] data = ascii("Hi There");
        for (int i = 0; i < 3; i++)
        {
            final byte[] out = new byte[20];
            engine.start();
            engine.update(data, 0, data.length);
            engine.finish(out, 0);
            assertEquals("b617318655057264e28bc0b6fb378c8ef146be00", Hex.encode(out));
        }
    }

    @ParameterizedTest
    @EnumSource(value = IntegrityAlgorithm.class, names = { "HMAC_MD5_96", "HMAC_SHA1_96", "HMAC_SHA256_128" })
    void shouldEqualJdkMacOnRandomKeysAndMessages(final IntegrityAlgorithm algorithm) throws Exception
    {
        final String jdkName = "Hmac" + algorithm.digestName().replace("-", "");
        final Random random = new Random(0x5eed_0001L + algorithm.ordinal());
        for (int i = 0; i < 500; i++)
        {
            final byte[] key = new byte[1 + random.nextInt(200)];
            random.nextBytes(key);
            final byte[] data = new byte[random.nextInt(2000)];
            random.nextBytes(data);
            final int split = data.length == 0 ? 0 : random.nextInt(data.length);
            final int extra = random.nextInt(5);

            final HmacEngine engine = new HmacEngine(algorithm, key);
            final byte[] out = new byte[engine.macLength()];
            engine.start();
            engine.update(data, 0, split);
            if (extra == 4 && data.length - split >= 4)
            {
                engine.update(data, split, data.length - split - 4);
                engine.updateInt(((data[data.length - 4] & 0xFF) << 24) | ((data[data.length - 3] & 0xFF) << 16) |
                    ((data[data.length - 2] & 0xFF) << 8) | (data[data.length - 1] & 0xFF));
            }
            else
            {
                engine.update(data, split, data.length - split);
            }
            engine.finish(out, 0);

            final Mac mac = Mac.getInstance(jdkName);
            mac.init(new SecretKeySpec(key, jdkName));
            assertEquals(Hex.encode(mac.doFinal(data)), Hex.encode(out), "iteration " + i + " key " + key.length);
        }
    }
}
