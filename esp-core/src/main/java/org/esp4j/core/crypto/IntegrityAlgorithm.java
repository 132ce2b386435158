package org.esp4j.core.crypto;

/**
 * Integrity (authentication) algorithms an SA can use, named as 3GPP TS 33.203 and as iproute2's {@code ip xfrm}
 * spell them.
 * <p>
 * The ICV is the HMAC truncated to {@link #icvLengthBytes()} (RFC 2404 §2, RFC 2403 §2, RFC 4868 §2.3).
 * {@link #NONE} is only valid together with a combined-mode (AEAD) cipher, whose ICV is produced by the cipher.
 */
public enum IntegrityAlgorithm
{
    /** HMAC-MD5-96, RFC 2403: 128-bit key, 96-bit ICV. TS 33.203 key: IK. */
    HMAC_MD5_96("hmac-md5-96", "hmac(md5)", "MD5", 16, 96, 64, 16),

    /** HMAC-SHA-1-96, RFC 2404: 160-bit key, 96-bit ICV. TS 33.203 key: IK || 32 zero bits. */
    HMAC_SHA1_96("hmac-sha-1-96", "hmac(sha1)", "SHA-1", 20, 96, 64, 20),

    /** HMAC-SHA-256-128, RFC 4868: 256-bit key, 128-bit ICV. */
    HMAC_SHA256_128("hmac-sha-256-128", "hmac(sha256)", "SHA-256", 32, 128, 64, 32),

    /** No separate integrity transform: only with a combined-mode cipher. */
    NONE("none", "none", null, 0, 0, 0, 0);

    private final String threeGppName;
    private final String xfrmName;
    private final String digestName;
    private final int keyLengthBytes;
    private final int defaultIcvLengthBits;
    private final int digestBlockLengthBytes;
    private final int digestLengthBytes;

    IntegrityAlgorithm(
        final String threeGppName,
        final String xfrmName,
        final String digestName,
        final int keyLengthBytes,
        final int defaultIcvLengthBits,
        final int digestBlockLengthBytes,
        final int digestLengthBytes)
    {
        this.digestLengthBytes = digestLengthBytes;
        this.threeGppName = threeGppName;
        this.xfrmName = xfrmName;
        this.digestName = digestName;
        this.keyLengthBytes = keyLengthBytes;
        this.defaultIcvLengthBits = defaultIcvLengthBits;
        this.digestBlockLengthBytes = digestBlockLengthBytes;
    }

    /** @return the name as in TS 33.203 {@code alg=} (e.g. {@code hmac-sha-1-96}). */
    public String threeGppName()
    {
        return threeGppName;
    }

    /** @return the name as in {@code ip xfrm} (e.g. {@code hmac(sha1)}). */
    public String xfrmName()
    {
        return xfrmName;
    }

    /** @return the JDK {@link java.security.MessageDigest} algorithm name, or null for {@link #NONE}. */
    public String digestName()
    {
        return digestName;
    }

    /** @return the key length the RFC specifies. */
    public int keyLengthBytes()
    {
        return keyLengthBytes;
    }

    /** @return the ICV length in bits the RFC specifies. */
    public int defaultIcvLengthBits()
    {
        return defaultIcvLengthBits;
    }

    /** @return the ICV length in bytes the RFC specifies. */
    public int icvLengthBytes()
    {
        return defaultIcvLengthBits / 8;
    }

    /** @return the digest's internal block length (HMAC pads the key to it). */
    public int digestBlockLengthBytes()
    {
        return digestBlockLengthBytes;
    }

    /** @return the untruncated digest length. */
    public int digestLengthBytes()
    {
        return digestLengthBytes;
    }

    /**
     * Find an algorithm by its TS 33.203 name or its {@code ip xfrm} name, case-insensitive.
     *
     * @param name as written by a user.
     * @return the algorithm or null if unknown.
     */
    public static IntegrityAlgorithm lookup(final String name)
    {
        for (final IntegrityAlgorithm algorithm : values())
        {
            if (algorithm.threeGppName.equalsIgnoreCase(name) || algorithm.xfrmName.equalsIgnoreCase(name))
            {
                return algorithm;
            }
        }
        return null;
    }
}
