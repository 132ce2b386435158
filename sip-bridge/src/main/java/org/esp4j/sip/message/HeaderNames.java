package org.esp4j.sip.message;

import java.util.Locale;

/**
 * Canonical (lower-case, long-form) SIP header names. Header names are case-insensitive (RFC 3261 §7.3.1) and
 * several have a one-letter compact form (RFC 3261 §7.3.3 and later extensions) which is expanded here.
 */
public final class HeaderNames
{
    public static final String CALL_ID = "call-id";
    public static final String CONTACT = "contact";
    public static final String CONTENT_LENGTH = "content-length";
    public static final String CSEQ = "cseq";
    public static final String EXPIRES = "expires";
    public static final String FROM = "from";
    public static final String TO = "to";
    public static final String VIA = "via";
    public static final String AUTHORIZATION = "authorization";
    public static final String PROXY_AUTHORIZATION = "proxy-authorization";
    public static final String WWW_AUTHENTICATE = "www-authenticate";
    public static final String PROXY_AUTHENTICATE = "proxy-authenticate";
    public static final String SECURITY_CLIENT = "security-client";
    public static final String SECURITY_SERVER = "security-server";
    public static final String SECURITY_VERIFY = "security-verify";

    /**
     * The usual spellings of the names above (RFC 3261's, and "Call-Id", "CSeq", "WWW-Authenticate"...), so the
     * common case costs a lookup of a string whose hash it caches, not a lower-cased copy.
     */
    private static final java.util.Map<String, String> USUAL_SPELLINGS = usualSpellings(
        CALL_ID, CONTACT, CONTENT_LENGTH, CSEQ, EXPIRES, FROM, TO, VIA, AUTHORIZATION, PROXY_AUTHORIZATION,
        WWW_AUTHENTICATE, PROXY_AUTHENTICATE, SECURITY_CLIENT, SECURITY_SERVER, SECURITY_VERIFY);

    private HeaderNames()
    {
    }

    private static java.util.Map<String, String> usualSpellings(final String... canonicalNames)
    {
        final java.util.Map<String, String> spellings = new java.util.HashMap<>();
        for (final String canonical : canonicalNames)
        {
            spellings.put(canonical, canonical);
            final StringBuilder capitalised = new StringBuilder(canonical.length());
            for (int i = 0; i < canonical.length(); i++)
            {
                final char c = canonical.charAt(i);
                capitalised.append(i == 0 || canonical.charAt(i - 1) == '-' ? Character.toUpperCase(c) : c);
            }
            spellings.put(capitalised.toString(), canonical);
            spellings.put(canonical.toUpperCase(Locale.ROOT), canonical);
        }
        spellings.put("Call-ID", CALL_ID);
        spellings.put("CSeq", CSEQ);
        spellings.put("WWW-Authenticate", WWW_AUTHENTICATE);
        return java.util.Map.copyOf(spellings);
    }

    /**
     * Canonical form of a header name: lower case with compact forms expanded.
     *
     * @param name as written in the message.
     * @return the canonical name.
     */
    public static String canonical(final String name)
    {
        if (name.length() == 1)
        {
            switch (Character.toLowerCase(name.charAt(0)))
            {
                case 'i': return CALL_ID;
                case 'm': return CONTACT;
                case 'l': return CONTENT_LENGTH;
                case 'f': return FROM;
                case 't': return TO;
                case 'v': return VIA;
                case 'c': return "content-type";
                case 'e': return "content-encoding";
                case 's': return "subject";
                case 'k': return "supported";
                case 'o': return "event";
                case 'u': return "allow-events";
                case 'r': return "refer-to";
                case 'b': return "referred-by";
                case 'x': return "session-expires";
                case 'a': return "accept-contact";
                case 'j': return "reject-contact";
                case 'd': return "request-disposition";
                case 'y': return "identity";
                case 'n': return "identity-info";
                default: break;
            }
        }
        final String usual = USUAL_SPELLINGS.get(name);
        return usual != null ? usual : name.toLowerCase(Locale.ROOT);
    }
}
