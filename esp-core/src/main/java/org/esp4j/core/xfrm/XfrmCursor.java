package org.esp4j.core.xfrm;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Walks the words of one line for the parsers: hands out words, reads typed values after a keyword and builds
 * errors that name the word at fault and the line.
 */
final class XfrmCursor
{
    private final List<XfrmToken> tokens;
    private final String location;
    private final Set<String> seen = new HashSet<>();
    private int position;

    XfrmCursor(final List<XfrmToken> tokens, final int from, final String location)
    {
        this.tokens = tokens;
        this.position = from;
        this.location = location;
    }

    String location()
    {
        return location;
    }

    boolean hasNext()
    {
        return position < tokens.size();
    }

    XfrmToken peek()
    {
        return tokens.get(position);
    }

    XfrmToken next()
    {
        return tokens.get(position++);
    }

    /** Step back one word: the clause that read it does not own it. */
    void back()
    {
        position--;
    }

    /**
     * @param keyword the keyword that needs a value.
     * @param what    what the value is, for the error.
     * @return the next word.
     */
    XfrmToken value(final XfrmToken keyword, final String what)
    {
        if (!hasNext())
        {
            throw error(keyword, "missing " + what + " after '" + keyword.text() + "'");
        }
        return next();
    }

    /**
     * Records a field as given, refusing it the second time (ip-xfrm(8) takes each field once).
     *
     * @param keyword the keyword word.
     * @param field   the field name, shared by synonyms (auth and auth-trunc are one field).
     */
    void once(final XfrmToken keyword, final String field)
    {
        if (!seen.add(field))
        {
            throw error(keyword, "duplicate " + field);
        }
    }

    boolean given(final String field)
    {
        return seen.contains(field);
    }

    long unsigned(final XfrmToken keyword, final String what, final long max)
    {
        final XfrmToken token = value(keyword, what);
        final long value = XfrmNumbers.parseUnsigned(token.text(), max);
        if (value == XfrmNumbers.INVALID)
        {
            if (XfrmNumbers.isNumberOf64Bits(token.text()))
            {
                // a well-formed number that is too big: shown as typed (no key is 64 bits or shorter)
                throw new XfrmSyntaxException(location, token.index(), token.column(), token.text(),
                    "invalid " + what + ": out of range, at most " + Long.toUnsignedString(max) +
                    String.format(" (0x%x)", max));
            }
            throw error(token, "invalid " + what + ": must be a number 0.." + Long.toUnsignedString(max) +
                " (decimal, 0x hex or 0 octal)");
        }
        return value;
    }

    InetAddress address(final XfrmToken keyword, final String what)
    {
        final XfrmToken token = value(keyword, what);
        if (token.text().indexOf('/') >= 0)
        {
            throw error(token, "invalid " + what + ": an address is needed here, not a prefix");
        }
        final InetAddress address = XfrmAddresses.parse(token.text());
        if (address == null)
        {
            throw error(token, "invalid " + what + ": not a numeric IPv4 or IPv6 address");
        }
        return address;
    }

    /**
     * Reads {@code ADDR[/PLEN]}; without {@code /PLEN} the prefix is the whole address, as {@code get_prefix} does.
     */
    Prefix prefix(final XfrmToken keyword, final String what)
    {
        final XfrmToken token = value(keyword, what);
        final String text = token.text();
        final int slash = text.indexOf('/');
        final InetAddress address = XfrmAddresses.parse(slash < 0 ? text : text.substring(0, slash));
        if (address == null)
        {
            throw error(token, "invalid " + what + ": not a numeric IPv4 or IPv6 prefix (ADDR[/PLEN])");
        }
        final int max = address instanceof Inet4Address ? 32 : 128;
        final long length = slash < 0 ? max : XfrmNumbers.parseUnsigned(text.substring(slash + 1), max);
        if (length == XfrmNumbers.INVALID || (slash >= 0 && !isDecimal(text.substring(slash + 1))))
        {
            throw error(token, "invalid " + what + ": prefix length must be 0.." + max);
        }
        return new Prefix(address, (int)length, token);
    }

    XfrmSyntaxException error(final XfrmToken token, final String reason)
    {
        return XfrmSyntaxException.at(token, false, location, reason);
    }

    XfrmSyntaxException keyError(final XfrmToken token, final String reason)
    {
        return XfrmSyntaxException.at(token, true, location, reason);
    }

    XfrmSyntaxException lineError(final String reason)
    {
        return XfrmSyntaxException.ofLine(location, reason);
    }

    /**
     * A word where a keyword should be: say which, with a hint for the common slips.
     */
    XfrmSyntaxException unexpected(final XfrmToken token, final String keywordsOf)
    {
        final String text = token.text();
        if (!token.quoted() && !text.isEmpty() && Character.isLetter(text.charAt(0)))
        {
            return error(token, "unknown keyword for " + keywordsOf);
        }
        return error(token, "unexpected value where a keyword of " + keywordsOf + " was expected");
    }

    private static boolean isDecimal(final String text)
    {
        if (text.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) < '0' || text.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param address      the prefix's address.
     * @param length       its length in bits.
     * @param token        the word it was read from.
     */
    record Prefix(InetAddress address, int length, XfrmToken token)
    {
        boolean isIpv4()
        {
            return address instanceof Inet4Address;
        }
    }
}
