package org.esp4j.tun.routing;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * A destination prefix whose traffic the policy routing steers into the TUN.
 */
public record SteeringPrefix(InetAddress address, int prefixLength)
{
    public SteeringPrefix
    {
        final int max = address instanceof Inet4Address ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max)
        {
            throw new IllegalArgumentException("prefix length must be 0.." + max + ": " + prefixLength);
        }
    }

    public static SteeringPrefix host(final InetAddress address)
    {
        return new SteeringPrefix(address, address instanceof Inet4Address ? 32 : 128);
    }

    /** Parse {@code ADDRESS[/LENGTH]}. */
    public static SteeringPrefix parse(final String text)
    {
        final int slash = text.indexOf('/');
        try
        {
            final InetAddress address = InetAddress.getByName(slash < 0 ? text.trim() : text.substring(0, slash).trim());
            return slash < 0 ? host(address) :
                new SteeringPrefix(address, Integer.parseInt(text.substring(slash + 1).trim()));
        }
        catch (final java.net.UnknownHostException | NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a prefix: " + text, ex);
        }
    }

    public boolean isIpv4()
    {
        return address instanceof Inet4Address;
    }

    /** @return {@code -4} or {@code -6}. */
    public String familyOption()
    {
        return isIpv4() ? "-4" : "-6";
    }

    public String toString()
    {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
