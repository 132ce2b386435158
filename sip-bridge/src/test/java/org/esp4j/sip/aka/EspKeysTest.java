package org.esp4j.sip.aka;

import org.esp4j.core.sa.EncryptionAlgorithm;
import org.esp4j.core.sa.IntegrityAlgorithm;
import org.esp4j.sip.util.Hex;
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

    @Test
    void shouldRejectAKeyOfTheWrongLength()
    {
        assertEquals("IK: expected 16 bytes, got 8",
            assertThrows(IllegalArgumentException.class, () -> EspKeys.integrityKey(IntegrityAlgorithm.HMAC_MD5_96, new byte[8])).getMessage());
    }
}
