package org.esp4j.core.crypto;

/**
 * The plain-Java parts of the vector kernels ({@link VectorSha1Lanes}, {@link VectorMd5Lanes}): reading a block's
 * words without vectors, and turning lane-major blocks into word-major ones. Static, so that each kernel's vector code
 * stays in a class of its own and every call site of it sees one class (see {@link HashLanes#compressBlocks}).
 */
final class LaneWords
{
    static final int BLOCK_WORDS = 16;

    private LaneWords()
    {
    }

    /**
     * One lane's 64-byte block as words, word by word.
     *
     * @param rows      blocks of all lanes, lane-major: word t of lane l at {@code [l * 16 + t]}.
     * @param bigEndian SHA-1's byte order, else MD5's.
     */
    static void load(final byte[] source, final int offset, final int[] rows, final int lane, final boolean bigEndian)
    {
        for (int t = 0; t < BLOCK_WORDS; t++)
        {
            final int i = offset + 4 * t;
            final int word = (source[i] & 0xFF) << 24 | (source[i + 1] & 0xFF) << 16 | (source[i + 2] & 0xFF) << 8 |
                source[i + 3] & 0xFF;
            rows[lane * BLOCK_WORDS + t] = bigEndian ? word : Integer.reverseBytes(word);
        }
    }

    /**
     * Lane-major rows to word-major words, so word t of every lane is one vector load (gathers are far slower).
     *
     * @param rows  word t of lane l at {@code [l * 16 + t]}.
     * @param words word t of lane l at {@code [t * lanes + l]}.
     * @param lanes lanes.
     */
    static void transpose(final int[] rows, final int[] words, final int lanes)
    {
        for (int lane = 0; lane < lanes; lane++)
        {
            for (int t = 0; t < BLOCK_WORDS; t++)
            {
                words[t * lanes + lane] = rows[lane * BLOCK_WORDS + t];
            }
        }
    }
}
