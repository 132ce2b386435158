package org.esp4j.sip.sim;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SimAlgorithmsTest
{
    @Test
    void shouldTakeAesGcmWithAlgNullAndAesGmacWithEalgNull()
    {
        assertEquals(new SimAlgorithms(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16),
            SimAlgorithms.parse(null, "aes-gcm"));
        assertEquals(new SimAlgorithms(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16),
            SimAlgorithms.parse("null", "aes-gcm"));
        assertEquals(new SimAlgorithms(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC),
            SimAlgorithms.parse("aes-gmac", null));
        assertEquals(new SimAlgorithms(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC),
            SimAlgorithms.parse("aes-gmac", "null"));
        assertEquals("null", SimAlgorithms.parse(null, "aes-gcm").algToken());
        assertEquals("aes-gcm", SimAlgorithms.parse(null, "aes-gcm").ealgToken());
        assertEquals("aes-gmac", SimAlgorithms.parse("aes-gmac", null).algToken());
        assertEquals("null", SimAlgorithms.parse("aes-gmac", null).ealgToken());
    }

    @Test
    void shouldKeepTheSeedChoicesAndLeaveUnchosenOnesToTheDefaults()
    {
        final SimAlgorithms none = SimAlgorithms.parse(null, null);
        assertNull(none.alg());
        assertNull(none.ealg());
        assertEquals(new SimAlgorithms(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC),
            SimAlgorithms.parse("hmac-sha-1-96", "aes-cbc"));
        assertEquals(new SimAlgorithms(null, EncryptionAlgorithm.NULL), SimAlgorithms.parse(null, "null"));
    }

    @Test
    void shouldRejectPairsThatTs33203AnnexHDoesNotAllowWithOneLineNamingTheOption()
    {
        assertEquals("--ealg aes-gcm goes only with --alg null, got 'hmac-md5-96'", assertThrows(
            IllegalArgumentException.class, () -> SimAlgorithms.parse("hmac-md5-96", "aes-gcm")).getMessage());
        assertEquals("--alg aes-gmac goes only with --ealg null, got 'aes-cbc'", assertThrows(
            IllegalArgumentException.class, () -> SimAlgorithms.parse("aes-gmac", "aes-cbc")).getMessage());
        assertEquals("--alg null goes only with --ealg aes-gcm", assertThrows(
            IllegalArgumentException.class, () -> SimAlgorithms.parse("null", "aes-cbc")).getMessage());
        assertEquals("--alg: expected " + SimAlgorithms.ALG_VALUES + ", got 'hmac-sha-256-128'", assertThrows(
            IllegalArgumentException.class, () -> SimAlgorithms.parse("hmac-sha-256-128", null)).getMessage());
        assertEquals("--ealg: expected " + SimAlgorithms.EALG_VALUES + ", got 'des-ede3-cbc'", assertThrows(
            IllegalArgumentException.class, () -> SimAlgorithms.parse(null, "des-ede3-cbc")).getMessage());
    }
}
