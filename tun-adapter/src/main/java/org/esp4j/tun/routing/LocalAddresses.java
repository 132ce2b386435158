package org.esp4j.tun.routing;

import org.esp4j.tun.carrier.EspRingFilter;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The host's own unicast addresses and the indexes of the interfaces that carry them: what the packet ring and the
 * early-drop rule take ESP for. At most {@link EspRingFilter#MAX_ADDRESSES} interfaces and addresses per family (in
 * the kernel's order); ESP to any further one keeps the raw-socket path, which is slower but complete.
 *
 * @param interfaces interface indexes, ascending.
 * @param addresses  addresses, IPv4 and IPv6 mixed, without scope.
 */
public record LocalAddresses(List<Integer> interfaces, List<InetAddress> addresses)
{
    public static final LocalAddresses NONE = new LocalAddresses(List.of(), List.of());

    public LocalAddresses
    {
        interfaces = List.copyOf(interfaces);
        addresses = List.copyOf(addresses);
    }

    /**
     * Read them from the kernel (control plane: allocates).
     *
     * @param excluded an interface left out (the daemon's TUN: ESP never arrives there), or null.
     */
    public static LocalAddresses read(final String excluded) throws IOException
    {
        final List<NetworkInterface> all = Collections.list(NetworkInterface.getNetworkInterfaces());
        all.sort((a, b) -> Integer.compare(a.getIndex(), b.getIndex()));
        final List<Integer> interfaces = new ArrayList<>();
        final List<InetAddress> addresses = new ArrayList<>();
        int v4 = 0;
        int v6 = 0;
        for (final NetworkInterface nif : all)
        {
            if (!nif.isUp() || nif.getName().equals(excluded) || interfaces.size() == EspRingFilter.MAX_ADDRESSES)
            {
                continue;
            }
            boolean any = false;
            for (final InetAddress scoped : Collections.list(nif.getInetAddresses()))
            {
                if (scoped.isMulticastAddress() || scoped.isAnyLocalAddress())
                {
                    continue;
                }
                final boolean ipv4 = scoped instanceof Inet4Address;
                if ((ipv4 ? v4 : v6) == EspRingFilter.MAX_ADDRESSES)
                {
                    continue;
                }
                final InetAddress address = InetAddress.getByAddress(scoped.getAddress()); // drops the scope
                if (!addresses.contains(address))
                {
                    addresses.add(address);
                    v4 += ipv4 ? 1 : 0;
                    v6 += ipv4 ? 0 : 1;
                }
                any = true;
            }
            if (any)
            {
                interfaces.add(nif.getIndex());
            }
        }
        return new LocalAddresses(interfaces, addresses);
    }

    /**
     * @return both sets in one, or null when that is more than a filter holds ({@link EspRingFilter#MAX_ADDRESSES}
     * interfaces or addresses of a family).
     */
    public LocalAddresses union(final LocalAddresses other)
    {
        final List<Integer> allInterfaces = new ArrayList<>(interfaces);
        other.interfaces.stream().filter(i -> !allInterfaces.contains(i)).forEach(allInterfaces::add);
        final List<InetAddress> allAddresses = new ArrayList<>(addresses);
        other.addresses.stream().filter(a -> !allAddresses.contains(a)).forEach(allAddresses::add);
        final long v4 = allAddresses.stream().filter(a -> a instanceof Inet4Address).count();
        if (allInterfaces.size() > EspRingFilter.MAX_ADDRESSES || v4 > EspRingFilter.MAX_ADDRESSES ||
            allAddresses.size() - v4 > EspRingFilter.MAX_ADDRESSES)
        {
            return null;
        }
        Collections.sort(allInterfaces);
        return new LocalAddresses(allInterfaces, allAddresses);
    }

    public boolean isEmpty()
    {
        return interfaces.isEmpty() || addresses.isEmpty();
    }
}
