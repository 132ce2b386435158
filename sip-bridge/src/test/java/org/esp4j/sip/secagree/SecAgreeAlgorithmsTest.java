package org.esp4j.sip.secagree;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SecAgreeAlgorithmsTest
{
    @Test
    void shouldTakeTheTs33203NamesInAnyCase()
    {
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, SecAgreeAlgorithms.integrity("HMAC-SHA-1-96"));
        assertEquals(IntegrityAlgorithm.HMAC_MD5_96, SecAgreeAlgorithms.integrity("hmac-md5-96"));
        assertEquals(EncryptionAlgorithm.DES_EDE3_CBC, SecAgreeAlgorithms.encryption("des-ede3-cbc"));
        assertEquals(EncryptionAlgorithm.NULL, SecAgreeAlgorithms.encryption("NULL"));
        assertEquals(EncryptionAlgorithm.AES_GCM_16, SecAgreeAlgorithms.encryption("aes-gcm"));
        assertEquals(IntegrityAlgorithm.NONE, SecAgreeAlgorithms.integrity("null"));
    }

    @Test
    void shouldRefuseWhatHasNoAnnexIKeysNamingTheParameter()
    {
        assertEquals("alg: unknown integrity algorithm 'hmac-sha-256-128' (supported: hmac-md5-96, hmac-sha-1-96, aes-gmac, null)",
            assertThrows(SecAgreeException.class, () -> SecAgreeAlgorithms.integrity("hmac-sha-256-128")).getMessage());
        assertEquals("ealg: unknown encryption algorithm 'aes-ctr' (supported: null, aes-cbc, des-ede3-cbc, aes-gcm)",
            assertThrows(SecAgreeException.class, () -> SecAgreeAlgorithms.encryption("aes-ctr")).getMessage());
    }

    @Test
    void shouldNotTakeLinuxCryptoNames()
    {
        assertThrows(SecAgreeException.class, () -> SecAgreeAlgorithms.integrity("hmac(sha1)"));
    }
}
