package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * GHASH, the universal hash of GCM (NIST SP 800-38D §6.4; McGrew and Viega, "The Galois/Counter Mode of Operation",
 * §2.3): {@code Y = (Y xor X_i) * H} in GF(2^128) over 16-byte blocks, for a hash key {@code H = E(K, 0^128)}.
 * <p>
 * <b>Representation.</b> GCM numbers the bits of a block from the most significant bit of its first byte, which is
 * the coefficient of {@code x^0}. A block is held as two longs read big-endian ({@code high} = bytes 0..7). In that
 * form multiplying by {@code x} is a right shift of the 128-bit value by one, and a 1 shifted out of the low end is
 * reduced by XORing {@code 0xE1 << 120} (the polynomial {@code 1 + x + x^2 + x^7 + x^128}, SP 800-38D §6.3).
 * <p>
 * <b>Multiplication (Shoup's 8-bit table method).</b> Java has no carry-less multiply, so {@code X * H} is taken a
 * byte at a time. With {@code M[b]} = (byte {@code b} at position 0) {@code * H} for all 256 byte values, computed
 * once per key, and {@code X = x_0 ... x_15}: {@code X * H = M[x_0] + x^8 (M[x_1] + x^8 (... + x^8 M[x_15]))}.
 * Multiplying by {@code x^8} is a right shift by a byte plus the reduction of the byte shifted out, one lookup in
 * the key-independent {@link #REDUCE} table. Per block that is 16 table lookups, 16 shifts and 16 reductions. The
 * table is 4 KiB per key (plus 2 KiB shared) and stays in the L1 cache. (A 64 KiB variant with one table per byte
 * position, 16 independent lookups and no shifts, measured no faster on the benchmark machine: GHASH is one chain
 * from block to block, and its lookups then come from L2.)
 * <p>
 * The lookups are indexed by data and hash state, as in every table-driven GHASH: a local attacker who can observe
 * cache timing could learn about {@code H}. The data path has no alternative without native code.
 * <p>
 * <b>Feeding data.</b> GHASH pads the AAD and the ciphertext separately to whole blocks. {@link #absorb} takes one
 * such string (or its last part) and pads it; {@link #absorbLong} feeds 8 bytes that are not in the packet, such as
 * the ESN high half (RFC 4106 §5), ahead of it. Not thread-safe; allocates nothing after construction.
 */
final class GHash
{
    /** The reduction constant: {@code 1 + x + x^2 + x^7} in GCM's reflected bit order, in the top byte. */
    private static final long R = 0xE100_0000_0000_0000L;
    /** {@code REDUCE[r]}: the high long of {@code (0, r) * x^8}, i.e. what a byte shifted out folds back into. */
    private static final long[] REDUCE = reductionTable();
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final long[] tableHigh = new long[256];
    private final long[] tableLow = new long[256];
    private long stateHigh;
    private long stateLow;
    private long pending;
    private boolean hasPending;

    /**
     * Key the hash: fill the 8-bit table for {@code H}.
     *
     * @param hHigh bytes 0..7 of {@code H}, big-endian.
     * @param hLow  bytes 8..15 of {@code H}, big-endian.
     */
    void init(final long hHigh, final long hLow)
    {
        // M[0x80] = H * 1; each lower bit of the byte is one more factor x; the rest follows by linearity.
        long high = hHigh;
        long low = hLow;
        for (int bit = 0x80; bit != 0; bit >>>= 1)
        {
            tableHigh[bit] = high;
            tableLow[bit] = low;
            final long carry = low & 1;
            low = (low >>> 1) | (high << 63);
            high = (high >>> 1) ^ (-carry & R);
        }
        for (int b = 2; b < 256; b <<= 1)
        {
            for (int j = 1; j < b; j++)
            {
                tableHigh[b + j] = tableHigh[b] ^ tableHigh[j];
                tableLow[b + j] = tableLow[b] ^ tableLow[j];
            }
        }
        reset();
    }

    /** Start a new hash: state zero, nothing pending. */
    void reset()
    {
        stateHigh = 0;
        stateLow = 0;
        pending = 0;
        hasPending = false;
    }

    /**
     * Feed 8 bytes given as a big-endian long. Must be followed by more data or {@link #absorb} (which pads).
     *
     * @param value the 8 bytes.
     */
    void absorbLong(final long value)
    {
        if (hasPending)
        {
            hasPending = false;
            block(pending, value);
        }
        else
        {
            pending = value;
            hasPending = true;
        }
    }

    /**
     * Feed bytes and then zero-pad to a block boundary: the end of the AAD or of the ciphertext.
     *
     * @param array  source.
     * @param offset first byte.
     * @param length byte count (may be 0).
     */
    void absorb(final byte[] array, final int offset, final int length)
    {
        final int end = offset + length;
        int i = offset;
        if (hasPending && end - i >= 8)
        {
            hasPending = false;
            block(pending, (long)LONG_BE.get(array, i));
            i += 8;
        }
        for (; end - i >= 16; i += 16)
        {
            block((long)LONG_BE.get(array, i), (long)LONG_BE.get(array, i + 8));
        }
        if (end - i >= 8)
        {
            absorbLong((long)LONG_BE.get(array, i));
            i += 8;
        }
        if (i < end)
        {
            long tail = 0;
            for (int shift = 56; i < end; i++, shift -= 8)
            {
                tail |= (array[i] & 0xFFL) << shift;
            }
            absorbLong(tail);
        }
        if (hasPending)
        {
            hasPending = false;
            block(pending, 0);
        }
    }

    /**
     * Feed the final length block: {@code len(A) || len(C)}, each 64 bits, in bits (SP 800-38D §7.1 step 5).
     *
     * @param aadBytes  AAD length in bytes.
     * @param textBytes ciphertext length in bytes.
     */
    void absorbLengths(final long aadBytes, final long textBytes)
    {
        block(aadBytes << 3, textBytes << 3);
    }

    /** @return bytes 0..7 of the hash, big-endian. */
    long high()
    {
        return stateHigh;
    }

    /** @return bytes 8..15 of the hash, big-endian. */
    long low()
    {
        return stateLow;
    }

    /** Overwrite the key-derived tables and state: they reveal {@code H}, which is enough to forge tags. */
    void destroy()
    {
        Arrays.fill(tableHigh, 0);
        Arrays.fill(tableLow, 0);
        reset();
    }

    private void block(final long high, final long low)
    {
        final long xHigh = stateHigh ^ high;
        final long xLow = stateLow ^ low;
        final long[] th = tableHigh;
        final long[] tl = tableLow;

        // Horner from byte 15 (low byte of xLow) down to byte 0 (top byte of xHigh).
        int b = (int)xLow & 0xFF;
        long zHigh = th[b];
        long zLow = tl[b];
        for (int shift = 8; shift < 64; shift += 8)
        {
            final int r = (int)zLow & 0xFF;
            zLow = (zLow >>> 8) | (zHigh << 56);
            zHigh = (zHigh >>> 8) ^ REDUCE[r];
            b = (int)(xLow >>> shift) & 0xFF;
            zHigh ^= th[b];
            zLow ^= tl[b];
        }
        for (int shift = 0; shift < 64; shift += 8)
        {
            final int r = (int)zLow & 0xFF;
            zLow = (zLow >>> 8) | (zHigh << 56);
            zHigh = (zHigh >>> 8) ^ REDUCE[r];
            b = (int)(xHigh >>> shift) & 0xFF;
            zHigh ^= th[b];
            zLow ^= tl[b];
        }
        stateHigh = zHigh;
        stateLow = zLow;
    }

    /**
     * Multiplying {@code (0, r)} by {@code x} eight times shifts {@code r} out entirely; what stays is the reduction,
     * which lands in the top 15 bits of the high long. Computed rather than tabulated by hand.
     */
    private static long[] reductionTable()
    {
        final long[] table = new long[256];
        for (int r = 0; r < 256; r++)
        {
            long high = 0;
            long low = r;
            for (int i = 0; i < 8; i++)
            {
                final long carry = low & 1;
                low = (low >>> 1) | (high << 63);
                high = (high >>> 1) ^ (-carry & R);
            }
            table[r] = high;
        }
        return table;
    }
}
