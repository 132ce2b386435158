package org.esp4j.sip.lifecycle;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.secagree.SecAgreeException;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecurityHeaderCacheTest
{
    private static final String CLIENT = "ipsec-3gpp;alg=hmac-md5-96;prot=esp;mod=trans;ealg=null;spi-c=0000565817;" +
        "spi-s=0000565818;port-c=38003;port-s=39003,ipsec-3gpp;alg=hmac-sha-1-96;prot=esp;mod=trans;ealg=null;" +
        "spi-c=0000565817;spi-s=0000565818;port-c=38003;port-s=39003";

    private static SipMessage register(final String... headers)
    {
        final StringBuilder text = new StringBuilder("REGISTER sip:ims.example.org SIP/2.0\r\n" +
            "Call-ID: a@b\r\nCSeq: 1 REGISTER\r\n");
        for (final String header : headers)
        {
            text.append(header).append("\r\n");
        }
        final byte[] bytes = text.append("Content-Length: 0\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        return SipMessageParser.parse(bytes, 0, bytes.length);
    }

    @Test
    void shouldAnswerAsTheParserAndOnceForTheSameText()
    {
        final SecurityHeaderCache cache = new SecurityHeaderCache();
        final SipMessage first = register("Security-Client: " + CLIENT);
        final SipMessage second = register("Security-Client: " + CLIENT, "Security-Verify: " + CLIENT);
        final List<?> parsed = cache.fromMessage(first, "Security-Client");
        assertEquals(SecurityHeaders.fromMessage(first, "Security-Client"), parsed);
        assertEquals(2, parsed.size());
        assertSame(parsed, cache.fromMessage(second, "Security-Client"));
        assertSame(parsed, cache.fromMessage(second, "Security-Verify"), "the same text under another name");
        assertEquals(1, cache.size());
        assertEquals(List.of(), cache.fromMessage(first, "Security-Verify"));
        assertThrows(UnsupportedOperationException.class, () -> parsed.remove(0));
    }

    @Test
    void shouldRaiseTheErrorOfABadHeaderEachTimeAndNotKeepIt()
    {
        final SecurityHeaderCache cache = new SecurityHeaderCache();
        final SipMessage bad = register("Security-Client: ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3");
        for (int i = 0; i < 2; i++)
        {
            final SecAgreeException ex = assertThrows(SecAgreeException.class,
                () -> cache.fromMessage(bad, "Security-Client"));
            assertTrue(ex.getMessage().startsWith("Security-Client: port-s"), ex.getMessage());
        }
        assertEquals(0, cache.size());
    }

    @Test
    void shouldJoinAHeaderGivenOnSeveralLines()
    {
        final SecurityHeaderCache cache = new SecurityHeaderCache();
        final String[] two = CLIENT.split(",ipsec-3gpp");
        final SipMessage lines = register("Security-Client: " + two[0], "Security-Client: ipsec-3gpp" + two[1]);
        assertEquals(cache.fromMessage(register("Security-Client: " + CLIENT), "Security-Client"),
            cache.fromMessage(lines, "Security-Client"));
    }

    @Test
    void shouldKeepAtMostItsCapacityMostRecentlyUsedFirst()
    {
        final SecurityHeaderCache cache = new SecurityHeaderCache();
        final SipMessage kept = register("Security-Client: " + CLIENT);
        final List<?> first = cache.fromMessage(kept, "Security-Client");
        for (int i = 0; i < SecurityHeaderCache.CAPACITY + 10; i++)
        {
            cache.fromMessage(register("Security-Client: " + CLIENT.replace("38003", Integer.toString(1000 + i))),
                "Security-Client");
            if (i % 100 == 0)
            {
                assertSame(first, cache.fromMessage(kept, "Security-Client"), "recently used: kept");
            }
        }
        assertEquals(SecurityHeaderCache.CAPACITY, cache.size());
    }
}
