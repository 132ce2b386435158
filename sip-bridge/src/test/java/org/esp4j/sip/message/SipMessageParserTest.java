package org.esp4j.sip.message;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SipMessageParserTest
{
    private static SipMessage parse(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return SipMessageParser.parse(bytes, 0, bytes.length);
    }

    @Test
    void shouldParseRequestLineAndHeadersCaseInsensitively()
    {
        final SipMessage message = parse("REGISTER sip:ims.example.org SIP/2.0\r\n" +
            "call-ID: abc@host\r\nCSEQ: 7 REGISTER\r\nsecurity-client: ipsec-3gpp;alg=hmac-md5-96\r\nContent-Length: 0\r\n\r\n");

        assertTrue(message.isRequest());
        assertEquals("REGISTER", message.method());
        assertEquals("sip:ims.example.org", message.requestUri());
        assertEquals("abc@host", message.header("Call-ID"));
        assertEquals("abc@host", message.callId());
        assertEquals(7, message.cseqNumber());
        assertEquals("REGISTER", message.cseqMethod());
        assertEquals("ipsec-3gpp;alg=hmac-md5-96", message.header("Security-Client"));
    }

    @Test
    void shouldNameAMalformedHeaderLineWithoutItsNonceOrKeys()
    {
        final String nonce = "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=";
        final String ck = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
        final SipParseException ex = assertThrows(SipParseException.class, () -> parse("SIP/2.0 401 Unauthorized\r\n" +
            "WWW Authenticate: Digest realm=\"ims.example.net\",nonce=\"" + nonce + "\",ck=\"" + ck + "\"," +
            "ik=" + ck + ",algorithm=AKAv1-MD5\r\nContent-Length: 0\r\n\r\n"));

        assertEquals("message: malformed header name in 'WWW Authenticate: Digest realm=\"ims.example.net\"," +
            "nonce=<hidden, 46 characters>,ck=<hidden, 34 characters>,ik=<hidden, 32 characters>,algorithm=AKAv1-MD5'",
            ex.getMessage());
    }

    @Test
    void shouldHideTheValuesOfEverySecretBearingDigestParameterAndNothingElse()
    {
        assertEquals("Authorization: Digest username=\"u@x\", response=<hidden, 34 characters>, cnonce=<hidden, 3 " +
            "characters>, RES=<hidden, 16 characters>; xres = <hidden, 4 characters>, uri=\"sip:x\", received=1",
            SipParseException.hideSecrets("Authorization: Digest username=\"u@x\", response=\"" + "0".repeat(32) +
            "\", cnonce=abc, RES=" + "1".repeat(16) + "; xres = \"ab\", uri=\"sip:x\", received=1"));
        assertEquals("Content-Length: not a valid length: 'x'",
            new SipParseException("Content-Length: not a valid length: 'x'").getMessage());
    }

    @Test
    void shouldParseStatusLine()
    {
        final SipMessage message = parse("SIP/2.0 401 Unauthorized\r\nCSeq: 1 REGISTER\r\n\r\n");

        assertEquals(401, message.statusCode());
        assertEquals("Unauthorized", message.reasonPhrase());
        assertEquals("401 Unauthorized", message.summary());
        assertNull(message.method());
    }

    @Test
    void shouldExpandCompactHeaderNames()
    {
        final SipMessage message = parse("OPTIONS sip:a SIP/2.0\r\ni: call-1\r\nm: <sip:a@192.0.2.1>\r\nf: <sip:a>;tag=1\r\n" +
            "t: <sip:b>\r\nv: SIP/2.0/UDP 192.0.2.1\r\nl: 0\r\n\r\n");

        assertEquals("call-1", message.header("Call-ID"));
        assertEquals("<sip:a@192.0.2.1>", message.header("Contact"));
        assertEquals("<sip:a>;tag=1", message.header("From"));
        assertEquals("<sip:b>", message.header("To"));
        assertEquals("SIP/2.0/UDP 192.0.2.1", message.header("Via"));
        assertEquals(0, message.declaredContentLength());
    }

    @Test
    void shouldJoinRepeatedHeadersAndCommaListsRespectingQuotesAndBrackets()
    {
        final SipMessage message = parse("REGISTER sip:a SIP/2.0\r\n" +
            "Contact: <sip:a@h;x=1,2>;expires=5, \"Bob, Jr\" <sip:b@h>\r\nContact: <sip:c@h>\r\n\r\n");

        final List<String> contacts = message.headerListValues("m");

        assertEquals(List.of("<sip:a@h;x=1,2>;expires=5", "\"Bob, Jr\" <sip:b@h>", "<sip:c@h>"), contacts);
        assertEquals(2, message.headerValues("contact").size());
        assertEquals("5", HeaderValues.parameter(contacts.get(0), "EXPIRES"));
        assertEquals("sip:a@h;x=1,2", HeaderValues.uri(contacts.get(0)));
    }

    @Test
    void shouldUnfoldContinuationLines()
    {
        final SipMessage message = parse("REGISTER sip:a SIP/2.0\r\nSecurity-Client: ipsec-3gpp;alg=hmac-md5-96;\r\n" +
            "   spi-c=1;spi-s=2;\r\n\tport-c=3;port-s=4\r\nCSeq: 1 REGISTER\r\n\r\n");

        assertEquals("ipsec-3gpp;alg=hmac-md5-96; spi-c=1;spi-s=2; port-c=3;port-s=4", message.header("security-client"));
        assertEquals(1, message.cseqNumber());
    }

    @Test
    void shouldAcceptBareLineFeedsAndLeadingKeepAlives()
    {
        final SipMessage message = parse("\r\n\r\nOPTIONS sip:a SIP/2.0\nCall-ID: x\nContent-Length: 3\n\nabc");

        assertEquals("x", message.callId());
        assertEquals("abc", new String(message.body(), StandardCharsets.UTF_8));
    }

    @Test
    void shouldCutDatagramBodyAtContentLength()
    {
        final SipMessage message = parse("MESSAGE sip:a SIP/2.0\r\nContent-Length: 2\r\n\r\nhello");

        assertEquals(2, message.bodyLength());
    }

    @Test
    void shouldRejectContentLengthBeyondTheDatagram()
    {
        final SipParseException ex = assertThrows(SipParseException.class,
            () -> parse("MESSAGE sip:a SIP/2.0\r\nContent-Length: 740\r\n\r\nshort"));

        assertTrue(ex.getMessage().startsWith("Content-Length:"), ex.getMessage());
    }

    @Test
    void shouldTakeAllBytesWhenAskedAndLetTheCallerSeeTheMismatch()
    {
        final byte[] bytes = "MESSAGE sip:a SIP/2.0\r\nContent-Length: 740\r\n\r\nshort".getBytes(StandardCharsets.UTF_8);

        final SipMessage message = SipMessageParser.parse(bytes, 0, bytes.length, ContentLengthPolicy.TAKE_ALL_BYTES);

        assertEquals(740, message.declaredContentLength());
        assertEquals(5, message.bodyLength());
    }

    @Test
    void shouldNameTheProblemInMalformedMessages()
    {
        assertTrue(assertThrows(SipParseException.class, () -> parse("REGISTER sip:a\r\n\r\n")).getMessage().startsWith("request line:"));
        assertTrue(assertThrows(SipParseException.class, () -> parse("SIP/2.0 99 Odd\r\n\r\n")).getMessage().startsWith("status line:"));
        assertTrue(assertThrows(SipParseException.class, () -> parse("OPTIONS sip:a SIP/2.0\r\nno colon here\r\n\r\n"))
            .getMessage().contains("header line"));
        assertTrue(assertThrows(SipParseException.class, () -> parse("OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n"))
            .getMessage().startsWith("Content-Length:"));
        assertTrue(assertThrows(SipParseException.class, () -> parse("OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n"))
            .getMessage().contains("no empty line"));
        assertTrue(assertThrows(SipParseException.class, () -> parse("OPTIONS sip:a SIP/2.0\r\nCSeq: x\r\n\r\n").cseqNumber())
            .getMessage().startsWith("CSeq:"));
    }

    @Test
    void shouldSerialiseWithCrlfAndKeepTheBody()
    {
        final SipMessage message = parse("MESSAGE sip:a SIP/2.0\nCall-ID: x\nContent-Length: 2\n\nhi");

        final byte[] bytes = message.toBytes();

        assertEquals("MESSAGE sip:a SIP/2.0\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nhi", new String(bytes, StandardCharsets.UTF_8));
    }
}
