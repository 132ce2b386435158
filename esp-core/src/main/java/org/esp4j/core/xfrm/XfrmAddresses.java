package org.esp4j.core.xfrm;

import org.esp4j.core.ip.IpAddressText;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Numeric IP address literals in and out, as iproute2 does with {@code inet_pton} and {@code inet_ntop}.
 * <p>
 * Never resolves names: {@link InetAddress#getByName} would turn a typo into a DNS query, and a config line must mean
 * the same on every host. IPv4-mapped IPv6 literals ({@code ::ffff:192.0.2.1}) are refused because the JDK turns them
 * into IPv4 addresses, which would silently change the SA's family; write the IPv4 address instead.
 */
public final class XfrmAddresses
{
    private XfrmAddresses()
    {
    }

    /**
     * @param text {@code 192.0.2.1}, {@code 2001:db8::1}, {@code ::}, {@code ::192.0.2.1}.
     * @return the address, or null if the text is not a numeric literal this class accepts.
     */
    public static InetAddress parse(final String text)
    {
        final byte[] bytes = text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
        if (bytes == null)
        {
            return null;
        }
        try
        {
            if (bytes.length == 4)
            {
                return InetAddress.getByAddress(bytes);
            }
            if (isIpv4Mapped(bytes))
            {
                return null;
            }
            return Inet6Address.getByAddress(null, bytes, -1);
        }
        catch (final UnknownHostException ex)
        {
            return null;
        }
    }

    /**
     * Text as glibc's {@code inet_ntop} writes it (what {@code ip xfrm} prints): the RFC 5952 text of
     * {@link IpAddressText#format}, except that IPv4-compatible addresses (RFC 4291 §2.5.5.1, deprecated) are written
     * {@code ::a.b.c.d} as glibc does.
     *
     * @param address an address.
     * @return its text.
     */
    public static String toText(final InetAddress address)
    {
        final byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address && isIpv4Compatible(bytes))
        {
            return "::" + IpAddressText.dotted(bytes, 12); // glibc, unlike RFC 5952, writes these dotted too
        }
        return IpAddressText.format(address);
    }

    /**
     * @param ipv4 true for IPv4.
     * @return {@code 0.0.0.0} or {@code ::}.
     */
    static String zeroText(final boolean ipv4)
    {
        return ipv4 ? "0.0.0.0" : "::";
    }

    /** @return true for {@code ::a.b.c.d} with a.b not both zero (so {@code ::1} stays {@code ::1}). */
    private static boolean isIpv4Compatible(final byte[] bytes)
    {
        for (int i = 0; i < 12; i++)
        {
            if (bytes[i] != 0)
            {
                return false;
            }
        }
        return bytes[12] != 0 || bytes[13] != 0;
    }

    private static boolean isIpv4Mapped(final byte[] bytes)
    {
        for (int i = 0; i < 10; i++)
        {
            if (bytes[i] != 0)
            {
                return false;
            }
        }
        return bytes[10] == (byte)0xFF && bytes[11] == (byte)0xFF;
    }

    /** Strict dotted quad, as {@code inet_pton(AF_INET)}: four decimal parts 0..255, no leading zeros. */
    private static byte[] parseIpv4(final String text)
    {
        final byte[] bytes = new byte[4];
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= text.length(); i++)
        {
            final char c = i < text.length() ? text.charAt(i) : '.';
            if (c == '.')
            {
                if (value < 0 || part > 3)
                {
                    return null;
                }
                bytes[part++] = (byte)value;
                value = -1;
                digits = 0;
            }
            else if (c >= '0' && c <= '9')
            {
                if (value == 0 && digits > 0)
                {
                    return null;
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                digits++;
                if (value > 255)
                {
                    return null;
                }
            }
            else
            {
                return null;
            }
        }
        return part == 4 ? bytes : null;
    }

    /** RFC 4291 §2.2 text forms: hex groups, one {@code ::}, optional dotted quad in the last 32 bits. No zones. */
    private static byte[] parseIpv6(final String text)
    {
        final byte[] bytes = new byte[16];
        final int doubleColon = text.indexOf("::");
        if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0)
        {
            return null;
        }
        final String head = doubleColon >= 0 ? text.substring(0, doubleColon) : text;
        final String tail = doubleColon >= 0 ? text.substring(doubleColon + 2) : "";

        final byte[] headBytes = new byte[16];
        final int headLength = parseGroups(head, headBytes, doubleColon < 0);
        if (headLength < 0)
        {
            return null;
        }
        final byte[] tailBytes = new byte[16];
        final int tailLength = doubleColon >= 0 ? parseGroups(tail, tailBytes, true) : 0;
        if (tailLength < 0)
        {
            return null;
        }
        if (doubleColon < 0 ? headLength != 16 : headLength + tailLength > 14)
        {
            return null;
        }
        System.arraycopy(headBytes, 0, bytes, 0, headLength);
        System.arraycopy(tailBytes, 0, bytes, 16 - tailLength, tailLength);
        return bytes;
    }

    /**
     * @param text        colon-separated groups (possibly empty).
     * @param out         bytes written from 0.
     * @param ipv4AllowedAtEnd true if the last group may be a dotted quad.
     * @return number of bytes written, or -1.
     */
    private static int parseGroups(final String text, final byte[] out, final boolean ipv4AllowedAtEnd)
    {
        if (text.isEmpty())
        {
            return 0;
        }
        final String[] groups = text.split(":", -1);
        int length = 0;
        for (int g = 0; g < groups.length; g++)
        {
            final String group = groups[g];
            if (g == groups.length - 1 && ipv4AllowedAtEnd && group.indexOf('.') >= 0)
            {
                final byte[] v4 = parseIpv4(group);
                if (v4 == null || length + 4 > 16)
                {
                    return -1;
                }
                System.arraycopy(v4, 0, out, length, 4);
                return length + 4;
            }
            if (group.isEmpty() || group.length() > 4 || length + 2 > 16)
            {
                return -1;
            }
            int value = 0;
            for (int i = 0; i < group.length(); i++)
            {
                final int digit = Character.digit(group.charAt(i), 16);
                if (digit < 0 || group.charAt(i) > 0x7f)
                {
                    return -1;
                }
                value = (value << 4) | digit;
            }
            out[length++] = (byte)(value >>> 8);
            out[length++] = (byte)value;
        }
        return length;
    }
}
