package org.esp4j.core.crypto;

/**
 * The SHA-1 compression function on several independent messages at once, one per SIMD lane ("multi-buffer").
 * <p>
 * Chaining values are lane-minor (word {@code j} of lane {@code l} at {@code [j * lanes() + l]}); blocks are
 * lane-major (word {@code t} of lane {@code l} at {@code [l * 16 + t]}), so each lane's block is written in one
 * piece by {@link #loadBlock}. Implementations keep nothing between calls (scratch space at most, so one instance
 * per thread) and allocate nothing.
 */
interface Sha1Lanes
{
    /** @return messages compressed per call. */
    int lanes();

    /**
     * Compress one block of every lane.
     *
     * @param state chaining values, {@code 5 * lanes()} words, updated in place.
     * @param block the block of every lane as words, {@code 16 * lanes()} words, lane-major.
     */
    void compress(int[] state, int[] block);

    /**
     * Read one lane's 64-byte block as big-endian words.
     *
     * @param source bytes, at least 64 from {@code offset}.
     * @param offset first byte of the block.
     * @param block  blocks of all lanes, lane-major.
     * @param lane   the lane whose block this is.
     */
    void loadBlock(byte[] source, int offset, int[] block, int lane);
}
