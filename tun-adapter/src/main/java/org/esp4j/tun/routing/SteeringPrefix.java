package org.esp4j.tun.routing;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

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

    /**
     * @param outer another prefix.
     * @return true if every address of this prefix is in {@code outer} (equal prefixes included).
     */
    public boolean isInside(final SteeringPrefix outer)
    {
        return isIpv4() == outer.isIpv4() && outer.prefixLength <= prefixLength &&
            masked(address, outer.prefixLength).equals(outer.network().address);
    }

    /** @return this prefix with the host bits of its address cleared. */
    public SteeringPrefix network()
    {
        return new SteeringPrefix(masked(address, prefixLength), prefixLength);
    }

    private static InetAddress masked(final InetAddress address, final int length)
    {
        final byte[] bytes = address.getAddress();
        for (int bit = length; bit < bytes.length * 8; bit++)
        {
            bytes[bit >>> 3] &= (byte)~(0x80 >>> (bit & 7));
        }
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex); // not reached: 4 or 16 bytes
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
