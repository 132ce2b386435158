package org.esp4j.sip.aka;

import org.esp4j.sip.message.HeaderValues;
import org.esp4j.sip.message.SipParseException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A Digest challenge or credentials header value (WWW-Authenticate, Authorization; RFC 2617 §3.2, RFC 3261 §25.1):
 * the scheme and its comma-separated {@code name=value} auth-params, quoted or not. Names are case-insensitive;
 * raw values are kept so that {@link #format()} can rebuild the header, e.g. without the {@code ck} and
 * {@code ik} parameters a P-CSCF strips (TS 24.229 §5.2.2).
 */
public final class DigestParams
{
    private final String scheme;
    private final List<String[]> params;

    private DigestParams(final String scheme, final List<String[]> params)
    {
        this.scheme = scheme;
        this.params = params;
    }

    /**
     * @param headerName for error messages.
     * @param value      the header value, e.g. {@code Digest realm="x", nonce="y"}.
     * @return the parsed value.
     * @throws SipParseException naming the header when the value is malformed.
     */
    public static DigestParams parse(final String headerName, final String value)
    {
        final String trimmed = value.trim();
        final int space = trimmed.indexOf(' ');
        if (space <= 0)
        {
            throw new SipParseException(headerName + ": expected '<scheme> <auth-params>', got '" + value + "'");
        }
        final String scheme = trimmed.substring(0, space);
        final List<String[]> params = new ArrayList<>(12);
        int index = 0;
        for (final String element : HeaderValues.splitList(trimmed.substring(space + 1)))
        {
            index++;
            final int eq = element.indexOf('=');
            if (eq <= 0)
            {
                // not echoed: it may be a nonce or response whose '=' went missing
                throw new SipParseException(headerName + ": auth-param " + index + " has no '=' (" + element.length() +
                    " characters)");
            }
            params.add(new String[]{ element.substring(0, eq).trim(), element.substring(eq + 1).trim() });
        }
        return new DigestParams(scheme, params);
    }

    /**
     * @return the scheme, e.g. {@code Digest}.
     */
    public String scheme()
    {
        return scheme;
    }

    /**
     * @param name parameter name, any case.
     * @return the unquoted value, or null when absent.
     */
    public String get(final String name)
    {
        for (final String[] param : params)
        {
            if (param[0].equalsIgnoreCase(name))
            {
                return HeaderValues.unquote(param[1]);
            }
        }
        return null;
    }

    /**
     * @return the parameter names in order, lower case.
     */
    public List<String> names()
    {
        final List<String> names = new ArrayList<>(params.size());
        for (final String[] param : params)
        {
            names.add(param[0].toLowerCase(Locale.ROOT));
        }
        return Collections.unmodifiableList(names);
    }

    /**
     * @param namesToDrop parameter names to leave out, any case.
     * @return a copy without those parameters.
     */
    public DigestParams without(final String... namesToDrop)
    {
        final List<String[]> kept = new ArrayList<>(params.size());
        for (final String[] param : params)
        {
            boolean drop = false;
            for (final String name : namesToDrop)
            {
                drop |= param[0].equalsIgnoreCase(name);
            }
            if (!drop)
            {
                kept.add(param);
            }
        }
        return new DigestParams(scheme, kept);
    }

    /**
     * @return the header value: scheme, space, params as written joined by commas.
     */
    public String format()
    {
        final StringBuilder sb = new StringBuilder(256).append(scheme).append(' ');
        for (int i = 0; i < params.size(); i++)
        {
            if (i > 0)
            {
                sb.append(',');
            }
            sb.append(params.get(i)[0]).append('=').append(params.get(i)[1]);
        }
        return sb.toString();
    }

    /**
     * @return scheme and parameter names only: values may be secrets ({@code ck}, {@code ik}).
     */
    public String toString()
    {
        return "DigestParams{" + scheme + " " + names() + "}";
    }
}
