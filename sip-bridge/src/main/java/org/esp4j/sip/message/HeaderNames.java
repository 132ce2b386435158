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

    private HeaderNames()
    {
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
        return name.toLowerCase(Locale.ROOT);
    }
}
