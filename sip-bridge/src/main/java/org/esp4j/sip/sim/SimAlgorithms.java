package org.esp4j.sip.sim;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.secagree.SecAgreeAlgorithms;

/**
 * The {@code --alg} / {@code --ealg} choice of {@code esp4j sim} and {@code esp4j demo}, checked as a pair against
 * the TS 33.203 Annex H combinations the SIP bridge negotiates:
 * <ul>
 * <li>{@code alg} hmac-md5-96 or hmac-sha-1-96 with {@code ealg} null or aes-cbc (the seed: both integrity
 * algorithms, null encryption);</li>
 * <li>{@code ealg=aes-gcm} only with {@code alg=null} (Rel-15, RFC 4106);</li>
 * <li>{@code alg=aes-gmac} only with {@code ealg=null} (Rel-15, RFC 4543).</li>
 * </ul>
 * A combined-mode choice is held as {@link IntegrityAlgorithm#NONE} with {@link EncryptionAlgorithm#AES_GCM_16} or
 * {@link EncryptionAlgorithm#AES_GMAC}, as {@link org.esp4j.sip.secagree.SecurityMechanism#ipsec3gpp} takes it.
 *
 * @param alg  integrity algorithm, or null when not chosen (the sim's default list).
 * @param ealg encryption algorithm in force, or null when not chosen (the sim's default).
 */
public record SimAlgorithms(IntegrityAlgorithm alg, EncryptionAlgorithm ealg)
{
    /** What {@code --alg} takes. */
    public static final String ALG_VALUES = "hmac-md5-96, hmac-sha-1-96, aes-gmac or null (with --ealg aes-gcm)";

    /** What {@code --ealg} takes. */
    public static final String EALG_VALUES = "null, aes-cbc or aes-gcm";

    /**
     * @param algText  the {@code --alg} value, or null when absent.
     * @param ealgText the {@code --ealg} value, or null when absent.
     * @return the choice.
     * @throws IllegalArgumentException naming the option at fault.
     */
    public static SimAlgorithms parse(final String algText, final String ealgText)
    {
        final EncryptionAlgorithm ealg = ealgText == null ? null : EncryptionAlgorithm.lookup(ealgText);
        if (ealgText != null && ealg != EncryptionAlgorithm.NULL && ealg != EncryptionAlgorithm.AES_CBC &&
            ealg != EncryptionAlgorithm.AES_GCM_16)
        {
            throw new IllegalArgumentException("--ealg: expected " + EALG_VALUES + ", got '" + ealgText + "'");
        }
        if (SecAgreeAlgorithms.AES_GMAC.equalsIgnoreCase(algText))
        {
            if (ealg != null && ealg != EncryptionAlgorithm.NULL)
            {
                throw new IllegalArgumentException("--alg aes-gmac goes only with --ealg null, got '" + ealgText + "'");
            }
            return new SimAlgorithms(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC);
        }
        final boolean algNull = SecAgreeAlgorithms.NULL.equalsIgnoreCase(algText);
        final IntegrityAlgorithm alg = algText == null ? null : algNull ? IntegrityAlgorithm.NONE :
            IntegrityAlgorithm.lookup(algText);
        if (algText != null && alg != IntegrityAlgorithm.HMAC_MD5_96 && alg != IntegrityAlgorithm.HMAC_SHA1_96 && !algNull)
        {
            throw new IllegalArgumentException("--alg: expected " + ALG_VALUES + ", got '" + algText + "'");
        }
        if (ealg == EncryptionAlgorithm.AES_GCM_16)
        {
            if (alg != null && !algNull)
            {
                throw new IllegalArgumentException("--ealg aes-gcm goes only with --alg null, got '" + algText + "'");
            }
            return new SimAlgorithms(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16);
        }
        if (algNull)
        {
            throw new IllegalArgumentException("--alg null goes only with --ealg aes-gcm");
        }
        return new SimAlgorithms(alg, ealg);
    }

    /**
     * @return the {@code --alg} token for this choice (null when not chosen).
     */
    public String algToken()
    {
        return alg == null ? null : SecAgreeAlgorithms.algToken(alg, ealg());
    }

    /**
     * @return the {@code --ealg} token for this choice (null when not chosen).
     */
    public String ealgToken()
    {
        return ealg == null ? null : SecAgreeAlgorithms.ealgToken(alg, ealg);
    }
}
