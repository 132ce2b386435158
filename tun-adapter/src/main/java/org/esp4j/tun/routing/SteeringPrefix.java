package org.esp4j.tun.routing;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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
     * The prefixes that no other one of {@code prefixes} contains, in their order, each network once: what needs
     * steering rules of its own. The steering rules of a prefix and of one inside it are the same rules (same
     * priority, mark and table), so the outer one alone steers the same packets. A P-CSCF whose out-policies name
     * every UE's address then needs no rule per UE when {@code steer=} names the UEs' prefix: without that, each UE
     * costs two {@code ip rule}s, which the kernel walks in order for every packet of the host.
     * Time O(n x distinct prefix lengths).
     *
     * @param prefixes the prefixes to steer.
     * @return those not inside another.
     */
    public static List<SteeringPrefix> outermost(final Collection<SteeringPrefix> prefixes)
    {
        final Set<SteeringPrefix> networks = new HashSet<>();
        final Set<Integer> lengths4 = new TreeSet<>();
        final Set<Integer> lengths6 = new TreeSet<>();
        for (final SteeringPrefix prefix : prefixes)
        {
            networks.add(prefix.network());
            (prefix.isIpv4() ? lengths4 : lengths6).add(prefix.prefixLength);
        }
        final List<SteeringPrefix> result = new ArrayList<>();
        final Set<SteeringPrefix> kept = new HashSet<>();
        for (final SteeringPrefix prefix : prefixes)
        {
            if (!isInsideAnother(prefix, networks, prefix.isIpv4() ? lengths4 : lengths6) && kept.add(prefix.network()))
            {
                result.add(prefix);
            }
        }
        return result;
    }

    private static boolean isInsideAnother(
        final SteeringPrefix prefix, final Set<SteeringPrefix> networks, final Set<Integer> lengths)
    {
        for (final int length : lengths)
        {
            if (length >= prefix.prefixLength)
            {
                return false;
            }
            if (networks.contains(new SteeringPrefix(masked(prefix.address, length), length)))
            {
                return true;
            }
        }
        return false;
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
