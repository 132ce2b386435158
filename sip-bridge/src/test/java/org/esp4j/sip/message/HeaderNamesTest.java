package org.esp4j.sip.message;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class HeaderNamesTest
{
    @Test
    void shouldLowerEverySpellingOfANameToTheSameCanonicalString()
    {
        for (final String name : new String[]{ "Call-ID", "Call-Id", "call-id", "CALL-ID", "cAlL-iD", "CSeq", "Cseq",
            "Via", "VIA", "vIa", "Contact", "Content-Length", "Expires", "From", "To", "Authorization",
            "Proxy-Authorization", "WWW-Authenticate", "Www-Authenticate", "Proxy-Authenticate", "Security-Client",
            "security-CLIENT", "Security-Server", "Security-Verify", "SECURITY-VERIFY" })
        {
            assertEquals(name.toLowerCase(Locale.ROOT), HeaderNames.canonical(name), name);
        }
        assertSame(HeaderNames.SECURITY_CLIENT, HeaderNames.canonical("Security-Client"));
        assertEquals("p-associated-uri", HeaderNames.canonical("P-Associated-URI"));
        assertEquals("x-unknown", HeaderNames.canonical("X-Unknown"));
    }

    @Test
    void shouldExpandCompactForms()
    {
        assertEquals(HeaderNames.CALL_ID, HeaderNames.canonical("i"));
        assertEquals(HeaderNames.CONTACT, HeaderNames.canonical("M"));
        assertEquals(HeaderNames.VIA, HeaderNames.canonical("v"));
        assertEquals(HeaderNames.TO, HeaderNames.canonical("t"));
        assertEquals("q", HeaderNames.canonical("Q"));
    }
}
