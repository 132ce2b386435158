package org.esp4j.sip.secagree;

import org.esp4j.core.sa.EncryptionAlgorithm;
import org.esp4j.core.sa.IntegrityAlgorithm;

import java.util.List;

/**
 * The {@code alg} and {@code ealg} values of the {@code ipsec-3gpp} mechanism (TS 33.203 Annex H) that the SIP
 * bridge negotiates: esp-core's algorithms, by their TS 33.203 names ({@link IntegrityAlgorithm#threeGppName()},
 * {@link EncryptionAlgorithm#threeGppName()}), limited to those with an Annex I key derivation from IK and CK.
 */
public final class SecAgreeAlgorithms
{
    /** {@code alg} values, in the order error messages list them. */
    public static final List<IntegrityAlgorithm> INTEGRITY =
        List.of(IntegrityAlgorithm.HMAC_MD5_96, IntegrityAlgorithm.HMAC_SHA1_96);

    /** {@code ealg} values, in the order error messages list them. */
    public static final List<EncryptionAlgorithm> ENCRYPTION =
        List.of(EncryptionAlgorithm.NULL, EncryptionAlgorithm.AES_CBC, EncryptionAlgorithm.DES_EDE3_CBC);

    private SecAgreeAlgorithms()
    {
    }

    /**
     * @param value the {@code alg} parameter value, any case.
     * @return the algorithm.
     * @throws SecAgreeException naming {@code alg} for a value the bridge does not negotiate.
     */
    public static IntegrityAlgorithm integrity(final String value)
    {
        for (final IntegrityAlgorithm alg : INTEGRITY)
        {
            if (alg.threeGppName().equalsIgnoreCase(value))
            {
                return alg;
            }
        }
        throw new SecAgreeException("alg: unknown integrity algorithm '" + value + "' (supported: hmac-md5-96, hmac-sha-1-96)");
    }

    /**
     * @param value the {@code ealg} parameter value, any case.
     * @return the algorithm.
     * @throws SecAgreeException naming {@code ealg} for a value the bridge does not negotiate.
     */
    public static EncryptionAlgorithm encryption(final String value)
    {
        for (final EncryptionAlgorithm ealg : ENCRYPTION)
        {
            if (ealg.threeGppName().equalsIgnoreCase(value))
            {
                return ealg;
            }
        }
        throw new SecAgreeException("ealg: unknown encryption algorithm '" + value + "' (supported: null, aes-cbc, des-ede3-cbc)");
    }
}
