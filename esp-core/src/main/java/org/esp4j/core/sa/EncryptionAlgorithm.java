package org.esp4j.core.sa;

/**
 * Encryption algorithms an SA can use, named as 3GPP TS 33.203 ({@code ealg=}) and as iproute2's {@code ip xfrm}.
 * <p>
 * The block size drives the padding (RFC 4303 §2.4): the plaintext, pad, pad length and next header fields are
 * padded to a multiple of the block size, and never to less than 4-byte alignment.
 */
public enum EncryptionAlgorithm
{
    /** NULL encryption, RFC 2410: no key, no IV, 4-byte alignment. */
    NULL("null", "ecb(cipher_null)", new int[]{ 0 }, 4, 0, false),

    /** AES-CBC, RFC 3602: 128/192/256-bit key, 16-byte block and explicit IV. TS 33.203 key: CK. */
    AES_CBC("aes-cbc", "cbc(aes)", new int[]{ 16, 24, 32 }, 16, 16, false),

    /** 3DES-CBC (EDE), RFC 2451: 192-bit key, 8-byte block and IV. TS 33.203 key: CK1 || CK2 || CK1. */
    DES_EDE3_CBC("des-ede3-cbc", "cbc(des3_ede)", new int[]{ 24 }, 8, 8, false);

    private final String threeGppName;
    private final String xfrmName;
    private final int[] keyLengthsBytes;
    private final int blockSizeBytes;
    private final int ivLengthBytes;
    private final boolean combinedMode;

    EncryptionAlgorithm(
        final String threeGppName,
        final String xfrmName,
        final int[] keyLengthsBytes,
        final int blockSizeBytes,
        final int ivLengthBytes,
        final boolean combinedMode)
    {
        this.threeGppName = threeGppName;
        this.xfrmName = xfrmName;
        this.keyLengthsBytes = keyLengthsBytes;
        this.blockSizeBytes = blockSizeBytes;
        this.ivLengthBytes = ivLengthBytes;
        this.combinedMode = combinedMode;
    }

    /** @return the name as in TS 33.203 {@code ealg=}. */
    public String threeGppName()
    {
        return threeGppName;
    }

    /** @return the name as in {@code ip xfrm} (e.g. {@code cbc(aes)}). */
    public String xfrmName()
    {
        return xfrmName;
    }

    /** @return alignment of the padded plaintext in bytes (at least 4, RFC 4303 §2.4). */
    public int blockSizeBytes()
    {
        return blockSizeBytes;
    }

    /** @return length of the explicit IV carried in each packet. */
    public int ivLengthBytes()
    {
        return ivLengthBytes;
    }

    /** @return true for AEAD ciphers that produce the ICV themselves. */
    public boolean combinedMode()
    {
        return combinedMode;
    }

    /**
     * @param keyLengthBytes candidate key length.
     * @return true if the algorithm accepts a key of that length.
     */
    public boolean acceptsKeyLength(final int keyLengthBytes)
    {
        for (final int length : keyLengthsBytes)
        {
            if (length == keyLengthBytes)
            {
                return true;
            }
        }
        return false;
    }

    /** @return the key lengths accepted, for error messages. */
    public String keyLengthsDescription()
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < keyLengthsBytes.length; i++)
        {
            sb.append(i == 0 ? "" : i == keyLengthsBytes.length - 1 ? " or " : ", ").append(keyLengthsBytes[i] * 8);
        }
        return sb.append(" bits").toString();
    }

    /**
     * Find an algorithm by its TS 33.203 name or its {@code ip xfrm} name, case-insensitive. {@code cipher_null}
     * is accepted as iproute2 also allows it.
     *
     * @param name as written by a user.
     * @return the algorithm or null if unknown.
     */
    public static EncryptionAlgorithm lookup(final String name)
    {
        if ("cipher_null".equalsIgnoreCase(name))
        {
            return NULL;
        }
        for (final EncryptionAlgorithm algorithm : values())
        {
            if (algorithm.threeGppName.equalsIgnoreCase(name) || algorithm.xfrmName.equalsIgnoreCase(name))
            {
                return algorithm;
            }
        }
        return null;
    }
}
