package org.esp4j.sip.secagree;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;

import java.util.List;

/**
 * The {@code alg} and {@code ealg} values of the {@code ipsec-3gpp} mechanism (TS 33.203 Annex H) that the SIP
 * bridge negotiates: esp-core's algorithms, by their TS 33.203 names ({@link IntegrityAlgorithm#threeGppName()},
 * {@link EncryptionAlgorithm#threeGppName()}), limited to those with an Annex I key derivation from IK and CK.
 * <p>
 * Release 15 added the combined-mode transforms: {@code ealg=aes-gcm}, which goes only with {@code alg=null}
 * (RFC 4106, integrity and confidentiality in one), and {@code alg=aes-gmac}, which goes only with
 * {@code ealg=null} (RFC 4543, integrity only). {@code alg=null} maps to {@link IntegrityAlgorithm#NONE};
 * {@code alg=aes-gmac} is esp-core's {@link EncryptionAlgorithm#AES_GMAC} transform
 * ({@link SecurityMechanism#effectiveEalg()}).
 */
public final class SecAgreeAlgorithms
{
    /** {@code alg} values, in the order error messages list them. */
    public static final List<IntegrityAlgorithm> INTEGRITY =
        List.of(IntegrityAlgorithm.HMAC_MD5_96, IntegrityAlgorithm.HMAC_SHA1_96);

    /** {@code alg} value of AES-GMAC (TS 33.203 Annex H, Rel-15). */
    public static final String AES_GMAC = "aes-gmac";

    /** {@code alg} / {@code ealg} value for none. */
    public static final String NULL = "null";

    /** {@code ealg} values, in the order error messages list them. */
    public static final List<EncryptionAlgorithm> ENCRYPTION =
        List.of(EncryptionAlgorithm.NULL, EncryptionAlgorithm.AES_CBC, EncryptionAlgorithm.DES_EDE3_CBC,
            EncryptionAlgorithm.AES_GCM_16);

    private SecAgreeAlgorithms()
    {
    }

    /**
     * @param value the {@code alg} parameter value, any case, other than {@code aes-gmac}.
     * @return the algorithm ({@link IntegrityAlgorithm#NONE} for {@code null}).
     * @throws SecAgreeException naming {@code alg} for a value the bridge does not negotiate.
     */
    public static IntegrityAlgorithm integrity(final String value)
    {
        if (NULL.equalsIgnoreCase(value))
        {
            return IntegrityAlgorithm.NONE;
        }
        for (final IntegrityAlgorithm alg : INTEGRITY)
        {
            if (alg.threeGppName().equalsIgnoreCase(value))
            {
                return alg;
            }
        }
        throw new SecAgreeException("alg: unknown integrity algorithm '" + value + "' (supported: hmac-md5-96, hmac-sha-1-96, aes-gmac, null)");
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
        throw new SecAgreeException("ealg: unknown encryption algorithm '" + value + "' (supported: null, aes-cbc, des-ede3-cbc, aes-gcm)");
    }

    /**
     * @param alg  integrity algorithm ({@link IntegrityAlgorithm#NONE} for {@code alg=null} and {@code aes-gmac}).
     * @param ealg encryption algorithm in force, {@link EncryptionAlgorithm#AES_GMAC} for {@code alg=aes-gmac}.
     * @return the {@code alg} token TS 33.203 Annex H writes for the pair.
     */
    public static String algToken(final IntegrityAlgorithm alg, final EncryptionAlgorithm ealg)
    {
        return ealg == EncryptionAlgorithm.AES_GMAC ? AES_GMAC : alg == IntegrityAlgorithm.NONE ? NULL : alg.threeGppName();
    }

    /**
     * @param alg  integrity algorithm.
     * @param ealg encryption algorithm in force.
     * @return the {@code ealg} token TS 33.203 Annex H writes for the pair.
     */
    public static String ealgToken(final IntegrityAlgorithm alg, final EncryptionAlgorithm ealg)
    {
        return ealg == EncryptionAlgorithm.AES_GMAC ? NULL : ealg.threeGppName();
    }
}
