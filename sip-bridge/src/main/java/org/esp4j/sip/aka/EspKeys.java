package org.esp4j.sip.aka;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * ESP keys from the AKA keys, 3GPP TS 33.203 Annex I.
 * <ul>
 * <li>hmac-md5-96: IK (128 bits).</li>
 * <li>hmac-sha-1-96: IK followed by 32 zero bits (160 bits).</li>
 * <li>aes-cbc: CK (128 bits).</li>
 * <li>des-ede3-cbc: CK1 || CK2 || CK1 where CK = CK1 || CK2 (192 bits).</li>
 * <li>null: no key.</li>
 * <li>aes-gcm ({@code ealg=aes-gcm} with {@code alg=null}, Rel-15 and later): CK (128 bits) followed by a 32-bit
 * salt, the RFC 4106 keying material of the {@code rfc4106(gcm(aes))} SA.</li>
 * <li>aes-gmac ({@code alg=aes-gmac} with {@code ealg=null}): IK (128 bits) followed by a 32-bit salt, the RFC 4543
 * keying material of the {@code rfc4543(gcm(aes))} SA.</li>
 * </ul>
 * The salt is the 32 least significant bits of the TS 33.220 Annex B KDF ({@link GbaKdf}, clause B.2.0) with
 * Key = CK || IK, FC = {@link #SALT_FC} and P0 = the algorithm's TS 33.203 Annex H name ({@code aes-gcm} or
 * {@code aes-gmac}, ASCII). The function code and P0 are this implementation's reading of the Annex I text for the
 * Rel-15 algorithms (clause I.2): they are kept in this one place so that a peer deriving otherwise is one edit
 * away, and the expected values of the tests come from an independent Python computation of the same rule.
 */
public final class EspKeys
{
    /** FC of the salt derivation (TS 33.220 Annex B clause B.2.0). */
    public static final int SALT_FC = 0x5A;

    /** Octets of the RFC 4106 / RFC 4543 salt. */
    public static final int SALT_LENGTH = 4;

    private EspKeys()
    {
    }

    /**
     * @param alg integrity algorithm.
     * @param ik  IK, 16 bytes.
     * @return the ESP integrity key.
     */
    public static byte[] integrityKey(final IntegrityAlgorithm alg, final byte[] ik)
    {
        Milenage.requireLength("IK", ik, 16);
        switch (alg)
        {
            case HMAC_MD5_96:
            case HMAC_SHA1_96:
                return Arrays.copyOf(ik, alg.keyLengthBytes()); // 128 bits, or IK and 32 zero bits
            case NONE:
                return new byte[0]; // alg=null with aes-gcm, or aes-gmac: integrity is in the combined transform
            default:
                throw new IllegalArgumentException("alg: no Annex I rule for " + alg);
        }
    }

    /**
     * @param ealg encryption algorithm.
     * @param ck   CK, 16 bytes.
     * @return the ESP encryption key (empty for null encryption).
     */
    public static byte[] encryptionKey(final EncryptionAlgorithm ealg, final byte[] ck)
    {
        return encryptionKey(ealg, ck, null);
    }

    /**
     * @param ealg encryption algorithm, or the combined-mode transform (aes-gcm, aes-gmac).
     * @param ck   CK, 16 bytes.
     * @param ik   IK, 16 bytes; needed only by the combined-mode transforms (else may be null).
     * @return the ESP encryption key, for combined mode the key followed by the 32-bit salt.
     */
    public static byte[] encryptionKey(final EncryptionAlgorithm ealg, final byte[] ck, final byte[] ik)
    {
        Milenage.requireLength("CK", ck, 16);
        switch (ealg)
        {
            case NULL:
                return new byte[0];
            case AES_CBC:
                return ck.clone();
            case DES_EDE3_CBC:
                final byte[] key = Arrays.copyOf(ck, 24);
                System.arraycopy(ck, 0, key, 16, 8);
                return key;
            case AES_GCM_16:
                return keyAndSalt(ck, ck, ik, ealg);
            case AES_GMAC:
                return keyAndSalt(ik, ck, ik, ealg);
            default:
                throw new IllegalArgumentException("ealg: no Annex I rule for " + ealg);
        }
    }

    /**
     * @param ealg aes-gcm or aes-gmac.
     * @param ck   CK, 16 bytes.
     * @param ik   IK, 16 bytes.
     * @return the 32-bit salt: the 4 least significant octets of KDF(CK || IK, FC, P0 = algorithm name).
     */
    public static byte[] salt(final EncryptionAlgorithm ealg, final byte[] ck, final byte[] ik)
    {
        Milenage.requireLength("CK", ck, 16);
        Milenage.requireLength("IK", ik, 16);
        final byte[] key = new byte[32];
        System.arraycopy(ck, 0, key, 0, 16);
        System.arraycopy(ik, 0, key, 16, 16);
        final byte[] out = GbaKdf.derive(key, SALT_FC, ealg.threeGppName().getBytes(StandardCharsets.US_ASCII));
        Arrays.fill(key, (byte)0);
        final byte[] salt = Arrays.copyOfRange(out, GbaKdf.OUTPUT_LENGTH - SALT_LENGTH, GbaKdf.OUTPUT_LENGTH);
        Arrays.fill(out, (byte)0);
        return salt;
    }

    private static byte[] keyAndSalt(final byte[] aesKey, final byte[] ck, final byte[] ik, final EncryptionAlgorithm ealg)
    {
        if (ik == null)
        {
            throw new IllegalArgumentException("ealg: " + ealg.threeGppName() + " needs IK for its Annex I salt");
        }
        final byte[] salt = salt(ealg, ck, ik);
        final byte[] key = Arrays.copyOf(aesKey, 16 + SALT_LENGTH);
        System.arraycopy(salt, 0, key, 16, SALT_LENGTH);
        return key;
    }
}
