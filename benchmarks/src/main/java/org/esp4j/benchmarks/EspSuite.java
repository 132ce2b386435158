package org.esp4j.benchmarks;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;

/**
 * The ESP algorithm suites benchmarked: those an IMS UE negotiates with a P-CSCF (3GPP TS 33.203 Annex H), each with
 * the name of the JDK {@link javax.crypto.Mac} that computes the same HMAC for the baseline. The combined-mode suites
 * (no HMAC, so no {@link #jdkMacName()}) are measured by {@link AesGcmBenchmark} against the JDK's AES/GCM.
 */
public enum EspSuite
{
    /** HMAC-MD5-96 (RFC 2403) with NULL encryption (RFC 2410). */
    HMAC_MD5_96_NULL(IntegrityAlgorithm.HMAC_MD5_96, EncryptionAlgorithm.NULL, "HmacMD5"),

    /** HMAC-SHA-1-96 (RFC 2404) with NULL encryption (RFC 2410). */
    HMAC_SHA1_96_NULL(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL, "HmacSHA1"),

    /** HMAC-SHA-1-96 (RFC 2404) with AES-128-CBC (RFC 3602). */
    HMAC_SHA1_96_AES_CBC(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC, "HmacSHA1"),

    /** AES-128-GCM with a 16-byte ICV (RFC 4106), TS 33.203 {@code aes-gcm}. */
    AES_128_GCM_16(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16, null),

    /** AES-128-GMAC (RFC 4543), integrity only, TS 33.203 {@code aes-gmac}. */
    AES_128_GMAC(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC, null);

    private final IntegrityAlgorithm integrity;
    private final EncryptionAlgorithm encryption;
    private final String jdkMacName;

    EspSuite(final IntegrityAlgorithm integrity, final EncryptionAlgorithm encryption, final String jdkMacName)
    {
        this.integrity = integrity;
        this.encryption = encryption;
        this.jdkMacName = jdkMacName;
    }

    public IntegrityAlgorithm integrity()
    {
        return integrity;
    }

    public EncryptionAlgorithm encryption()
    {
        return encryption;
    }

    /** @return the {@link javax.crypto.Mac} algorithm name of the same HMAC, or null for combined-mode suites. */
    public String jdkMacName()
    {
        return jdkMacName;
    }

    /** @return a fixed integrity key of the algorithm's length (IK for MD5, IK || 32 zero bits for SHA-1). */
    public byte[] integrityKey()
    {
        return EspFixture.pattern(integrity.keyLengthBytes(), 0x11);
    }

    /** @return a fixed encryption key: 16 bytes for AES-CBC, 16 + 4 bytes of salt for AES-GCM/GMAC, none for NULL. */
    public byte[] encryptionKey()
    {
        return encryption == EncryptionAlgorithm.NULL ? new byte[0] :
            EspFixture.pattern(16 + encryption.saltLengthBytes(), 0x55);
    }
}
