package org.esp4j.sip.lifecycle;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.util.List;
import java.util.Objects;

/**
 * An integrity and encryption algorithm combination, the unit of local preference and of "supported".
 */
public final class AlgorithmPair
{
    /** Default preference, strongest first; every combination esp4j supports. */
    public static final List<AlgorithmPair> DEFAULT_PREFERENCE = List.of(
        new AlgorithmPair(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16),
        new AlgorithmPair(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC),
        new AlgorithmPair(IntegrityAlgorithm.HMAC_MD5_96, EncryptionAlgorithm.AES_CBC),
        new AlgorithmPair(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.DES_EDE3_CBC),
        new AlgorithmPair(IntegrityAlgorithm.HMAC_MD5_96, EncryptionAlgorithm.DES_EDE3_CBC),
        new AlgorithmPair(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC),
        new AlgorithmPair(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL),
        new AlgorithmPair(IntegrityAlgorithm.HMAC_MD5_96, EncryptionAlgorithm.NULL));

    private final IntegrityAlgorithm alg;
    private final EncryptionAlgorithm ealg;

    /**
     * @param alg  integrity algorithm ({@link IntegrityAlgorithm#NONE} with a combined-mode transform).
     * @param ealg encryption algorithm ({@link EncryptionAlgorithm#NULL} for none), or the combined-mode transform:
     *             {@link EncryptionAlgorithm#AES_GCM_16} ({@code ealg=aes-gcm}, {@code alg=null}) or
     *             {@link EncryptionAlgorithm#AES_GMAC} ({@code alg=aes-gmac}, {@code ealg=null}).
     */
    public AlgorithmPair(final IntegrityAlgorithm alg, final EncryptionAlgorithm ealg)
    {
        this.alg = Objects.requireNonNull(alg, "alg");
        this.ealg = Objects.requireNonNull(ealg, "ealg");
    }

    /**
     * @return integrity algorithm.
     */
    public IntegrityAlgorithm alg()
    {
        return alg;
    }

    /**
     * @return encryption algorithm.
     */
    public EncryptionAlgorithm ealg()
    {
        return ealg;
    }

    /**
     * @param mechanism an {@code ipsec-3gpp} mechanism.
     * @return true when it uses these algorithms.
     */
    public boolean matches(final SecurityMechanism mechanism)
    {
        return mechanism.isIpsec3gpp() && mechanism.alg() == alg && mechanism.effectiveEalg() == ealg;
    }

    public boolean equals(final Object o)
    {
        return o instanceof AlgorithmPair && ((AlgorithmPair)o).alg == alg && ((AlgorithmPair)o).ealg == ealg;
    }

    public int hashCode()
    {
        return alg.hashCode() * 31 + ealg.hashCode();
    }

    public String toString()
    {
        return org.esp4j.sip.secagree.SecAgreeAlgorithms.algToken(alg, ealg) + "/" +
            org.esp4j.sip.secagree.SecAgreeAlgorithms.ealgToken(alg, ealg);
    }
}
