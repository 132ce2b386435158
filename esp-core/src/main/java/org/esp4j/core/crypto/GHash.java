package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * GHASH, the universal hash of GCM (NIST SP 800-38D §6.4; McGrew and Viega, "The Galois/Counter Mode of Operation",
 * §2.3): {@code Y = (Y xor X_i) * H} in GF(2^128) over 16-byte blocks, for a hash key {@code H = E(K, 0^128)}.
 * <p>
 * <b>Representation.</b> GCM numbers the bits of a block from the most significant bit of its first byte, which is
 * the coefficient of {@code x^0}. A block is held as two longs read big-endian ({@code high} = bytes 0..7). In that
 * form multiplying by {@code x} is a right shift of the 128-bit value by one, and a 1 shifted out of the low end is
 * reduced by XORing {@code 0xE1 << 120} (the polynomial {@code 1 + x + x^2 + x^7 + x^128}, SP 800-38D §6.3). This is
 * also the layout of the JDK's {@code com.sun.crypto.provider.GHASH} state and subkey arrays.
 * <p>
 * <b>Two implementations</b>, fixed per instance:
 * <ul>
 *     <li><b>The JDK's intrinsic</b> ({@link JdkGcmIntrinsics}): {@code GHASH.processBlocks}, which HotSpot replaces
 *         with carry-less multiplication ({@code pclmulqdq}) once the caller is compiled. Reached only when the JVM
 *         runs with {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED} and a self-check at class
 *         initialisation gives the known answers.</li>
 *     <li><b>Java, aggregated</b> (the fallback): Shoup's 8-bit tables for {@code H}, {@code H^2}, {@code H^3} and
 *         {@code H^4}. Four blocks are hashed as one sum, {@code Y' = (Y xor X1) H^4 + X2 H^3 + X3 H^2 + X4 H}
 *         (Gueron and Kounavis' aggregated reduction), and since multiplying by {@code x^8} is linear, the four
 *         products share one Horner chain over the 16 byte positions: per byte position one shift-and-reduce and
 *         four independent table lookups, where block-by-block hashing has four dependent shifts. The tables are
 *         16 KiB per key (plus 2 KiB shared) and stay in the L1 cache.</li>
 * </ul>
 * The table lookups are indexed by data and hash state, as in every table-driven GHASH: a local attacker who can
 * observe cache timing could learn about {@code H}. The intrinsic path does not have that weakness.
 * <p>
 * <b>Feeding data.</b> GHASH pads the AAD and the ciphertext separately to whole blocks. {@link #absorb} takes one
 * such string (or its last part) and pads it; {@link #absorbLong} feeds 8 bytes that are not in the packet, such as
 * the ESN high half (RFC 4106 §5), ahead of it. Not thread-safe; allocates nothing after construction.
 */
final class GHash
{
    static final int BLOCK_LENGTH = 16;
    /** The reduction constant: {@code 1 + x + x^2 + x^7} in GCM's reflected bit order, in the top byte. */
    private static final long R = 0xE100_0000_0000_0000L;
    /** {@code REDUCE[r]}: the high long of {@code (0, r) * x^8}, i.e. what a byte shifted out folds back into. */
    private static final long[] REDUCE = reductionTable();
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** Longs per power table: 256 entries of (high, low), interleaved so one entry is one 16-byte load. */
    private static final int TABLE_LONGS = 512;
    private static final int H1 = 0;
    private static final int H2 = TABLE_LONGS;
    private static final int H3 = 2 * TABLE_LONGS;
    private static final int H4 = 3 * TABLE_LONGS;

    private final boolean intrinsic;
    /** Hash state (high, low): the JDK intrinsic's {@code st} argument. */
    private final long[] state = new long[2];
    /** The JDK intrinsic's {@code subH}: {@code H} then room for the powers its stub computes on first use. */
    private final long[] subkeyTable;
    /** Java path: 8-bit tables for H, H^2, H^3, H^4. */
    private final long[] tables;
    /** A block that is not in the caller's array (ESN half, tail, lengths), for the intrinsic. */
    private final byte[] scratch = new byte[BLOCK_LENGTH];
    private long pending;
    private boolean hasPending;

    /**
     * @param intrinsic true to use the JDK's intrinsic; only when {@link JdkGcmIntrinsics#AVAILABLE}.
     */
    GHash(final boolean intrinsic)
    {
        if (intrinsic && !JdkGcmIntrinsics.AVAILABLE)
        {
            throw new IllegalStateException("the JDK's GCM intrinsics are not available: " + JdkGcmIntrinsics.REASON);
        }
        this.intrinsic = intrinsic;
        subkeyTable = intrinsic ? new long[JdkGcmIntrinsics.SUBKEY_TABLE_LONGS] : null;
        tables = intrinsic ? null : new long[4 * TABLE_LONGS];
    }

    /** A GHASH on the best implementation this JVM allows. */
    GHash()
    {
        this(JdkGcmIntrinsics.AVAILABLE);
    }

    /** @return true if this instance runs on the JDK's intrinsic. */
    boolean intrinsic()
    {
        return intrinsic;
    }

    /**
     * Key the hash.
     *
     * @param hHigh bytes 0..7 of {@code H}, big-endian.
     * @param hLow  bytes 8..15 of {@code H}, big-endian.
     */
    void init(final long hHigh, final long hLow)
    {
        if (intrinsic)
        {
            // The stub fills entries 2.. with powers of H on first use, when it finds them zero.
            Arrays.fill(subkeyTable, 0);
            subkeyTable[0] = hHigh;
            subkeyTable[1] = hLow;
        }
        else
        {
            fillTable(H1, hHigh, hLow);
            multiplyOne(H1, hHigh, hLow);
            fillTable(H2, state[0], state[1]);
            multiplyOne(H1, state[0], state[1]);
            fillTable(H3, state[0], state[1]);
            multiplyOne(H1, state[0], state[1]);
            fillTable(H4, state[0], state[1]);
        }
        reset();
    }

    /** Start a new hash: state zero, nothing pending. */
    void reset()
    {
        state[0] = 0;
        state[1] = 0;
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
        final int blocks = (end - i) / BLOCK_LENGTH;
        if (blocks > 0)
        {
            processBlocks(array, i, blocks);
            i += blocks * BLOCK_LENGTH;
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
        return state[0];
    }

    /** @return bytes 8..15 of the hash, big-endian. */
    long low()
    {
        return state[1];
    }

    /** Overwrite the key-derived tables and state: they reveal {@code H}, which is enough to forge tags. */
    void destroy()
    {
        if (intrinsic)
        {
            Arrays.fill(subkeyTable, 0);
        }
        else
        {
            Arrays.fill(tables, 0);
        }
        Arrays.fill(scratch, (byte)0);
        reset();
    }

    private void block(final long high, final long low)
    {
        if (intrinsic)
        {
            LONG_BE.set(scratch, 0, high);
            LONG_BE.set(scratch, 8, low);
            JdkGcmIntrinsics.ghash(scratch, 0, 1, state, subkeyTable);
        }
        else
        {
            multiplyOne(H1, state[0] ^ high, state[1] ^ low);
        }
    }

    private void processBlocks(final byte[] array, final int offset, final int blocks)
    {
        // The intrinsic reads without bounds checks: this one keeps it inside the array.
        Objects.checkFromIndexSize(offset, blocks * BLOCK_LENGTH, array.length);
        if (intrinsic)
        {
            JdkGcmIntrinsics.ghash(array, offset, blocks, state, subkeyTable);
            return;
        }
        int at = offset;
        int remaining = blocks;
        for (; remaining >= 4; remaining -= 4, at += 4 * BLOCK_LENGTH)
        {
            multiplyFour(
                state[0] ^ (long)LONG_BE.get(array, at), state[1] ^ (long)LONG_BE.get(array, at + 8),
                (long)LONG_BE.get(array, at + 16), (long)LONG_BE.get(array, at + 24),
                (long)LONG_BE.get(array, at + 32), (long)LONG_BE.get(array, at + 40),
                (long)LONG_BE.get(array, at + 48), (long)LONG_BE.get(array, at + 56));
        }
        // Two or three blocks left: leading zero blocks contribute nothing, and the state goes to the first real one.
        if (remaining == 3)
        {
            multiplyFour(
                0, 0,
                state[0] ^ (long)LONG_BE.get(array, at), state[1] ^ (long)LONG_BE.get(array, at + 8),
                (long)LONG_BE.get(array, at + 16), (long)LONG_BE.get(array, at + 24),
                (long)LONG_BE.get(array, at + 32), (long)LONG_BE.get(array, at + 40));
        }
        else if (remaining == 2)
        {
            multiplyFour(
                0, 0, 0, 0,
                state[0] ^ (long)LONG_BE.get(array, at), state[1] ^ (long)LONG_BE.get(array, at + 8),
                (long)LONG_BE.get(array, at + 16), (long)LONG_BE.get(array, at + 24));
        }
        else if (remaining == 1)
        {
            multiplyOne(H1, state[0] ^ (long)LONG_BE.get(array, at), state[1] ^ (long)LONG_BE.get(array, at + 8));
        }
    }

    /**
     * {@code state = X * P} for the power {@code P} whose table starts at {@code base}: Horner from byte 15 (low
     * byte of {@code xLow}) down to byte 0 (top byte of {@code xHigh}), {@code X * P = sum x^(8j) M[x_j]}.
     */
    private void multiplyOne(final int base, final long xHigh, final long xLow)
    {
        final long[] t = tables;
        int index = base + (((int)xLow & 0xFF) << 1);
        long zHigh = t[index];
        long zLow = t[index + 1];
        for (int shift = 8; shift < 64; shift += 8)
        {
            final int r = (int)zLow & 0xFF;
            zLow = (zLow >>> 8) | (zHigh << 56);
            zHigh = (zHigh >>> 8) ^ REDUCE[r];
            index = base + (((int)(xLow >>> shift) & 0xFF) << 1);
            zHigh ^= t[index];
            zLow ^= t[index + 1];
        }
        for (int shift = 0; shift < 64; shift += 8)
        {
            final int r = (int)zLow & 0xFF;
            zLow = (zLow >>> 8) | (zHigh << 56);
            zHigh = (zHigh >>> 8) ^ REDUCE[r];
            index = base + (((int)(xHigh >>> shift) & 0xFF) << 1);
            zHigh ^= t[index];
            zLow ^= t[index + 1];
        }
        state[0] = zHigh;
        state[1] = zLow;
    }

    /** {@code state = A H^4 + B H^3 + C H^2 + D H}, one shared Horner chain over the byte positions. */
    private void multiplyFour(
        final long aHigh, final long aLow,
        final long bHigh, final long bLow,
        final long cHigh, final long cLow,
        final long dHigh, final long dLow)
    {
        final long[] t = tables;
        long zHigh = 0;
        long zLow = 0;
        for (int shift = 0; shift < 64; shift += 8)
        {
            final int r = (int)zLow & 0xFF;
            zLow = (zLow >>> 8) | (zHigh << 56);
            zHigh = (zHigh >>> 8) ^ REDUCE[r];
            final int a = H4 + (((int)(aLow >>> shift) & 0xFF) << 1);
            final int b = H3 + (((int)(bLow >>> shift) & 0xFF) << 1);
            final int c = H2 + (((int)(cLow >>> shift) & 0xFF) << 1);
            final int d = H1 + (((int)(dLow >>> shift) & 0xFF) << 1);
            zHigh ^= t[a] ^ t[b] ^ t[c] ^ t[d];
            zLow ^= t[a + 1] ^ t[b + 1] ^ t[c + 1] ^ t[d + 1];
        }
        for (int shift = 0; shift < 64; shift += 8)
        {
            final int r = (int)zLow & 0xFF;
            zLow = (zLow >>> 8) | (zHigh << 56);
            zHigh = (zHigh >>> 8) ^ REDUCE[r];
            final int a = H4 + (((int)(aHigh >>> shift) & 0xFF) << 1);
            final int b = H3 + (((int)(bHigh >>> shift) & 0xFF) << 1);
            final int c = H2 + (((int)(cHigh >>> shift) & 0xFF) << 1);
            final int d = H1 + (((int)(dHigh >>> shift) & 0xFF) << 1);
            zHigh ^= t[a] ^ t[b] ^ t[c] ^ t[d];
            zLow ^= t[a + 1] ^ t[b + 1] ^ t[c + 1] ^ t[d + 1];
        }
        state[0] = zHigh;
        state[1] = zLow;
    }

    /** {@code M[b]} = (byte {@code b} at position 0) {@code * P} for all 256 byte values. */
    private void fillTable(final int base, final long pHigh, final long pLow)
    {
        // M[0x80] = P * 1; each lower bit of the byte is one more factor x; the rest follows by linearity.
        final long[] t = tables;
        long high = pHigh;
        long low = pLow;
        for (int bit = 0x80; bit != 0; bit >>>= 1)
        {
            t[base + (bit << 1)] = high;
            t[base + (bit << 1) + 1] = low;
            final long carry = low & 1;
            low = (low >>> 1) | (high << 63);
            high = (high >>> 1) ^ (-carry & R);
        }
        t[base] = 0;
        t[base + 1] = 0;
        for (int b = 2; b < 256; b <<= 1)
        {
            for (int j = 1; j < b; j++)
            {
                t[base + ((b + j) << 1)] = t[base + (b << 1)] ^ t[base + (j << 1)];
                t[base + ((b + j) << 1) + 1] = t[base + (b << 1) + 1] ^ t[base + (j << 1) + 1];
            }
        }
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
