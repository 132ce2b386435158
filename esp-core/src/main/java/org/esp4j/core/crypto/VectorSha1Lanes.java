package org.esp4j.core.crypto;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import static org.esp4j.core.crypto.Sha1Compression.K0;
import static org.esp4j.core.crypto.Sha1Compression.K1;
import static org.esp4j.core.crypto.Sha1Compression.K2;
import static org.esp4j.core.crypto.Sha1Compression.K3;

/**
 * SHA-1 {@link HashLanes} on the Vector API ({@code jdk.incubator.vector}), as many lanes as the CPU's widest integer
 * vector holds (16 with AVX-512). Loaded only through {@link IcvBatch#create}, so a JVM without the incubator module
 * never resolves this class. Owns a transposition buffer: one instance per thread.
 * <p>
 * The 80 rounds stay a loop over vectors held in locals and the message schedule a sliding window of 16 vectors:
 * C2 of JDK 25 keeps them in registers; JDK 17's C2 boxes them and is several times slower than one SHA-NI
 * intrinsic, which is why {@link IcvBatch#createIfFaster()} enables this only from JDK 25 (21-24 not measured).
 */
final class VectorSha1Lanes extends VectorLanes
{
    /** A whole 64-byte block in one vector, where the CPU has 512-bit vectors; else read word by word. */
    private static final VectorSpecies<Byte> BLOCK_SPECIES = ByteVector.SPECIES_512;
    private static final boolean WHOLE_BLOCK_LOADS = ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    /** Reverses the bytes of each 32-bit word: big-endian words read on a little-endian CPU. */
    private static final VectorShuffle<Byte> BYTE_SWAP = VectorShuffle.fromOp(BLOCK_SPECIES, i -> (i & ~3) + 3 - (i & 3));

    VectorSha1Lanes()
    {
        super(Sha1Compression.STATE_WORDS, true);
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
            ByteVector.fromArray(BLOCK_SPECIES, source, offset).rearrange(BYTE_SWAP).reinterpretAsInts()
                .intoArray(block, lane * BLOCK_WORDS);
        }
        else
        {
            LaneWords.load(source, offset, block, lane, true);
        }
    }

    private IntVector word(final int t)
    {
        return IntVector.fromArray(SPECIES, words, t * LANES);
    }

    private void compress(final int[] state)
    {
        final int n = LANES;
        LaneWords.transpose(block, words, n);
        final IntVector a0 = IntVector.fromArray(SPECIES, state, 0);
        final IntVector b0 = IntVector.fromArray(SPECIES, state, n);
        final IntVector c0 = IntVector.fromArray(SPECIES, state, 2 * n);
        final IntVector d0 = IntVector.fromArray(SPECIES, state, 3 * n);
        final IntVector e0 = IntVector.fromArray(SPECIES, state, 4 * n);
        IntVector a = a0;
        IntVector b = b0;
        IntVector c = c0;
        IntVector d = d0;
        IntVector e = e0;
        IntVector w0 = word(0);
        IntVector w1 = word(1);
        IntVector w2 = word(2);
        IntVector w3 = word(3);
        IntVector w4 = word(4);
        IntVector w5 = word(5);
        IntVector w6 = word(6);
        IntVector w7 = word(7);
        IntVector w8 = word(8);
        IntVector w9 = word(9);
        IntVector w10 = word(10);
        IntVector w11 = word(11);
        IntVector w12 = word(12);
        IntVector w13 = word(13);
        IntVector w14 = word(14);
        IntVector w15 = word(15);
        for (int t = 0; t < 80; t++)
        {
            // w0 is W[t]: the first 16 are the block, then W[t] = ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])
            final IntVector wt = t < 16 ? w0 : w13.lanewise(VectorOperators.XOR, w8)
                .lanewise(VectorOperators.XOR, w2).lanewise(VectorOperators.XOR, w0).lanewise(VectorOperators.ROL, 1);
            w0 = w1;
            w1 = w2;
            w2 = w3;
            w3 = w4;
            w4 = w5;
            w5 = w6;
            w6 = w7;
            w7 = w8;
            w8 = w9;
            w9 = w10;
            w10 = w11;
            w11 = w12;
            w12 = w13;
            w13 = w14;
            w14 = w15;
            w15 = wt;
            final IntVector f;
            final int k;
            if (t < 20)
            {
                f = b.and(c).or(b.not().and(d));
                k = K0;
            }
            else if (t < 40)
            {
                f = b.lanewise(VectorOperators.XOR, c).lanewise(VectorOperators.XOR, d);
                k = K1;
            }
            else if (t < 60)
            {
                f = b.and(c).or(b.and(d)).or(c.and(d));
                k = K2;
            }
            else
            {
                f = b.lanewise(VectorOperators.XOR, c).lanewise(VectorOperators.XOR, d);
                k = K3;
            }
            final IntVector temp = a.lanewise(VectorOperators.ROL, 5).add(f).add(e).add(wt).add(k);
            e = d;
            d = c;
            c = b.lanewise(VectorOperators.ROL, 30);
            b = a;
            a = temp;
        }
        a.add(a0).intoArray(state, 0);
        b.add(b0).intoArray(state, n);
        c.add(c0).intoArray(state, 2 * n);
        d.add(d0).intoArray(state, 3 * n);
        e.add(e0).intoArray(state, 4 * n);
    }
}
