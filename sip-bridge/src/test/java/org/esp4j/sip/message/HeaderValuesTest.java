package org.esp4j.sip.message;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HeaderValuesTest
{
    @Test
    void shouldSplitAPlainListAtEverySeparatorTrimmedWithoutEmptyParts()
    {
        assertEquals(List.of("ipsec-3gpp;alg=hmac-md5-96", "ipsec-3gpp;alg=hmac-sha-1-96"),
            HeaderValues.splitList(" ipsec-3gpp;alg=hmac-md5-96 ,\tipsec-3gpp;alg=hmac-sha-1-96 ,, "));
        assertEquals(List.of("ipsec-3gpp", "alg=hmac-md5-96", "spi-c=0000565817"),
            HeaderValues.split("ipsec-3gpp; alg=hmac-md5-96 ;spi-c=0000565817;", ';'));
        assertEquals(List.of("a"), HeaderValues.split("a", ','));
        assertEquals(List.of(), HeaderValues.split(" , ", ','));
        assertEquals(List.of(), HeaderValues.split("", ','));
    }

    @Test
    void shouldNotSplitInsideQuotesOrAngleBrackets()
    {
        assertEquals(List.of("Digest username=\"a,b\"", "realm=\"r\\\",s\"", "nonce=\"\""),
            HeaderValues.splitList("Digest username=\"a,b\", realm=\"r\\\",s\", nonce=\"\""));
        assertEquals(List.of("<sip:ue@[2001:db8::1]:39003;ob>;expires=600000", "<sip:x@y>"),
            HeaderValues.splitList("<sip:ue@[2001:db8::1]:39003;ob>;expires=600000, <sip:x@y>"));
        assertEquals(List.of("<sip:ue@host;transport=udp>", "expires=0"),
            HeaderValues.split("<sip:ue@host;transport=udp>;expires=0", ';'));
    }

    @Test
    void shouldReadAParameterOfAnElement()
    {
        assertEquals("600000", HeaderValues.parameter(
            "<sip:ue@[2001:db8::1]:39003>;+sip.instance=\"<urn:gsma:imei:35910506-000422-0>\";expires=600000", "Expires"));
        assertEquals("", HeaderValues.parameter("<sip:ue@host>;video;expires=0", "video"));
        assertEquals(null, HeaderValues.parameter("<sip:ue@host;expires=5>", "expires"));
    }

    @Test
    void shouldUnquoteWithAndWithoutEscapes()
    {
        assertEquals("abc", HeaderValues.unquote("\"abc\""));
        assertEquals("", HeaderValues.unquote("\"\""));
        assertEquals("a\"b\\c", HeaderValues.unquote("\"a\\\"b\\\\c\""));
        assertEquals("a\\", HeaderValues.unquote("\"a\\\""));
        assertEquals("plain", HeaderValues.unquote("plain"));
        assertEquals("\"", HeaderValues.unquote("\""));
    }
}
