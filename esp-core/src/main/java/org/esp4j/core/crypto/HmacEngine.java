package org.esp4j.core.crypto;


import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * HMAC (RFC 2104) over the JDK's {@link MessageDigest}, whose MD5, SHA-1 and SHA-2 compression functions are
 * HotSpot intrinsics. Unlike {@code javax.crypto.Mac.doFinal()}, which allocates its result on every call, this
 * writes into a caller's array and allocates nothing after construction. HMAC-SHA-1 through {@link #mac} starts
 * from the chaining values after the key blocks, on the JDK's own SHA-1 compression, where
 * {@link JdkSha1Intrinsics} is available: two compressions per MAC fewer than through the digest.
 * <p>
 * Used for HMAC-MD5-96 (RFC 2403), HMAC-SHA-1-96 (RFC 2404) and HMAC-SHA-256-128 (RFC 4868). Not thread-safe.
 */
public final class HmacEngine
{
    private static final byte IPAD = 0x36;
    private static final byte OPAD = 0x5c;

    private final MessageDigest digest;
    private final byte[] innerPad;
    private final byte[] outerPad;
    private final byte[] innerHash;
    private final int digestLength;
    /** Which {@link IcvBatch} kernel can hash this MAC ({@link IcvBatch#SHA1}, {@link IcvBatch#MD5}), or -1. */
    private final int laneHash;
    /** Chaining values after the key blocks (RFC 2104 §4), for {@link IcvBatch}; null for other hashes. */
    private final int[] laneInnerState;
    private final int[] laneOuterState;
    /**
     * HMAC-SHA-1 where {@link JdkSha1Intrinsics#AVAILABLE}: the JDK's SHA-1 object whose chaining value
     * ({@link #shaState}) {@link #mac} sets to the key blocks' ({@link #laneInnerState}, {@link #laneOuterState});
     * null otherwise, and {@link #mac} hashes through {@link #digest}.
     */
    private final Object sha;
    private final int[] shaState;
    /** The message's last bytes (and the ESN's high bits) with their padding: one or two blocks. */
    private final byte[] tailBlocks;
    /** The outer hash's only block: the inner hash, then padding that is the same for every MAC. */
    private final byte[] outerBlock;

    /**
     * @param algorithm the HMAC's hash.
     * @param key       key of any length (longer than a block is hashed first, RFC 2104 §2).
     */
    public HmacEngine(final IntegrityAlgorithm algorithm, final byte[] key)
    {
        try
        {
            digest = MessageDigest.getInstance(algorithm.digestName());
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(algorithm.digestName() + " is not available", ex);
        }
        digestLength = digest.getDigestLength();
        final int blockLength = algorithm.digestBlockLengthBytes();
        innerPad = new byte[blockLength];
        outerPad = new byte[blockLength];
        innerHash = new byte[digestLength];

        final byte[] blockKey = key.length > blockLength ? digest.digest(key) : key;
        for (int i = 0; i < blockLength; i++)
        {
            final byte k = i < blockKey.length ? blockKey[i] : 0;
            innerPad[i] = (byte)(k ^ IPAD);
            outerPad[i] = (byte)(k ^ OPAD);
        }
        if (blockKey != key)
        {
            Arrays.fill(blockKey, (byte)0);
        }
        if ("SHA-1".equals(algorithm.digestName()))
        {
            laneHash = IcvBatch.SHA1;
            laneInnerState = new int[Sha1Compression.STATE_WORDS];
            laneOuterState = new int[Sha1Compression.STATE_WORDS];
            Sha1Compression.initialState(laneInnerState);
            Sha1Compression.compress(laneInnerState, innerPad, 0);
            Sha1Compression.initialState(laneOuterState);
            Sha1Compression.compress(laneOuterState, outerPad, 0);
        }
        else if ("MD5".equals(algorithm.digestName()))
        {
            laneHash = IcvBatch.MD5;
            laneInnerState = new int[Md5Compression.STATE_WORDS];
            laneOuterState = new int[Md5Compression.STATE_WORDS];
            Md5Compression.initialState(laneInnerState);
            Md5Compression.compress(laneInnerState, innerPad, 0);
            Md5Compression.initialState(laneOuterState);
            Md5Compression.compress(laneOuterState, outerPad, 0);
        }
        else
        {
            laneHash = -1;
            laneInnerState = null;
            laneOuterState = null;
        }

        if (laneHash == IcvBatch.SHA1 && JdkSha1Intrinsics.AVAILABLE)
        {
            sha = JdkSha1Intrinsics.newSha1();
            shaState = JdkSha1Intrinsics.state(sha);
            tailBlocks = new byte[2 * JdkSha1Intrinsics.BLOCK_LENGTH];
            outerBlock = new byte[JdkSha1Intrinsics.BLOCK_LENGTH];
            outerBlock[digestLength] = (byte)0x80;
            putBitLength(outerBlock, JdkSha1Intrinsics.BLOCK_LENGTH, blockLength + digestLength);
        }
        else
        {
            sha = null;
            shaState = null;
            tailBlocks = null;
            outerBlock = null;
        }
    }

    /** @return true if {@link IcvBatch} can hash this MAC in its lanes (HMAC-SHA-1 and HMAC-MD5). */
    public boolean laneHashable()
    {
        return laneHash >= 0;
    }

    int laneHash()
    {
        return laneHash;
    }

    int[] laneInnerState()
    {
        return laneInnerState;
    }

    int[] laneOuterState()
    {
        return laneOuterState;
    }

    /** @return the untruncated MAC length. */
    public int macLength()
    {
        return digestLength;
    }

    /**
     * The whole MAC of {@code array[offset, offset + length)}, followed by the ESN's high bits if {@code esn}
     * (RFC 4303 §2.2.1), in one call: with {@link JdkSha1Intrinsics} from the key blocks' chaining values, else as
     * {@link #start}, {@link #update}, {@link #updateInt} and {@link #finish}. Both give the same MAC.
     *
     * @param out       destination with at least {@link #macLength()} bytes from {@code outOffset}.
     * @param outOffset where to write.
     */
    public void mac(
        final byte[] array, final int offset, final int length, final boolean esn, final int esnHigh, final byte[] out,
        final int outOffset)
    {
        if (sha == null)
        {
            start();
            update(array, offset, length);
            if (esn)
            {
                updateInt(esnHigh);
            }
            finish(out, outOffset);
            return;
        }
        final int blockLength = JdkSha1Intrinsics.BLOCK_LENGTH;
        final int[] state = shaState;
        System.arraycopy(laneInnerState, 0, state, 0, JdkSha1Intrinsics.STATE_WORDS);
        final int whole = length & -blockLength;
        if (whole > 0)
        {
            JdkSha1Intrinsics.compress(sha, array, offset, whole / blockLength);
        }
        // padding (FIPS 180-4 §5.1.1) after the key block, the message and the ESN bits
        final byte[] tail = tailBlocks;
        int at = length - whole;
        System.arraycopy(array, offset + whole, tail, 0, at);
        if (esn)
        {
            putInt(tail, at, esnHigh);
            at += 4;
        }
        tail[at++] = (byte)0x80;
        final int end = at + 8 <= blockLength ? blockLength : 2 * blockLength;
        Arrays.fill(tail, at, end - 8, (byte)0);
        putBitLength(tail, end, blockLength + length + (esn ? 4 : 0));
        JdkSha1Intrinsics.compress(sha, tail, 0, end / blockLength);

        final byte[] outer = outerBlock;
        for (int i = 0; i < JdkSha1Intrinsics.STATE_WORDS; i++)
        {
            putInt(outer, 4 * i, state[i]);
        }
        System.arraycopy(laneOuterState, 0, state, 0, JdkSha1Intrinsics.STATE_WORDS);
        JdkSha1Intrinsics.compress(sha, outer, 0, 1);
        for (int i = 0; i < JdkSha1Intrinsics.STATE_WORDS; i++)
        {
            putInt(out, outOffset + 4 * i, state[i]);
        }
    }

    /** @return how {@link #mac} hashes: {@code jdk-sha1-state}, or {@code digest (reason)}. */
    public String implementation()
    {
        return sha != null ? "jdk-sha1-state" :
            "digest (" + (laneHash != IcvBatch.SHA1 ? "not SHA-1" : JdkSha1Intrinsics.REASON) + ")";
    }

    private static void putInt(final byte[] array, final int offset, final int value)
    {
        array[offset] = (byte)(value >>> 24);
        array[offset + 1] = (byte)(value >>> 16);
        array[offset + 2] = (byte)(value >>> 8);
        array[offset + 3] = (byte)value;
    }

    /** The message length in bits, big-endian, in the 8 bytes before {@code end}. */
    private static void putBitLength(final byte[] block, final int end, final long lengthBytes)
    {
        final long bits = lengthBytes * 8;
        putInt(block, end - 8, (int)(bits >>> 32));
        putInt(block, end - 4, (int)bits);
    }

    /** Begin a MAC computation. */
    public void start()
    {
        digest.reset();
        digest.update(innerPad, 0, innerPad.length);
    }

    /**
     * Add bytes to the MAC.
     *
     * @param array  source.
     * @param offset first byte.
     * @param length byte count.
     */
    public void update(final byte[] array, final int offset, final int length)
    {
        digest.update(array, offset, length);
    }

    /**
     * Add a big-endian 32-bit value (the ESN high bits, RFC 4303 §2.2.1) to the MAC.
     *
     * @param value the value.
     */
    public void updateInt(final int value)
    {
        digest.update((byte)(value >>> 24));
        digest.update((byte)(value >>> 16));
        digest.update((byte)(value >>> 8));
        digest.update((byte)value);
    }

    /**
     * Finish and write the full MAC.
     *
     * @param out    destination with at least {@link #macLength()} bytes from {@code offset}.
     * @param offset where to write.
     */
    public void finish(final byte[] out, final int offset)
    {
        try
        {
            digest.digest(innerHash, 0, digestLength);
            digest.update(outerPad, 0, outerPad.length);
            digest.update(innerHash, 0, digestLength);
            digest.digest(out, offset, digestLength);
        }
        catch (final DigestException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Overwrite the key-derived pads. */
    public void destroy()
    {
        Arrays.fill(innerPad, (byte)0);
        Arrays.fill(outerPad, (byte)0);
        Arrays.fill(innerHash, (byte)0);
        if (laneInnerState != null)
        {
            Arrays.fill(laneInnerState, 0);
            Arrays.fill(laneOuterState, 0);
        }
        if (sha != null)
        {
            Arrays.fill(shaState, 0);
            Arrays.fill(tailBlocks, (byte)0);
            Arrays.fill(outerBlock, 0, digestLength, (byte)0);
        }
        digest.reset();
    }
}
