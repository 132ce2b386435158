package org.esp4j.sip.aka;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.message.SipParseException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DigestAkaTest
{
    @Test
    void shouldComputeTheRfc2617ExampleResponse()
    {
        // RFC 2617 §3.5.
        final String response = DigestAka.response("Mufasa", "testrealm@host.com",
            "Circle Of Life".getBytes(StandardCharsets.US_ASCII), "GET", "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth");

        assertEquals("6629fae49393a05397450978507c4ef1", response);
    }

    @Test
    void shouldUseResAsRawBytesForAkaV1()
    {
        final byte[] res = Hex.decode("RES", "a54211d5e3ba50bf");

        assertArrayEquals(res, DigestAka.password(DigestAka.Version.AKA_V1_MD5, res, null, null));
        final String withRawBytes = DigestAka.response("u", "r", res, "REGISTER", "sip:r", "n", "00000001", "c", "auth");
        final String withHexText = DigestAka.response("u", "r", Hex.encode(res).getBytes(StandardCharsets.US_ASCII),
            "REGISTER", "sip:r", "n", "00000001", "c", "auth");
        assertNotEquals(withRawBytes, withHexText);
    }

    @Test
    void shouldDeriveTheAkaV2PasswordFromResIkCk()
    {
        final byte[] res = new byte[8];
        final byte[] ik = new byte[16];
        final byte[] ck = new byte[16];

        final byte[] password = DigestAka.password(DigestAka.Version.AKA_V2_MD5, res, ik, ck);

        assertEquals(24, password.length, "base64 of a 16-byte HMAC-MD5");
        assertEquals(16, Base64.getDecoder().decode(password).length);
        ik[0] = 1;
        assertFalse(new String(password, StandardCharsets.US_ASCII).equals(
            new String(DigestAka.password(DigestAka.Version.AKA_V2_MD5, res, ik, ck), StandardCharsets.US_ASCII)), "IK is part of the key");
    }

    @Test
    void shouldVerifyAuthorizationCredentials()
    {
        final byte[] res = Hex.decode("RES", "f365cd683cd92e96");
        final String response = DigestAka.response("impi@x", "x", res, "REGISTER", "sip:x", "bm9uY2U=", "00000001", "abc", "auth");
        final DigestParams credentials = DigestParams.parse("Authorization", "Digest username=\"impi@x\", realm=\"x\", " +
            "nonce=\"bm9uY2U=\", uri=\"sip:x\", response=\"" + response + "\", algorithm=AKAv1-MD5, cnonce=\"abc\", qop=auth, nc=00000001");

        assertTrue(DigestAka.verify(credentials, "REGISTER", res));
        assertFalse(DigestAka.verify(credentials, "REGISTER", new byte[8]));
    }

    @Test
    void shouldSplitTheSeedNonceIntoRandAndAutn()
    {
        final AkaNonce nonce = AkaNonce.decode("26ohPzgYyy3VFVa4VnXhKgx8Ta1aXYAA27sDDHxNLVo=");

        assertEquals(16, nonce.rand().length);
        assertEquals(16, nonce.autn().length);
        assertEquals(0, nonce.serverData().length);
        assertEquals("26ohPzgYyy3VFVa4VnXhKgx8Ta1aXYAA27sDDHxNLVo=", AkaNonce.encode(nonce.rand(), nonce.autn(), new byte[0]));
    }

    @Test
    void shouldKeepServerDataAfterRandAndAutn()
    {
        final String encoded = AkaNonce.encode(new byte[16], new byte[16], new byte[]{ 1, 2, 3 });

        assertArrayEquals(new byte[]{ 1, 2, 3 }, AkaNonce.decode(encoded).serverData());
    }

    @Test
    void shouldRejectANonceTooShortForRandAndAutn()
    {
        assertTrue(assertThrows(SipParseException.class, () -> AkaNonce.decode("AAAA")).getMessage().startsWith("nonce:"));
        assertTrue(assertThrows(SipParseException.class, () -> AkaNonce.decode("***")).getMessage().startsWith("nonce:"));
    }

    @Test
    void shouldStripCkAndIkAndNeverShowValuesInToString()
    {
        final DigestParams params = DigestParams.parse("WWW-Authenticate",
            "Digest realm=\"r\",nonce=\"n, with comma\",ck=\"00112233445566778899aabbccddeeff\",ik=\"ffeeddccbbaa99887766554433221100\",qop=\"auth\"");

        assertEquals("n, with comma", params.get("nonce"));
        assertEquals("Digest realm=\"r\",nonce=\"n, with comma\",qop=\"auth\"", params.without("ck", "ik").format());
        assertFalse(params.toString().contains("0011"));
    }
}
