package org.esp4j.core.ip;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The text form of IP addresses, RFC 5952: the one formatter of esp4j.
 * <ul>
 *   <li>IPv4: dotted quad.</li>
 *   <li>IPv6 (§4): lower case, leading zeros of each group dropped, the longest run of two or more zero groups
 *   (the first on a tie) shortened to {@code ::}, a single zero group written {@code 0}.</li>
 *   <li>IPv4-mapped IPv6 addresses (§5): {@code ::ffff:192.0.2.1}.</li>
 * </ul>
 */
public final class IpAddressText
{
    private static final int GROUPS = 8;

    private IpAddressText()
    {
    }

    /**
     * @param address an address.
     * @return its RFC 5952 text, without brackets.
     */
    public static String format(final InetAddress address)
    {
        final byte[] bytes = address.getAddress();
        if (!(address instanceof Inet6Address))
        {
            return dotted(bytes, 0);
        }
        final int[] groups = new int[GROUPS];
        for (int i = 0; i < GROUPS; i++)
        {
            groups[i] = ((bytes[2 * i] & 0xFF) << 8) | (bytes[2 * i + 1] & 0xFF);
        }
        if (isIpv4Mapped(groups))
        {
            return "::ffff:" + dotted(bytes, 12);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < GROUPS; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < GROUPS && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        final StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < GROUPS; i++)
        {
            if (i == bestStart)
            {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':')
            {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    /**
     * @param address the address.
     * @param port    the port.
     * @return {@code 192.0.2.1:5060} or {@code [2001:db8::1]:5060} (RFC 5952 §6).
     */
    public static String format(final InetAddress address, final int port)
    {
        return address instanceof Inet6Address ? "[" + format(address) + "]:" + port : format(address) + ":" + port;
    }

    /**
     * @param bytes  address bytes.
     * @param offset first of four.
     * @return {@code a.b.c.d}.
     */
    public static String dotted(final byte[] bytes, final int offset)
    {
        return (bytes[offset] & 0xFF) + "." + (bytes[offset + 1] & 0xFF) + "." + (bytes[offset + 2] & 0xFF) + "." +
            (bytes[offset + 3] & 0xFF);
    }

    private static boolean isIpv4Mapped(final int[] groups)
    {
        for (int i = 0; i < 5; i++)
        {
            if (groups[i] != 0)
            {
                return false;
            }
        }
        return groups[5] == 0xFFFF;
    }
}
