package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * HMAC-SHA-1 ICVs of many ESP packets computed together, one packet per SIMD lane ("multi-buffer" hashing).
 * <p>
 * One SHA-1 stream is bound by the latency of its rounds, even on SHA-NI; sixteen independent streams in the lanes of
 * an AVX-512 register are not. The segments of a TCP super-packet, and the ESP packets of one receive batch, are
 * just such streams: same SA (or a few), same length. So the data path queues ICV work here instead of hashing each
 * packet on its own, and {@link #compute()} hashes the queue in groups of equal length, every lane starting from its
 * SA's precomputed {@code K ^ ipad} chaining value (RFC 2104 §4), which also saves the two key blocks per packet
 * that {@link HmacEngine} hashes.
 * <pre>
 *   protect:  ... transform.protectDeferred(batch, ...) per packet ...  compute()  -> ICVs written into the packets
 *   verify:   prepareVerify(batch, ...) per packet  compute()  verify(batch, ...) per packet  clear()
 * </pre>
 * A group smaller than half the lanes is hashed one packet at a time with the SA's {@link HmacEngine}, which is then
 * faster. A computed MAC is handed out once, only for the same array, offsets and key it was computed from, and
 * {@link #clear()} forgets every one, so a MAC can never vouch for bytes it was not computed over.
 * <p>
 * Available where the Vector API ({@code --add-modules jdk.incubator.vector}) compiles to real vector code: from
 * JDK 21 with at least 16 lanes of 32 bits (AVX-512); see {@link #createIfFaster()}. Single-threaded, allocates
 * nothing after construction.
 */
public final class IcvBatch
{
    /** Most packets queued between two {@link #compute()} calls. */
    public static final int CAPACITY = 64;

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_LANES_CLASS = "org.esp4j.core.crypto.VectorSha1Lanes";
    private static final int MIN_FEATURE_VERSION = 21;
    private static final int MIN_LANES = 16;
    private static final int DIGEST_WORDS = Sha1Compression.STATE_WORDS;
    private static final int BLOCK_WORDS = Sha1Compression.BLOCK_LENGTH / 4;
    private static final int OUTER_MESSAGE_BITS = (Sha1Compression.BLOCK_LENGTH + Sha1Compression.DIGEST_LENGTH) * 8;
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private final Sha1Lanes kernel;
    private final int lanes;
    private final int minimumGroup;
    private final int[] state;
    private final int[] block;
    private final byte[] tail;
    private final int[] group;

    private final HmacEngine[] engines = new HmacEngine[CAPACITY];
    private final byte[][] arrays = new byte[CAPACITY][];
    private final int[] authOffsets = new int[CAPACITY];
    private final int[] authLengths = new int[CAPACITY];
    private final long[] esnHighs = new long[CAPACITY];
    private final int[] icvOffsets = new int[CAPACITY];
    private final int[] icvLengths = new int[CAPACITY];
    private final boolean[] writeIcv = new boolean[CAPACITY];
    private final boolean[] computed = new boolean[CAPACITY];
    private final byte[] macs = new byte[CAPACITY * Sha1Compression.DIGEST_LENGTH];
    private int count;
    private int pending;

    IcvBatch(final Sha1Lanes kernel, final int minimumGroup)
    {
        this.kernel = kernel;
        lanes = kernel.lanes();
        this.minimumGroup = minimumGroup;
        state = new int[DIGEST_WORDS * lanes];
        block = new int[BLOCK_WORDS * lanes];
        tail = new byte[2 * Sha1Compression.BLOCK_LENGTH * lanes];
        group = new int[lanes];
    }

    /**
     * @return a batch if the Vector API is present and faster here than one SHA-NI stream (JDK 21 or later, 16 or
     * more 32-bit lanes), else null: hash each packet on its own.
     */
    public static IcvBatch createIfFaster()
    {
        return Runtime.version().feature() >= MIN_FEATURE_VERSION ? create(MIN_LANES) : null;
    }

    /**
     * @param minimumLanes fewest lanes worth using.
     * @return a batch on the Vector API if its module is loaded ({@code --add-modules jdk.incubator.vector}) and the
     * CPU's vectors hold {@code minimumLanes} ints, else null. On JDK 17 it is correct but slow (tests use it there).
     */
    public static IcvBatch create(final int minimumLanes)
    {
        return create(minimumLanes, 0);
    }

    /**
     * @param minimumLanes fewest lanes worth using.
     * @param minimumGroup fewest packets of one length hashed in the lanes; smaller groups are hashed one by one
     *                     (0: half the lanes, where the lanes start to beat one SHA-NI stream; tests use 1).
     * @return as {@link #create(int)}.
     */
    public static IcvBatch create(final int minimumLanes, final int minimumGroup)
    {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty())
        {
            return null;
        }
        try
        {
            final Sha1Lanes kernel = (Sha1Lanes)Class.forName(VECTOR_LANES_CLASS).getDeclaredConstructor().newInstance();
            return kernel.lanes() >= minimumLanes ?
                new IcvBatch(kernel, minimumGroup > 0 ? minimumGroup : (kernel.lanes() + 1) / 2) : null;
        }
        catch (final ReflectiveOperationException | LinkageError ex)
        {
            return null;
        }
    }

    /** @return packets hashed together per pass. */
    public int lanes()
    {
        return lanes;
    }

    /** @return true if another packet can be queued before {@link #compute()}. */
    public boolean hasRoom()
    {
        return count < CAPACITY;
    }

    /** @return packets queued and not yet computed. */
    public int pending()
    {
        return pending;
    }

    /**
     * Queue the ICV of an outbound packet, written into it by {@link #compute()}.
     *
     * @param hmac       the SA's HMAC (SHA-1).
     * @param array      the packet.
     * @param authOffset first byte covered (the ESP header).
     * @param authLength bytes covered in the array (up to the ICV).
     * @param esn        true to append the high 32 bits of the sequence number (RFC 4303 §2.2.1).
     * @param esnHigh    those bits.
     * @param icvOffset  where the ICV goes.
     * @param icvLength  truncated ICV length.
     * @return false if full or the HMAC is not SHA-1: nothing was queued.
     */
    public boolean addProtect(
        final HmacEngine hmac,
        final byte[] array,
        final int authOffset,
        final int authLength,
        final boolean esn,
        final int esnHigh,
        final int icvOffset,
        final int icvLength)
    {
        if (count == CAPACITY || !hmac.isSha1() || icvLength > Sha1Compression.DIGEST_LENGTH)
        {
            return false;
        }
        final int i = count++;
        engines[i] = hmac;
        arrays[i] = array;
        authOffsets[i] = authOffset;
        authLengths[i] = authLength;
        esnHighs[i] = esn ? esnHigh & 0xFFFF_FFFFL : -1;
        icvOffsets[i] = icvOffset;
        icvLengths[i] = icvLength;
        writeIcv[i] = true;
        computed[i] = false;
        pending++;
        return true;
    }

    /**
     * Queue the ICV of an inbound packet, to be compared by {@link #matches} after {@link #compute()}.
     *
     * @return false if full or the HMAC is not SHA-1: nothing was queued.
     */
    public boolean addVerify(
        final HmacEngine hmac, final byte[] array, final int authOffset, final int authLength, final int icvLength)
    {
        if (!addProtect(hmac, array, authOffset, authLength, false, 0, authOffset + authLength, icvLength))
        {
            return false;
        }
        writeIcv[count - 1] = false; // kept for take(), never written into the packet
        return true;
    }

    /** Hash every queued packet: write the ICVs of outbound ones, keep the MACs of inbound ones. */
    public void compute()
    {
        for (int first = 0; first < count && pending > 0; first++)
        {
            if (computed[first])
            {
                continue;
            }
            int size = 0;
            for (int j = first; j < count && size < lanes; j++)
            {
                if (!computed[j] && authLengths[j] == authLengths[first] && (esnHighs[j] < 0) == (esnHighs[first] < 0))
                {
                    group[size++] = j;
                    computed[j] = true;
                }
            }
            pending -= size;
            if (size < minimumGroup)
            {
                for (int g = 0; g < size; g++)
                {
                    hashOne(group[g]);
                }
            }
            else
            {
                hashLanes(size);
            }
            for (int g = 0; g < size; g++)
            {
                final int job = group[g];
                if (writeIcv[job])
                {
                    System.arraycopy(macs, job * Sha1Compression.DIGEST_LENGTH, arrays[job], icvOffsets[job], icvLengths[job]);
                }
            }
        }
    }

    /**
     * Take the MAC computed for an inbound packet, if it was queued and computed with these arguments.
     *
     * @return its index for {@link #matches}, or -1: compute the MAC now.
     */
    public int take(final HmacEngine hmac, final byte[] array, final int authOffset, final int authLength)
    {
        for (int i = 0; i < count; i++)
        {
            if (arrays[i] == array && computed[i] && !writeIcv[i] && engines[i] == hmac &&
                authOffsets[i] == authOffset && authLengths[i] == authLength)
            {
                arrays[i] = null; // once only
                return i;
            }
        }
        return -1;
    }

    /**
     * Compare, in constant time, a taken MAC with the ICV the packet carries.
     *
     * @param index from {@link #take}.
     */
    public boolean matches(final int index, final byte[] array, final int icvOffset, final int icvLength)
    {
        final int macOffset = index * Sha1Compression.DIGEST_LENGTH;
        int difference = icvLength == icvLengths[index] ? 0 : 1;
        for (int i = 0; i < icvLength; i++)
        {
            difference |= macs[macOffset + i] ^ array[icvOffset + i];
        }
        return difference == 0;
    }

    /** Forget every queued and computed packet (the MACs are overwritten). */
    public void clear()
    {
        Arrays.fill(arrays, 0, count, null);
        Arrays.fill(engines, 0, count, null);
        Arrays.fill(macs, 0, count * Sha1Compression.DIGEST_LENGTH, (byte)0);
        count = 0;
        pending = 0;
    }

    private void hashOne(final int job)
    {
        final HmacEngine hmac = engines[job];
        hmac.start();
        hmac.update(arrays[job], authOffsets[job], authLengths[job]);
        if (esnHighs[job] >= 0)
        {
            hmac.updateInt((int)esnHighs[job]);
        }
        hmac.finish(macs, job * Sha1Compression.DIGEST_LENGTH);
    }

    /** HMAC of group[0..size) in the lanes; lanes past size repeat group[0] and are ignored. */
    private void hashLanes(final int size)
    {
        final int first = group[0];
        final int authLength = authLengths[first];
        final int suffix = esnHighs[first] >= 0 ? 4 : 0;
        final int fullBlocks = authLength / Sha1Compression.BLOCK_LENGTH;
        final int rest = authLength - fullBlocks * Sha1Compression.BLOCK_LENGTH;
        final int tailBlocks = (rest + suffix + 9 + Sha1Compression.BLOCK_LENGTH - 1) / Sha1Compression.BLOCK_LENGTH;
        final long messageBits = (Sha1Compression.BLOCK_LENGTH + (long)authLength + suffix) * 8;

        for (int lane = 0; lane < lanes; lane++)
        {
            final int job = group[lane < size ? lane : 0];
            final int[] inner = engines[job].sha1InnerState();
            for (int j = 0; j < DIGEST_WORDS; j++)
            {
                state[j * lanes + lane] = inner[j];
            }
            writeTail(job, lane, fullBlocks * Sha1Compression.BLOCK_LENGTH, rest, suffix, tailBlocks, messageBits);
        }
        for (int b = 0; b < fullBlocks; b++)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                final int job = group[lane < size ? lane : 0];
                kernel.loadBlock(arrays[job], authOffsets[job] + b * Sha1Compression.BLOCK_LENGTH, block, lane);
            }
            kernel.compress(state, block);
        }
        final int tailLaneLength = 2 * Sha1Compression.BLOCK_LENGTH;
        for (int b = 0; b < tailBlocks; b++)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                kernel.loadBlock(tail, lane * tailLaneLength + b * Sha1Compression.BLOCK_LENGTH, block, lane);
            }
            kernel.compress(state, block);
        }

        // outer hash: one block, the inner digest then padding, from the SA's K ^ opad chaining value
        for (int lane = 0; lane < lanes; lane++)
        {
            final int job = group[lane < size ? lane : 0];
            final int[] outer = engines[job].sha1OuterState();
            final int row = lane * BLOCK_WORDS;
            for (int j = 0; j < DIGEST_WORDS; j++)
            {
                block[row + j] = state[j * lanes + lane];
                state[j * lanes + lane] = outer[j];
            }
            block[row + DIGEST_WORDS] = 0x8000_0000;
            Arrays.fill(block, row + DIGEST_WORDS + 1, row + BLOCK_WORDS - 1, 0);
            block[row + BLOCK_WORDS - 1] = OUTER_MESSAGE_BITS;
        }
        kernel.compress(state, block);

        for (int lane = 0; lane < size; lane++)
        {
            final int macOffset = group[lane] * Sha1Compression.DIGEST_LENGTH;
            for (int j = 0; j < DIGEST_WORDS; j++)
            {
                INT_BE.set(macs, macOffset + 4 * j, state[j * lanes + lane]);
            }
        }
    }

    /** The last, partial block(s) of a lane's inner message: rest of the bytes, ESN bits, 0x80, zeros, bit length. */
    private void writeTail(
        final int job,
        final int lane,
        final int restOffset,
        final int rest,
        final int suffix,
        final int tailBlocks,
        final long messageBits)
    {
        final int base = lane * 2 * Sha1Compression.BLOCK_LENGTH;
        final int end = base + tailBlocks * Sha1Compression.BLOCK_LENGTH;
        System.arraycopy(arrays[job], authOffsets[job] + restOffset, tail, base, rest);
        int at = base + rest;
        if (suffix != 0)
        {
            INT_BE.set(tail, at, (int)esnHighs[job]);
            at += 4;
        }
        tail[at++] = (byte)0x80;
        Arrays.fill(tail, at, end - 8, (byte)0);
        INT_BE.set(tail, end - 8, (int)(messageBits >>> 32));
        INT_BE.set(tail, end - 4, (int)messageBits);
    }
}
