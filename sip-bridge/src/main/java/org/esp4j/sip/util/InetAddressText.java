package org.esp4j.sip.util;

import org.esp4j.core.ip.IpAddressText;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Text forms of IP addresses without DNS: parsing accepts literals only, formatting is esp-core's RFC 5952
 * {@link IpAddressText}.
 */
public final class InetAddressText
{
    private InetAddressText()
    {
    }

    /**
     * Parse an IPv4 or IPv6 literal, with or without square brackets. Never resolves names.
     *
     * @param what name of the value, used in the error message.
     * @param text the literal.
     * @return the address.
     * @throws IllegalArgumentException naming {@code what} when the text is not an IP literal.
     */
    public static InetAddress parse(final String what, final String text)
    {
        String literal = text.trim();
        if (literal.startsWith("[") && literal.endsWith("]"))
        {
            literal = literal.substring(1, literal.length() - 1);
        }
        if (literal.isEmpty() || !isLiteralShape(literal))
        {
            throw new IllegalArgumentException(what + ": not an IP address literal: '" + text + "'");
        }
        try
        {
            return InetAddress.getByName(literal);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(what + ": not an IP address literal: '" + text + "'", ex);
        }
    }

    private static boolean isLiteralShape(final String literal)
    {
        final boolean v6 = literal.indexOf(':') >= 0;
        for (int i = 0; i < literal.length(); i++)
        {
            final char c = literal.charAt(i);
            final boolean ok = (c >= '0' && c <= '9') || c == '.' ||
                (v6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Format an address: dotted quad for IPv4, RFC 5952 canonical text for IPv6 ({@link IpAddressText#format}).
     *
     * @param address to format.
     * @return the text, without brackets.
     */
    public static String format(final InetAddress address)
    {
        return IpAddressText.format(address);
    }

    /**
     * Format an address with a port: {@code 192.0.2.1:5060} or {@code [2001:db8::1]:5060}.
     *
     * @param address the address.
     * @param port    the port.
     * @return the text.
     */
    public static String format(final InetAddress address, final int port)
    {
        return IpAddressText.format(address, port);
    }
}
