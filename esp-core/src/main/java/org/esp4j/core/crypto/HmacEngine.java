package org.esp4j.core.crypto;


import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * HMAC (RFC 2104) over the JDK's {@link MessageDigest}, whose MD5, SHA-1 and SHA-2 compression functions are
 * HotSpot intrinsics. Unlike {@code javax.crypto.Mac.doFinal()}, which allocates its result on every call, this
 * writes into a caller's array and allocates nothing after construction.
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
        digest.reset();
    }
}
