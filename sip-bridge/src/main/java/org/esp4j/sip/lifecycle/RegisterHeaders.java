package org.esp4j.sip.lifecycle;

import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.message.HeaderNames;
import org.esp4j.sip.message.HeaderValues;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipParseException;

import java.util.List;

/**
 * What the lifecycle reads from REGISTER requests and their responses: the private identity, the contact, whether
 * it de-registers (TS 24.229 §5.1.1.6) and the granted expiry (RFC 3261 §10.3).
 */
final class RegisterHeaders
{
    private RegisterHeaders()
    {
    }

    static String impi(final SipMessage message)
    {
        final String authorization = message.header(HeaderNames.AUTHORIZATION);
        return impi(message, authorization == null ? null : DigestParams.parse("Authorization", authorization));
    }

    /**
     * @param message       a REGISTER.
     * @param authorization its Authorization header, parsed, or null when it has none.
     * @return as {@link #impi(SipMessage)}.
     */
    static String impi(final SipMessage message, final DigestParams authorization)
    {
        if (authorization != null)
        {
            final String username = authorization.get("username");
            if (username != null && !username.isEmpty())
            {
                return username;
            }
        }
        final String to = message.header(HeaderNames.TO);
        if (to == null)
        {
            return null;
        }
        final String uri = HeaderValues.uri(to);
        final int colon = uri.indexOf(':');
        return colon >= 0 ? uri.substring(colon + 1) : uri;
    }

    static String contactUri(final SipMessage message)
    {
        final List<String> contacts = message.headerListValues(HeaderNames.CONTACT);
        return contacts.isEmpty() ? null : HeaderValues.uri(contacts.get(0));
    }

    /**
     * @param message a request.
     * @return the {@code branch} parameter of its topmost Via (RFC 3261 §8.1.1.7), or null without one.
     */
    static String topViaBranch(final SipMessage message)
    {
        final java.util.List<String> vias = message.headerListValues("Via");
        if (vias.isEmpty())
        {
            return null;
        }
        for (final String parameter : org.esp4j.sip.message.HeaderValues.split(vias.get(0), ';'))
        {
            final int eq = parameter.indexOf('=');
            if (eq > 0 && parameter.substring(0, eq).trim().equalsIgnoreCase("branch"))
            {
                return parameter.substring(eq + 1).trim();
            }
        }
        return null;
    }

    /** TS 24.229 §5.1.1.6: a REGISTER with expires 0 (header or every contact) or Contact "*" de-registers. */
    static boolean isDeregistration(final SipMessage message)
    {
        final List<String> contacts = message.headerListValues(HeaderNames.CONTACT);
        final String expires = message.header(HeaderNames.EXPIRES);
        boolean anyContactExpiry = false;
        for (final String contact : contacts)
        {
            if (contact.equals("*"))
            {
                return true;
            }
            final String value = HeaderValues.parameter(contact, "expires");
            if (value != null)
            {
                anyContactExpiry = true;
                if (!value.trim().equals("0"))
                {
                    return false;
                }
            }
            else if (expires == null || !expires.trim().equals("0"))
            {
                return false;
            }
        }
        return anyContactExpiry || expires != null && expires.trim().equals("0");
    }

    static long registrationExpirySeconds(final SipMessage ok, final String registeredContact, final long defaultSeconds)
    {
        final List<String> contacts = ok.headerListValues(HeaderNames.CONTACT);
        String fallback = null;
        for (final String contact : contacts)
        {
            final String value = HeaderValues.parameter(contact, "expires");
            if (value == null)
            {
                continue;
            }
            if (registeredContact != null && registeredContact.equalsIgnoreCase(HeaderValues.uri(contact)))
            {
                return parseSeconds(value);
            }
            fallback = fallback == null ? value : fallback;
        }
        if (ok.header(HeaderNames.EXPIRES) != null)
        {
            return parseSeconds(ok.header(HeaderNames.EXPIRES));
        }
        return fallback != null ? parseSeconds(fallback) : defaultSeconds;
    }

    private static long parseSeconds(final String value)
    {
        try
        {
            return Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new SipParseException("expires: not a number of seconds: '" + value + "'");
        }
    }
}
