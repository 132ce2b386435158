package org.esp4j.sip.secagree;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.crypto.EncryptionAlgorithm;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecurityMechanismTest
{
    private static final String SEED_CLIENT =
        "ipsec-3gpp;alg=hmac-md5-96;prot=esp;mod=trans;ealg=null;spi-c=0000565817;spi-s=0000565818;port-c=38003;port-s=39003," +
        "ipsec-3gpp;alg=hmac-sha-1-96;prot=esp;mod=trans;ealg=null;spi-c=0000565817;spi-s=0000565818;port-c=38003;port-s=39003";

    @Test
    void shouldParseTheSeedSecurityClientWithLeadingZeroSpis()
    {
        final List<SecurityMechanism> mechanisms = SecurityHeaders.parse("Security-Client", SEED_CLIENT);

        assertEquals(2, mechanisms.size());
        final SecurityMechanism md5 = mechanisms.get(0);
        assertTrue(md5.isIpsec3gpp());
        assertEquals(IntegrityAlgorithm.HMAC_MD5_96, md5.alg());
        assertEquals(EncryptionAlgorithm.NULL, md5.ealg());
        assertEquals(565817L, md5.spiC());
        assertEquals(565818L, md5.spiS());
        assertEquals(38003, md5.portC());
        assertEquals(39003, md5.portS());
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, mechanisms.get(1).alg());
    }

    @Test
    void shouldParseSpisAboveTwoToThe31AsUnsigned()
    {
        final SecurityMechanism server = SecurityMechanism.parse(
            "ipsec-3gpp;alg=hmac-md5-96;ealg=null;prot=esp;mod=trans;spi-c=3458785863;spi-s=4294967295;port-c=50717;port-s=50718;q=0.1");

        assertEquals(3458785863L, server.spiC());
        assertEquals(4294967295L, server.spiS());
        assertEquals(0.1, server.q());
    }

    @Test
    void shouldApplyDefaultsForProtModAndMissingEalg()
    {
        final SecurityMechanism mechanism = SecurityMechanism.parse("ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2;port-c=3;port-s=4");

        assertEquals("esp", mechanism.prot());
        assertEquals("trans", mechanism.mode());
        assertNull(mechanism.ealg());
        assertEquals(EncryptionAlgorithm.NULL, mechanism.effectiveEalg());
        assertFalse(mechanism.hasQ());
        assertEquals(0.0, mechanism.q());
    }

    @Test
    void shouldPreserveUnknownParametersAndOtherMechanismsInARoundTrip()
    {
        final String value = "digest;d-alg=md5;d-qop=auth,ipsec-3gpp;alg=hmac-md5-96;spi-c=0001;spi-s=2;port-c=3;port-s=4;x-vendor=abc;flag,tls;q=0.2";

        final List<SecurityMechanism> mechanisms = SecurityHeaders.parse("Security-Server", value);

        assertEquals(3, mechanisms.size());
        assertEquals("md5", mechanisms.get(0).otherParameters().get("d-alg"));
        assertEquals("abc", mechanisms.get(1).otherParameters().get("x-vendor"));
        assertTrue(mechanisms.get(1).otherParameters().containsKey("flag"));
        assertEquals(value, SecurityHeaders.format(mechanisms), "format gives back what was parsed");
        assertEquals(mechanisms, SecurityHeaders.parse("Security-Server", SecurityHeaders.format(mechanisms)));
    }

    @Test
    void shouldRoundTripABuiltMechanism()
    {
        final SecurityMechanism built = SecurityMechanism.ipsec3gpp(
            IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC, 4294967295L, 256, 5065, 5064).withQ("0.5");

        assertEquals("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=4294967295;spi-s=256;port-c=5065;port-s=5064;q=0.5",
            built.format());
        assertEquals(built, SecurityMechanism.parse(built.format()));
    }

    @Test
    void shouldParseRel15AesGcmWithAlgNullAndAesGmacWithEalgNull()
    {
        final SecurityMechanism gcm = SecurityMechanism.parse("ipsec-3gpp;alg=null;ealg=aes-gcm;spi-c=1;spi-s=2;port-c=3;port-s=4");
        assertEquals(IntegrityAlgorithm.NONE, gcm.alg());
        assertEquals(EncryptionAlgorithm.AES_GCM_16, gcm.effectiveEalg());

        final SecurityMechanism gmac = SecurityMechanism.parse("ipsec-3gpp;alg=aes-gmac;ealg=null;spi-c=1;spi-s=2;port-c=3;port-s=4");
        assertEquals(IntegrityAlgorithm.NONE, gmac.alg());
        assertEquals(EncryptionAlgorithm.AES_GMAC, gmac.effectiveEalg());
        assertFalse(gmac.sameAlgorithms(gcm));
    }

    @Test
    void shouldWriteAnnexHTokensForBuiltCombinedModeMechanisms()
    {
        final SecurityMechanism gcm = SecurityMechanism.ipsec3gpp(
            IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16, 3000000000L, 7, 5065, 5064);
        final SecurityMechanism gmac = SecurityMechanism.ipsec3gpp(
            IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC, 3000000000L, 7, 5065, 5064);

        assertEquals("ipsec-3gpp;alg=null;ealg=aes-gcm;prot=esp;mod=trans;spi-c=3000000000;spi-s=7;port-c=5065;port-s=5064",
            gcm.format());
        assertEquals("ipsec-3gpp;alg=aes-gmac;ealg=null;prot=esp;mod=trans;spi-c=3000000000;spi-s=7;port-c=5065;port-s=5064",
            gmac.format());
        assertEquals(gmac, SecurityMechanism.parse(gmac.format()));
    }

    @Test
    void shouldRejectCombinationsAnnexHForbids()
    {
        assertEquals("alg: alg=null goes only with ealg=aes-gcm", assertThrows(SecAgreeException.class, () ->
            SecurityMechanism.parse("ipsec-3gpp;alg=null;ealg=aes-cbc;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage());
        assertEquals("alg: ealg=aes-gcm goes only with alg=null, not hmac-sha-1-96", assertThrows(SecAgreeException.class, () ->
            SecurityMechanism.parse("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-gcm;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage());
        assertEquals("ealg: alg=aes-gmac goes only with ealg=null, not aes-cbc", assertThrows(SecAgreeException.class, () ->
            SecurityMechanism.parse("ipsec-3gpp;alg=aes-gmac;ealg=aes-cbc;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage());
    }

    @Test
    void shouldCompareSemanticallyForBiddingDownChecks()
    {
        final SecurityMechanism server = SecurityMechanism.parse(
            "ipsec-3gpp;alg=hmac-md5-96;ealg=null;prot=esp;mod=trans;spi-c=3458785863;spi-s=2821032177;port-c=50717;port-s=50718;q=0.1");
        final SecurityMechanism verify = SecurityMechanism.parse(
            "ipsec-3gpp;q=0.1;alg=hmac-md5-96;prot=esp;mod=trans;ealg=null;spi-c=3458785863;spi-s=2821032177;port-c=50717;port-s=50718");
        final SecurityMechanism weaker = SecurityMechanism.parse(
            "ipsec-3gpp;q=0.1;alg=hmac-md5-96;spi-c=3458785863;spi-s=2821032177;port-c=50717;port-s=50718;ealg=null;prot=esp;mod=tun");

        assertEquals(server, verify, "order of parameters does not matter");
        assertEquals(server.hashCode(), verify.hashCode());
        assertNotEquals(server, weaker);
    }

    @Test
    void shouldReadSeveralHeadersOfAMessage()
    {
        final byte[] bytes = ("REGISTER sip:a SIP/2.0\r\nSecurity-Client: ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4\r\n" +
            "security-client: ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2;port-c=3;port-s=4, digest\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        final SipMessage message = SipMessageParser.parse(bytes, 0, bytes.length);

        final List<SecurityMechanism> mechanisms = SecurityHeaders.fromMessage(message, "Security-Client");

        assertEquals(3, mechanisms.size());
        assertEquals("digest", mechanisms.get(2).name());
    }

    @Test
    void shouldRejectSpiAboveUnsigned32BitRange()
    {
        final SecAgreeException ex = assertThrows(SecAgreeException.class,
            () -> SecurityHeaders.parse("Security-Client", "ipsec-3gpp;alg=hmac-md5-96;spi-c=4294967296;spi-s=2;port-c=3;port-s=4"));

        assertTrue(ex.getMessage().startsWith("Security-Client: spi-c:"), ex.getMessage());
        assertTrue(ex.getMessage().contains("4294967296"), ex.getMessage());
    }

    @Test
    void shouldRejectPortZeroAndAbove65535()
    {
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=0;port-s=4")).getMessage().startsWith("port-c:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=65536")).getMessage().startsWith("port-s:"));
    }

    @Test
    void shouldRejectUnknownAlgorithmsNamingTheParameter()
    {
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md4-96;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage().startsWith("alg:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;ealg=rot13;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage().startsWith("ealg:"));
    }

    @Test
    void shouldRejectMissingRequiredParametersAndBadValues()
    {
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage().startsWith("alg:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=1;port-c=3;port-s=4")).getMessage().startsWith("spi-s:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=-1;spi-s=2;port-c=3;port-s=4")).getMessage().startsWith("spi-c:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4;q=1.5")).getMessage().startsWith("q:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4;prot=gre")).getMessage().startsWith("prot:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityMechanism.parse("ipsec-3gpp;alg=hmac-md5-96;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4")).getMessage().startsWith("alg:"));
        assertTrue(assertThrows(SecAgreeException.class,
            () -> SecurityHeaders.parse("Security-Verify", " , ")).getMessage().startsWith("Security-Verify:"));
    }
}
