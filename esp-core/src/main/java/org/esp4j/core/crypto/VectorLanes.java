package org.esp4j.core.crypto;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the vector kernels share besides their code on vectors: the species, the lane count and the per-instance
 * scratch blocks. Each subclass keeps its own {@code compressBlocks} loop (see {@link HashLanes#compressBlocks}).
 */
abstract class VectorLanes implements HashLanes
{
    static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final int BLOCK_WORDS = LaneWords.BLOCK_WORDS;

    /** The block of every lane as loaded, lane-major. */
    final int[] block = new int[BLOCK_WORDS * LANES];
    /** The block transposed to word-major, so word t of every lane is one vector load. */
    final int[] words = new int[BLOCK_WORDS * LANES];

    private final int stateWords;
    private final boolean bigEndian;

    VectorLanes(final int stateWords, final boolean bigEndian)
    {
        this.stateWords = stateWords;
        this.bigEndian = bigEndian;
    }

    public final int lanes()
    {
        return LANES;
    }

    public final int stateWords()
    {
        return stateWords;
    }

    public final boolean bigEndian()
    {
        return bigEndian;
    }
}
