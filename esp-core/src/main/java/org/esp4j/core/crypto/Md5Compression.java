package org.esp4j.core.crypto;

/**
 * The MD5 compression function (RFC 1321 §3.4) on one 64-byte block, in plain Java.
 * <p>
 * Not for the packet path: it computes, once per SA, the chaining values after HMAC's key blocks (RFC 2104 §4), from
 * which {@link IcvBatch} starts every HMAC-MD5 inner and outer hash, and it is the reference the lane kernel is tested
 * against.
 */
public final class Md5Compression
{
    /** Words of the chaining value. */
    public static final int STATE_WORDS = 4;
    /** Bytes per block. */
    public static final int BLOCK_LENGTH = 64;
    /** Bytes of the digest. */
    public static final int DIGEST_LENGTH = 16;

    /** T[i] = floor(2^32 * abs(sin(i + 1))), RFC 1321 §3.4. */
    static final int[] T = new int[64];
    /** Rotation of each step. */
    static final int[] S = {
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21 };
    /** Message word of each step. */
    static final int[] K = new int[64];

    private static final int[] INITIAL = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };

    static
    {
        for (int i = 0; i < 64; i++)
        {
            T[i] = (int)(long)StrictMath.floor(StrictMath.abs(StrictMath.sin(i + 1)) * 4294967296.0);
            K[i] = i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;
        }
    }

    private Md5Compression()
    {
    }

    /**
     * @param state destination of the initial chaining value, {@link #STATE_WORDS} words.
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
        final int[] x = new int[16];
        for (int t = 0; t < 16; t++)
        {
            final int i = offset + 4 * t;
            x[t] = block[i] & 0xFF | (block[i + 1] & 0xFF) << 8 | (block[i + 2] & 0xFF) << 16 | (block[i + 3] & 0xFF) << 24;
        }
        compressWords(state, x);
    }

    /**
     * Compress one block given as 16 little-endian words.
     *
     * @param state chaining value, updated in place.
     * @param x     the block's 16 words.
     */
    static void compressWords(final int[] state, final int[] x)
    {
        int a = state[0];
        int b = state[1];
        int c = state[2];
        int d = state[3];
        for (int i = 0; i < 64; i++)
        {
            final int f;
            if (i < 16)
            {
                f = (b & c) | (~b & d);
            }
            else if (i < 32)
            {
                f = (b & d) | (c & ~d);
            }
            else if (i < 48)
            {
                f = b ^ c ^ d;
            }
            else
            {
                f = c ^ (b | ~d);
            }
            final int temp = b + Integer.rotateLeft(a + f + x[K[i]] + T[i], S[i]);
            a = d;
            d = c;
            c = b;
            b = temp;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
    }
}
