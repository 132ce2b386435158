package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * HMAC-SHA-1 and HMAC-MD5 ICVs of many ESP packets computed together, one packet per SIMD lane ("multi-buffer"
 * hashing).
 * <p>
 * One SHA-1 or MD5 stream is bound by the latency of its rounds, even on SHA-NI; sixteen independent streams in the
 * lanes of an AVX-512 register are not. The segments of a TCP super-packet, and the ESP packets of one receive batch, are
 * just such streams: same SA (or a few), same length. So the data path queues ICV work here instead of hashing each
 * packet on its own, and {@link #compute()} hashes the queue in groups of one hash and one length, every lane
 * starting from its SA's precomputed {@code K ^ ipad} chaining value (RFC 2104 §4), which also saves the two key
 * blocks per packet that {@link HmacEngine} hashes.
 * <pre>
 *   protect:  ... transform.protectDeferred(batch, ...) per packet ...  compute()  -> ICVs written into the packets
 *   verify:   prepareVerify(batch, ...) per packet  compute()  verify(batch, ...) per packet  clear()
 * </pre>
 * A group smaller than half the lanes is hashed one packet at a time with the SA's {@link HmacEngine}, which is then
 * faster. A computed MAC is handed out once, only for the same array, offsets and key it was computed from, and
 * {@link #clear()} forgets every one, so a MAC can never vouch for bytes it was not computed over.
 * <p>
 * Available where the Vector API ({@code --add-modules jdk.incubator.vector}) compiles to real vector code: from
 * JDK 25 (as measured; 17 is slower than one SHA-NI stream, 21-24 were not measured) with at least 16 lanes of 32
 * bits (AVX-512); see {@link #createIfFaster()}. Single-threaded, allocates
 * nothing after construction.
 */
public final class IcvBatch
{
    /** Most packets queued between two {@link #compute()} calls. */
    public static final int CAPACITY = 64;

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** {@link HmacEngine#laneHash()} of HMAC-SHA-1. */
    static final int SHA1 = 0;
    /** {@link HmacEngine#laneHash()} of HMAC-MD5. */
    static final int MD5 = 1;
    private static final String[] KERNEL_CLASSES = {
        "org.esp4j.core.crypto.VectorSha1Lanes", "org.esp4j.core.crypto.VectorMd5Lanes" };
    private static final int MAX_STATE_WORDS = Sha1Compression.STATE_WORDS;
    private static final int MIN_FEATURE_VERSION = 25;
    private static final int MIN_LANES = 16;
    private static final int BLOCK_LENGTH = Sha1Compression.BLOCK_LENGTH;
    /** Room per lane in the tail scratch: a message's last partial block may spill into a second one. */
    private static final int TAIL_LANE_LENGTH = 2 * BLOCK_LENGTH;
    private static final int MAX_DIGEST_LENGTH = Sha1Compression.DIGEST_LENGTH;
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Indexed by {@link #SHA1} and {@link #MD5}; all with the same lane count. */
    private final HashLanes[] kernels;
    private final int lanes;
    private final int minimumGroup;
    private final int[] state;
    private final byte[][] laneSources;
    private final int[] laneOffsets;
    private final byte[] tail;
    private final int[] group;
    private final int[] digestWords = new int[MAX_STATE_WORDS];

    private final HmacEngine[] engines = new HmacEngine[CAPACITY];
    private final byte[][] arrays = new byte[CAPACITY][];
    private final int[] authOffsets = new int[CAPACITY];
    private final int[] authLengths = new int[CAPACITY];
    private final long[] esnHighs = new long[CAPACITY];
    private final int[] icvOffsets = new int[CAPACITY];
    private final int[] icvLengths = new int[CAPACITY];
    private final boolean[] writeIcv = new boolean[CAPACITY];
    private final boolean[] computed = new boolean[CAPACITY];
    private final byte[] macs = new byte[CAPACITY * MAX_DIGEST_LENGTH];
    private int count;
    private int pending;

    IcvBatch(final HashLanes sha1, final HashLanes md5, final int minimumGroup)
    {
        if (sha1.lanes() != md5.lanes() || !sha1.bigEndian() || md5.bigEndian())
        {
            throw new IllegalArgumentException("kernels do not match");
        }
        kernels = new HashLanes[] { sha1, md5 };
        lanes = sha1.lanes();
        this.minimumGroup = minimumGroup;
        state = new int[MAX_STATE_WORDS * lanes];
        laneSources = new byte[lanes][];
        laneOffsets = new int[lanes];
        tail = new byte[TAIL_LANE_LENGTH * lanes];
        group = new int[lanes];
    }

    /**
     * @return a batch if the Vector API is present and known faster here than one SHA-NI stream (JDK 25 or later, 16 or
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
            final HashLanes sha1 = (HashLanes)Class.forName(KERNEL_CLASSES[SHA1]).getDeclaredConstructor().newInstance();
            final HashLanes md5 = (HashLanes)Class.forName(KERNEL_CLASSES[MD5]).getDeclaredConstructor().newInstance();
            return sha1.lanes() >= minimumLanes ?
                new IcvBatch(sha1, md5, minimumGroup > 0 ? minimumGroup : (sha1.lanes() + 1) / 2) : null;
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
     * @param hmac       the SA's HMAC (SHA-1 or MD5).
     * @param array      the packet.
     * @param authOffset first byte covered (the ESP header).
     * @param authLength bytes covered in the array (up to the ICV).
     * @param esn        true to append the high 32 bits of the sequence number (RFC 4303 §2.2.1).
     * @param esnHigh    those bits.
     * @param icvOffset  where the ICV goes.
     * @param icvLength  truncated ICV length.
     * @return false if full or the HMAC is neither SHA-1 nor MD5: nothing was queued.
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
        if (count == CAPACITY || !hmac.laneHashable() || icvLength > hmac.macLength())
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
     * @return false if full or the HMAC is neither SHA-1 nor MD5: nothing was queued.
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
                if (!computed[j] && authLengths[j] == authLengths[first] &&
                    (esnHighs[j] < 0) == (esnHighs[first] < 0) && engines[j].laneHash() == engines[first].laneHash())
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
                    System.arraycopy(macs, job * MAX_DIGEST_LENGTH, arrays[job], icvOffsets[job], icvLengths[job]);
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
        final int macOffset = index * MAX_DIGEST_LENGTH;
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
        Arrays.fill(macs, 0, count * MAX_DIGEST_LENGTH, (byte)0);
        count = 0;
        pending = 0;
    }

    private void hashOne(final int job)
    {
        final HmacEngine hmac = engines[job];
        hmac.mac(arrays[job], authOffsets[job], authLengths[job], esnHighs[job] >= 0, (int)esnHighs[job], macs,
            job * MAX_DIGEST_LENGTH);
    }

    /** HMAC of group[0..size) in the lanes; lanes past size repeat group[0] and are ignored. */
    private void hashLanes(final int size)
    {
        final int first = group[0];
        final HashLanes kernel = kernels[engines[first].laneHash()];
        final int stateWords = kernel.stateWords();
        final boolean bigEndian = kernel.bigEndian();
        final int authLength = authLengths[first];
        final int suffix = esnHighs[first] >= 0 ? 4 : 0;
        final int fullBlocks = authLength / BLOCK_LENGTH;
        final int rest = authLength - fullBlocks * BLOCK_LENGTH;
        final int tailBlocks = (rest + suffix + 9 + BLOCK_LENGTH - 1) / BLOCK_LENGTH;
        final long messageBits = (BLOCK_LENGTH + (long)authLength + suffix) * 8;

        // inner hash: the packets' whole blocks where they are, then their tails, from the SAs' K ^ ipad states
        for (int lane = 0; lane < lanes; lane++)
        {
            final int job = group[lane < size ? lane : 0];
            final int[] inner = engines[job].laneInnerState();
            for (int j = 0; j < stateWords; j++)
            {
                state[j * lanes + lane] = inner[j];
            }
            laneSources[lane] = arrays[job];
            laneOffsets[lane] = authOffsets[job];
            writeTail(job, lane, fullBlocks * BLOCK_LENGTH, rest, suffix, tailBlocks, messageBits, bigEndian);
        }
        if (fullBlocks > 0)
        {
            kernel.compressBlocks(state, laneSources, laneOffsets, fullBlocks);
        }
        for (int lane = 0; lane < lanes; lane++)
        {
            laneSources[lane] = tail;
            laneOffsets[lane] = lane * TAIL_LANE_LENGTH;
        }
        kernel.compressBlocks(state, laneSources, laneOffsets, tailBlocks);

        // outer hash: one block, the inner digest then padding, from the SAs' K ^ opad states
        final long outerBits = (BLOCK_LENGTH + 4L * stateWords) * 8;
        for (int lane = 0; lane < lanes; lane++)
        {
            final int job = group[lane < size ? lane : 0];
            final int[] outer = engines[job].laneOuterState();
            final int base = lane * TAIL_LANE_LENGTH;
            for (int j = 0; j < stateWords; j++)
            {
                putWord(tail, base + 4 * j, state[j * lanes + lane], bigEndian);
                state[j * lanes + lane] = outer[j];
            }
            tail[base + 4 * stateWords] = (byte)0x80;
            Arrays.fill(tail, base + 4 * stateWords + 1, base + BLOCK_LENGTH - 8, (byte)0);
            putLength(base + BLOCK_LENGTH, outerBits, bigEndian);
        }
        kernel.compressBlocks(state, laneSources, laneOffsets, 1);

        for (int lane = 0; lane < size; lane++)
        {
            final int macOffset = group[lane] * MAX_DIGEST_LENGTH;
            for (int j = 0; j < stateWords; j++)
            {
                putWord(macs, macOffset + 4 * j, state[j * lanes + lane], bigEndian);
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
        final long messageBits,
        final boolean bigEndian)
    {
        final int base = lane * TAIL_LANE_LENGTH;
        final int end = base + tailBlocks * BLOCK_LENGTH;
        System.arraycopy(arrays[job], authOffsets[job] + restOffset, tail, base, rest);
        int at = base + rest;
        if (suffix != 0)
        {
            INT_BE.set(tail, at, (int)esnHighs[job]); // the ESN bits are message bytes, in network order
            at += 4;
        }
        tail[at++] = (byte)0x80;
        Arrays.fill(tail, at, end - 8, (byte)0);
        putLength(end, messageBits, bigEndian);
    }

    // each VarHandle a constant at its call site: C2 compiles a VarHandle chosen at run time into slow, fragile code
    private static void putWord(final byte[] array, final int offset, final int word, final boolean bigEndian)
    {
        if (bigEndian)
        {
            INT_BE.set(array, offset, word);
        }
        else
        {
            INT_LE.set(array, offset, word);
        }
    }

    /** The message length in bits, in the last 8 bytes before {@code end}: big-endian (SHA-1) or little-endian (MD5). */
    private void putLength(final int end, final long bits, final boolean bigEndian)
    {
        if (bigEndian)
        {
            INT_BE.set(tail, end - 8, (int)(bits >>> 32));
            INT_BE.set(tail, end - 4, (int)bits);
        }
        else
        {
            INT_LE.set(tail, end - 8, (int)bits);
            INT_LE.set(tail, end - 4, (int)(bits >>> 32));
        }
    }
}
