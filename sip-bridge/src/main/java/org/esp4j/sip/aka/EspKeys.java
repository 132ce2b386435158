package org.esp4j.sip.aka;

import org.esp4j.core.sa.EncryptionAlgorithm;
import org.esp4j.core.sa.IntegrityAlgorithm;

import java.util.Arrays;

/**
 * ESP keys from the AKA keys, 3GPP TS 33.203 Annex I.
 * <ul>
 * <li>hmac-md5-96: IK (128 bits).</li>
 * <li>hmac-sha-1-96: IK followed by 32 zero bits (160 bits).</li>
 * <li>aes-cbc: CK (128 bits).</li>
 * <li>des-ede3-cbc: CK1 || CK2 || CK1 where CK = CK1 || CK2 (192 bits).</li>
 * <li>null: no key.</li>
 * </ul>
 */
public final class EspKeys
{
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
            default:
                throw new IllegalArgumentException("ealg: no Annex I rule for " + ealg);
        }
    }
}
