package org.esp4j.core.crypto;

/**
 * A Merkle-Damgard compression function (SHA-1 or MD5) on several independent messages at once, one per SIMD lane
 * ("multi-buffer").
 * <p>
 * Chaining values are lane-minor: word {@code j} of lane {@code l} at {@code [j * lanes() + l]}. Implementations
 * keep nothing between calls (scratch space at most, so one instance per thread) and allocate nothing.
 */
interface HashLanes
{
    /** @return messages compressed per call. */
    int lanes();

    /** @return words of the chaining value (5 for SHA-1, 4 for MD5). */
    int stateWords();

    /** @return true if the hash reads words, lengths and writes its digest big-endian (SHA-1), false for MD5. */
    boolean bigEndian();

    /**
     * Compress {@code blocks} consecutive 64-byte blocks of every lane: lane {@code l} reads
     * {@code sources[l][offsets[l] + 64 * b ...]} for block {@code b}. The whole loop lives in the kernel so that
     * every call site of the vector code sees one class (C2 of JDK 25 has crashed compiling a caller into which two
     * kernels' vector code had been inlined).
     *
     * @param state   chaining values, {@code stateWords() * lanes()} words, lane-minor, updated in place.
     * @param sources each lane's bytes.
     * @param offsets each lane's first byte.
     * @param blocks  blocks per lane.
     */
    void compressBlocks(int[] state, byte[][] sources, int[] offsets, int blocks);
}
