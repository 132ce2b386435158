package org.esp4j.core.crypto;

/**
 * The SHA-1 compression function (FIPS 180-4 §6.1.2) on one 64-byte block, in plain Java.
 * <p>
 * Not for the packet path (the JDK's intrinsic is faster for a single message): it computes, once per SA, the chaining
 * values after HMAC's key blocks {@code K ^ ipad} and {@code K ^ opad} (RFC 2104 §4 "precomputations"), from which
 * {@link IcvBatch} starts every inner and outer hash, and it is the reference the lane kernels are tested against.
 */
public final class Sha1Compression
{
    /** Words of the chaining value. */
    public static final int STATE_WORDS = 5;
    /** Bytes per block. */
    public static final int BLOCK_LENGTH = 64;
    /** Bytes of the digest. */
    public static final int DIGEST_LENGTH = 20;

    static final int K0 = 0x5a827999;
    static final int K1 = 0x6ed9eba1;
    static final int K2 = 0x8f1bbcdc;
    static final int K3 = 0xca62c1d6;

    private static final int[] INITIAL = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

    private Sha1Compression()
    {
    }

    /**
     * @param state destination of the initial chaining value H(0), {@link #STATE_WORDS} words.
     */
    public static void initialState(final int[] state)
    {
        System.arraycopy(INITIAL, 0, state, 0, STATE_WORDS);
    }

    /**
     * Compress one block into the chaining value.
     *
     * @param state  chaining value, updated in place.
     * @param block  source.
     * @param offset first byte of the 64-byte block.
     */
    public static void compress(final int[] state, final byte[] block, final int offset)
    {
        final int[] w = new int[80];
        for (int t = 0; t < 16; t++)
        {
            final int i = offset + 4 * t;
            w[t] = (block[i] & 0xFF) << 24 | (block[i + 1] & 0xFF) << 16 | (block[i + 2] & 0xFF) << 8 | block[i + 3] & 0xFF;
        }
        compressWords(state, w);
    }

    /**
     * Compress one block given as 16 big-endian words (entries 16..79 of {@code w} are overwritten by the schedule).
     *
     * @param state chaining value, updated in place.
     * @param w     at least 80 words, the block in the first 16.
     */
    static void compressWords(final int[] state, final int[] w)
    {
        for (int t = 16; t < 80; t++)
        {
            w[t] = Integer.rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        }
        int a = state[0];
        int b = state[1];
        int c = state[2];
        int d = state[3];
        int e = state[4];
        for (int t = 0; t < 80; t++)
        {
            final int f;
            if (t < 20)
            {
                f = ((b & c) | (~b & d)) + K0;
            }
            else if (t < 40)
            {
                f = (b ^ c ^ d) + K1;
            }
            else if (t < 60)
            {
                f = ((b & c) | (b & d) | (c & d)) + K2;
            }
            else
            {
                f = (b ^ c ^ d) + K3;
            }
            final int temp = Integer.rotateLeft(a, 5) + f + e + w[t];
            e = d;
            d = c;
            c = Integer.rotateLeft(b, 30);
            b = a;
            a = temp;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }
}
