package org.esp4j.core.crypto;

/**
 * Encryption algorithms an SA can use, named as 3GPP TS 33.203 ({@code ealg=}) and as iproute2's {@code ip xfrm}.
 * <p>
 * The block size drives the padding (RFC 4303 §2.4): the plaintext, pad, pad length and next header fields are
 * padded to a multiple of the block size, and never to less than 4-byte alignment.
 * <p>
 * <b>Combined mode (AEAD).</b> AES-GCM (RFC 4106) and AES-GMAC (RFC 4543) produce the ICV themselves (RFC 4303
 * §3.2.3), so an SA using one has {@link IntegrityAlgorithm#NONE} and its ICV length is the algorithm's
 * ({@link #icvLengthBytes()}): one entry per ICV length, as IKEv2 has (ENCR_AES_GCM_8/12/16, RFC 4106 §8.1) and as
 * {@code ip xfrm state add ... aead 'rfc4106(gcm(aes))' KEY ICV-BITS} selects. Their key is the keying material
 * {@code ip xfrm} takes: the AES key followed by a 4-byte salt (RFC 4106 §8.1), which becomes the first four bytes
 * of every nonce.
 */
public enum EncryptionAlgorithm
{
    /** NULL encryption, RFC 2410: no key, no IV, 4-byte alignment. */
    NULL("null", "ecb(cipher_null)", new int[]{ 0 }, 4, 0, 0, 0, false),

    /** AES-CBC, RFC 3602: 128/192/256-bit key, 16-byte block and explicit IV. TS 33.203 key: CK. */
    AES_CBC("aes-cbc", "cbc(aes)", new int[]{ 16, 24, 32 }, 16, 16, 0, 0, false),

    /** 3DES-CBC (EDE), RFC 2451: 192-bit key, 8-byte block and IV. TS 33.203 key: CK1 || CK2 || CK1. */
    DES_EDE3_CBC("des-ede3-cbc", "cbc(des3_ede)", new int[]{ 24 }, 8, 8, 0, 0, false),

    /**
     * AES-GCM with a 16-byte ICV, RFC 4106 (ENCR_AES_GCM_16): 128/192/256-bit key + 32-bit salt, 8-byte explicit
     * IV, 4-byte alignment (GCM is a stream mode). The ICV length every implementation must support (RFC 4106 §6),
     * so it is also what the bare name {@code rfc4106(gcm(aes))} means to {@link #lookup}. TS 33.203: {@code aes-gcm}.
     */
    AES_GCM_16("aes-gcm", "rfc4106(gcm(aes))", new int[]{ 16, 24, 32 }, 4, 8, 16, 4, true),

    /** AES-GCM with a 12-byte ICV, RFC 4106 (ENCR_AES_GCM_12). No TS 33.203 name. */
    AES_GCM_12(null, "rfc4106(gcm(aes))", new int[]{ 16, 24, 32 }, 4, 8, 12, 4, true),

    /** AES-GCM with an 8-byte ICV, RFC 4106 (ENCR_AES_GCM_8). No TS 33.203 name. */
    AES_GCM_8(null, "rfc4106(gcm(aes))", new int[]{ 16, 24, 32 }, 4, 8, 8, 4, true),

    /**
     * AES-GMAC, RFC 4543 (ENCR_NULL_AUTH_AES_GMAC): integrity only. The payload travels in clear and is
     * authenticated together with SPI, sequence number and IV (RFC 4543 §3); 16-byte ICV, 8-byte IV,
     * 128/192/256-bit key + 32-bit salt. TS 33.203 names it as an integrity algorithm, {@code alg=aes-gmac}; in ESP it
     * is a combined-mode transform, so it lives here.
     */
    AES_GMAC("aes-gmac", "rfc4543(gcm(aes))", new int[]{ 16, 24, 32 }, 4, 8, 16, 4, true);

    private final String threeGppName;
    private final String xfrmName;
    private final int[] keyLengthsBytes;
    private final int blockSizeBytes;
    private final int ivLengthBytes;
    private final int icvLengthBytes;
    private final int saltLengthBytes;
    private final boolean combinedMode;

    EncryptionAlgorithm(
        final String threeGppName,
        final String xfrmName,
        final int[] keyLengthsBytes,
        final int blockSizeBytes,
        final int ivLengthBytes,
        final int icvLengthBytes,
        final int saltLengthBytes,
        final boolean combinedMode)
    {
        this.threeGppName = threeGppName;
        this.xfrmName = xfrmName;
        this.keyLengthsBytes = keyLengthsBytes;
        this.blockSizeBytes = blockSizeBytes;
        this.ivLengthBytes = ivLengthBytes;
        this.icvLengthBytes = icvLengthBytes;
        this.saltLengthBytes = saltLengthBytes;
        this.combinedMode = combinedMode;
    }

    /** @return the name as in TS 33.203 {@code ealg=} ({@code alg=} for AES-GMAC), or null where it has none. */
    public String threeGppName()
    {
        return threeGppName;
    }

    /** @return the name as in {@code ip xfrm} (e.g. {@code cbc(aes)}, {@code rfc4106(gcm(aes))}). */
    public String xfrmName()
    {
        return xfrmName;
    }

    /** @return for combined-mode algorithms the ICV length in bytes; 0 for the others (their ICV is the HMAC's). */
    public int icvLengthBytes()
    {
        return icvLengthBytes;
    }

    /** @return for combined-mode algorithms the ICV length in bits (as {@code ip xfrm aead} takes it); else 0. */
    public int icvLengthBits()
    {
        return icvLengthBytes * 8;
    }

    /** @return bytes of salt at the end of the key material (4 for AES-GCM and AES-GMAC, RFC 4106 §8.1), else 0. */
    public int saltLengthBytes()
    {
        return saltLengthBytes;
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
     * @param keyLengthBytes candidate key length, salt included.
     * @return true if the algorithm accepts a key of that length.
     */
    public boolean acceptsKeyLength(final int keyLengthBytes)
    {
        for (final int length : keyLengthsBytes)
        {
            if (length + saltLengthBytes == keyLengthBytes)
            {
                return true;
            }
        }
        return false;
    }

    /** @return the key lengths accepted, for error messages (e.g. {@code 128, 192 or 256 bits}). */
    public String keyLengthsDescription()
    {
        final StringBuilder sb = new StringBuilder();
        appendBits(sb, 0);
        sb.append(" bits");
        if (saltLengthBytes > 0)
        {
            sb.append(" of AES key followed by a ").append(saltLengthBytes * 8).append("-bit salt (");
            appendBits(sb, saltLengthBytes);
            sb.append(" bits in all)");
        }
        return sb.toString();
    }

    private void appendBits(final StringBuilder sb, final int extraBytes)
    {
        for (int i = 0; i < keyLengthsBytes.length; i++)
        {
            sb.append(i == 0 ? "" : i == keyLengthsBytes.length - 1 ? " or " : ", ")
                .append((keyLengthsBytes[i] + extraBytes) * 8);
        }
    }

    /**
     * Find an algorithm by its TS 33.203 name or its {@code ip xfrm} name, case-insensitive. {@code cipher_null}
     * is accepted as iproute2 also allows it. {@code rfc4106(gcm(aes))} alone gives {@link #AES_GCM_16}; use
     * {@link #lookupAead(String, int)} when the ICV length is known.
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
            if (name.equalsIgnoreCase(algorithm.threeGppName) || algorithm.xfrmName.equalsIgnoreCase(name))
            {
                return algorithm;
            }
        }
        return null;
    }

    /**
     * Find a combined-mode algorithm by name (TS 33.203 or {@code ip xfrm}, case-insensitive) and ICV length, as
     * {@code ip xfrm state add ... aead NAME KEY ICV-BITS} gives them.
     *
     * @param name          as written by a user.
     * @param icvLengthBits the ICV length in bits.
     * @return the algorithm, or null if no combined-mode algorithm has that name and ICV length.
     */
    public static EncryptionAlgorithm lookupAead(final String name, final int icvLengthBits)
    {
        final EncryptionAlgorithm named = lookup(name);
        if (named == null || !named.combinedMode)
        {
            return null;
        }
        // The name picks the family (rfc4106 / aes-gcm, rfc4543 / aes-gmac), the ICV length the member.
        for (final EncryptionAlgorithm algorithm : values())
        {
            if (algorithm.combinedMode && algorithm.xfrmName.equals(named.xfrmName) &&
                algorithm.icvLengthBits() == icvLengthBits)
            {
                return algorithm;
            }
        }
        return null;
    }

    /**
     * @param name an algorithm name as written by a user.
     * @return true if some combined-mode algorithm has that name (with some ICV length).
     */
    public static boolean isAeadName(final String name)
    {
        final EncryptionAlgorithm algorithm = lookup(name);
        return algorithm != null && algorithm.combinedMode;
    }
}
