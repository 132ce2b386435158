package org.esp4j.sip.lifecycle;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.secagree.SecAgreeException;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Security-Client, -Server and -Verify headers parsed once per distinct text (RFC 3329 §2.3.1 makes a registration
 * repeat them: the Security-Client of the first REGISTER again in the protected one, the 401's Security-Server as
 * Security-Verify in every protected REGISTER after it).
 * <p>
 * Bounded: the {@link #CAPACITY} most recently used texts; a text that does not parse is never kept, so its error is
 * raised again each time. A header given on several lines is parsed as it comes. The mechanisms are immutable, so
 * one list may answer many messages. Not thread-safe: one per engine.
 */
final class SecurityHeaderCache
{
    /** Distinct header texts kept: two per registration in progress, for hundreds of UEs in flight. */
    static final int CAPACITY = 1024;

    private final Map<String, List<SecurityMechanism>> byText = new LinkedHashMap<>(2 * CAPACITY, 0.75f, true)
    {
        protected boolean removeEldestEntry(final Map.Entry<String, List<SecurityMechanism>> eldest)
        {
            return size() > CAPACITY;
        }
    };

    /**
     * As {@link SecurityHeaders#fromMessage(SipMessage, String)}.
     *
     * @param message    the message.
     * @param headerName Security-Client, Security-Server or Security-Verify.
     * @return its mechanisms in order, empty (not null) when the header is absent; unmodifiable.
     * @throws SecAgreeException naming the header and parameter at fault.
     */
    List<SecurityMechanism> fromMessage(final SipMessage message, final String headerName)
    {
        final List<String> values = message.headerValues(headerName);
        if (values.size() != 1)
        {
            return values.isEmpty() ? List.of() : List.copyOf(SecurityHeaders.fromMessage(message, headerName));
        }
        final String text = values.get(0);
        List<SecurityMechanism> mechanisms = byText.get(text);
        if (mechanisms == null)
        {
            // the header name only goes into the error message: the same text parses the same under any name
            mechanisms = List.copyOf(SecurityHeaders.parse(headerName, text));
            byText.put(text, mechanisms);
        }
        return mechanisms;
    }

    /** @return texts kept. */
    int size()
    {
        return byText.size();
    }
}
