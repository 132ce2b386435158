package org.esp4j.sip.secagree;

/**
 * The {@code ealg} values of the {@code ipsec-3gpp} mechanism (TS 33.203 Annex H) that esp4j supports, with the
 * ESP encryption key length after the TS 33.203 Annex I expansion.
 */
public enum EncryptionAlgorithm
{
    /** No confidentiality (RFC 2410). */
    NULL("null", "ecb(cipher_null)", 0),

    /** AES-CBC with 128-bit key (RFC 3602); key = CK. */
    AES_CBC("aes-cbc", "cbc(aes)", 16),

    /** 3DES-EDE-CBC (RFC 2451); key = CK1 || CK2 || CK1 where CK = CK1 || CK2. */
    DES_EDE3_CBC("des-ede3-cbc", "cbc(des3_ede)", 24);

    private final String tsName;
    private final String xfrmName;
    private final int keyLengthBytes;

    EncryptionAlgorithm(final String tsName, final String xfrmName, final int keyLengthBytes)
    {
        this.tsName = tsName;
        this.xfrmName = xfrmName;
        this.keyLengthBytes = keyLengthBytes;
    }

    /**
     * @return the name as TS 33.203 spells it, e.g. {@code aes-cbc}.
     */
    public String tsName()
    {
        return tsName;
    }

    /**
     * @return the Linux crypto API name used by {@code ip xfrm}, e.g. {@code cbc(aes)}.
     */
    public String xfrmName()
    {
        return xfrmName;
    }

    /**
     * @return ESP encryption key length in bytes (0 for {@link #NULL}).
     */
    public int keyLengthBytes()
    {
        return keyLengthBytes;
    }

    /**
     * @param value the {@code ealg} parameter value, any case.
     * @return the algorithm.
     * @throws SecAgreeException naming {@code ealg} for an unknown value.
     */
    public static EncryptionAlgorithm fromTsName(final String value)
    {
        for (final EncryptionAlgorithm ealg : values())
        {
            if (ealg.tsName.equalsIgnoreCase(value))
            {
                return ealg;
            }
        }
        throw new SecAgreeException("ealg: unknown encryption algorithm '" + value + "' (supported: null, aes-cbc, des-ede3-cbc)");
    }
}
