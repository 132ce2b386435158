package org.esp4j.core.crypto;

import org.esp4j.core.text.Hex;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Run in a child JVM by {@link JdkSha1IntrinsicsTest}: prints which path {@link HmacEngine#mac} takes for HMAC-SHA-1
 * and the MAC it computes for RFC 2202's test case 1, on one line.
 */
public final class Sha1PathProbe
{
    private Sha1PathProbe()
    {
    }

    public static void main(final String[] args)
    {
        final byte[] key = new byte[20];
        Arrays.fill(key, (byte)0x0b);
        final HmacEngine engine = new HmacEngine(IntegrityAlgorithm.HMAC_SHA1_96, key);
        final byte[] data = "Hi There".getBytes(StandardCharsets.US_ASCII);
        final byte[] out = new byte[20];
        engine.mac(data, 0, data.length, false, 0, out, 0);
        System.out.println(engine.implementation() + " mac=" + Hex.encode(out));
    }
}
