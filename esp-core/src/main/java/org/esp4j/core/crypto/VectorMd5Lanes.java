package org.esp4j.core.crypto;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

import static org.esp4j.core.crypto.Md5Compression.K;
import static org.esp4j.core.crypto.Md5Compression.S;
import static org.esp4j.core.crypto.Md5Compression.T;

/**
 * MD5 {@link HashLanes} on the Vector API ({@code jdk.incubator.vector}), as many lanes as the CPU's widest integer
 * vector holds (16 with AVX-512). MD5 has no instruction of its own on x86, so one stream runs at the speed of its
 * 64 dependent steps; sixteen lanes do sixteen streams in about the time of two. Loaded only through
 * {@link IcvBatch#create}. Owns a transposition buffer: one instance per thread.
 */
final class VectorMd5Lanes extends VectorLanes
{
    /** A whole 64-byte block in one vector, where the CPU has 512-bit vectors; else read word by word. */
    private static final VectorSpecies<Byte> BLOCK_SPECIES = ByteVector.SPECIES_512;
    private static final boolean WHOLE_BLOCK_LOADS = ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 512 &&
        ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    VectorMd5Lanes()
    {
        super(Md5Compression.STATE_WORDS, false);
    }

    // The same loop as in the other kernel, on purpose: shared, its call of compress() would see both kernels and
    // C2 would inline both kernels' vector code into one method.
    public void compressBlocks(final int[] state, final byte[][] sources, final int[] offsets, final int blocks)
    {
        for (int b = 0; b < blocks; b++)
        {
            for (int lane = 0; lane < LANES; lane++)
            {
                loadBlock(sources[lane], offsets[lane] + b * 64, lane);
            }
            compress(state);
        }
    }

    /** One lane's block as words, lane-major: word t of lane l at {@code [l * 16 + t]}. */
    private void loadBlock(final byte[] source, final int offset, final int lane)
    {
        if (WHOLE_BLOCK_LOADS)
        {
            // MD5's words are little-endian, as the CPU's: no byte swap
            ByteVector.fromArray(BLOCK_SPECIES, source, offset).reinterpretAsInts().intoArray(block, lane * BLOCK_WORDS);
        }
        else
        {
            LaneWords.load(source, offset, block, lane, false);
        }
    }

    private void compress(final int[] state)
    {
        final int n = LANES;
        LaneWords.transpose(block, words, n);
        final IntVector a0 = IntVector.fromArray(SPECIES, state, 0);
        final IntVector b0 = IntVector.fromArray(SPECIES, state, n);
        final IntVector c0 = IntVector.fromArray(SPECIES, state, 2 * n);
        final IntVector d0 = IntVector.fromArray(SPECIES, state, 3 * n);
        IntVector a = a0;
        IntVector b = b0;
        IntVector c = c0;
        IntVector d = d0;
        for (int i = 0; i < 64; i++)
        {
            final IntVector f;
            if (i < 16)
            {
                f = b.and(c).or(b.not().and(d));
            }
            else if (i < 32)
            {
                f = b.and(d).or(c.and(d.not()));
            }
            else if (i < 48)
            {
                f = b.lanewise(VectorOperators.XOR, c).lanewise(VectorOperators.XOR, d);
            }
            else
            {
                f = c.lanewise(VectorOperators.XOR, b.or(d.not()));
            }
            final IntVector x = IntVector.fromArray(SPECIES, words, K[i] * n);
            final IntVector temp = b.add(a.add(f).add(x).add(T[i]).lanewise(VectorOperators.ROL, S[i]));
            a = d;
            d = c;
            c = b;
            b = temp;
        }
        a.add(a0).intoArray(state, 0);
        b.add(b0).intoArray(state, n);
        c.add(c0).intoArray(state, 2 * n);
        d.add(d0).intoArray(state, 3 * n);
    }
}
