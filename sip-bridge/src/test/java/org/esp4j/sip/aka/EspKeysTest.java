package org.esp4j.sip.aka;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * TS 33.203 Annex I.
 */
class EspKeysTest
{
    private static final byte[] IK = Hex.decode("IK", "f769bcd751044604127672711c6d3441");
    private static final byte[] CK = Hex.decode("CK", "b40ba9a3c58b2a05bbf0d987b21bf8cb");

    @Test
    void shouldUseIkForHmacMd5()
    {
        assertEquals("f769bcd751044604127672711c6d3441", Hex.encode(EspKeys.integrityKey(IntegrityAlgorithm.HMAC_MD5_96, IK)));
    }

    @Test
    void shouldAppend32ZeroBitsToIkForHmacSha1()
    {
        assertEquals("f769bcd751044604127672711c6d344100000000", Hex.encode(EspKeys.integrityKey(IntegrityAlgorithm.HMAC_SHA1_96, IK)));
    }

    @Test
    void shouldUseCkForAesCbc()
    {
        assertEquals("b40ba9a3c58b2a05bbf0d987b21bf8cb", Hex.encode(EspKeys.encryptionKey(EncryptionAlgorithm.AES_CBC, CK)));
    }

    @Test
    void shouldRepeatTheFirstHalfOfCkForTripleDes()
    {
        assertEquals("b40ba9a3c58b2a05" + "bbf0d987b21bf8cb" + "b40ba9a3c58b2a05",
            Hex.encode(EspKeys.encryptionKey(EncryptionAlgorithm.DES_EDE3_CBC, CK)));
    }

    @Test
    void shouldHaveNoKeyForNullEncryption()
    {
        assertEquals(0, EspKeys.encryptionKey(EncryptionAlgorithm.NULL, CK).length);
    }

    /** Expected values: src/test/resources/vectors/annex-i-aead-salts.py (Python hmac/hashlib). */
    @Test
    void shouldDeriveTheAesGcmKeyAsCkAndTheKdfSalt()
    {
        assertEquals("011ca7df", Hex.encode(EspKeys.salt(EncryptionAlgorithm.AES_GCM_16, CK, IK)));
        assertEquals("b40ba9a3c58b2a05bbf0d987b21bf8cb011ca7df",
            Hex.encode(EspKeys.encryptionKey(EncryptionAlgorithm.AES_GCM_16, CK, IK)));
        assertEquals(0, EspKeys.integrityKey(IntegrityAlgorithm.NONE, IK).length, "alg=null: no separate key");
    }

    @Test
    void shouldDeriveTheAesGmacKeyAsIkAndTheKdfSalt()
    {
        assertEquals("70aa07d1", Hex.encode(EspKeys.salt(EncryptionAlgorithm.AES_GMAC, CK, IK)));
        assertEquals("f769bcd751044604127672711c6d344170aa07d1",
            Hex.encode(EspKeys.encryptionKey(EncryptionAlgorithm.AES_GMAC, CK, IK)));
    }

    @Test
    void shouldComputeTheTs33220KdfOverFcAndLengthPrefixedParameters()
    {
        // The same KDF output as the script prints for aes-gcm: FC 0x5A, P0 "aes-gcm", L0 0x0007.
        final byte[] key = Hex.decode("key", "b40ba9a3c58b2a05bbf0d987b21bf8cb" + "f769bcd751044604127672711c6d3441", 32);
        assertEquals("7a0581eae6dd9a852a774fbf7efeaaa01b463099dbf231a2827979db011ca7df",
            Hex.encode(GbaKdf.derive(key, 0x5A, "aes-gcm".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
    }

    @Test
    void shouldRefuseACombinedModeKeyWithoutIk()
    {
        assertThrows(IllegalArgumentException.class, () -> EspKeys.encryptionKey(EncryptionAlgorithm.AES_GCM_16, CK));
    }

    @Test
    void shouldRejectAKeyOfTheWrongLength()
    {
        assertEquals("IK: expected 16 bytes, got 8",
            assertThrows(IllegalArgumentException.class, () -> EspKeys.integrityKey(IntegrityAlgorithm.HMAC_MD5_96, new byte[8])).getMessage());
    }
}
