package org.esp4j.sip.secagree;

/**
 * The {@code alg} values of the {@code ipsec-3gpp} mechanism (TS 33.203 Annex H) that esp4j supports, with the
 * ESP integrity key length after the TS 33.203 Annex I expansion.
 */
public enum IntegrityAlgorithm
{
    /** HMAC-MD5-96 (RFC 2403); key = IK, 128 bits. */
    HMAC_MD5_96("hmac-md5-96", "hmac(md5)", 16),

    /** HMAC-SHA-1-96 (RFC 2404); key = IK followed by 32 zero bits, 160 bits. */
    HMAC_SHA_1_96("hmac-sha-1-96", "hmac(sha1)", 20);

    private final String tsName;
    private final String xfrmName;
    private final int keyLengthBytes;

    IntegrityAlgorithm(final String tsName, final String xfrmName, final int keyLengthBytes)
    {
        this.tsName = tsName;
        this.xfrmName = xfrmName;
        this.keyLengthBytes = keyLengthBytes;
    }

    /**
     * @return the name as TS 33.203 spells it, e.g. {@code hmac-sha-1-96}.
     */
    public String tsName()
    {
        return tsName;
    }

    /**
     * @return the Linux crypto API name used by {@code ip xfrm}, e.g. {@code hmac(sha1)}.
     */
    public String xfrmName()
    {
        return xfrmName;
    }

    /**
     * @return ESP integrity key length in bytes.
     */
    public int keyLengthBytes()
    {
        return keyLengthBytes;
    }

    /**
     * @param value the {@code alg} parameter value, any case.
     * @return the algorithm.
     * @throws SecAgreeException naming {@code alg} for an unknown value.
     */
    public static IntegrityAlgorithm fromTsName(final String value)
    {
        for (final IntegrityAlgorithm alg : values())
        {
            if (alg.tsName.equalsIgnoreCase(value))
            {
                return alg;
            }
        }
        throw new SecAgreeException("alg: unknown integrity algorithm '" + value + "' (supported: hmac-md5-96, hmac-sha-1-96)");
    }
}
