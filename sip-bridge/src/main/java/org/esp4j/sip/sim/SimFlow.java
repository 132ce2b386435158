package org.esp4j.sip.sim;

import org.esp4j.sip.message.Transport;
import org.esp4j.sip.util.InetAddressText;

import java.net.InetSocketAddress;

/**
 * Where a SIP message travels: transport, the simulator's own address and port, and the peer's. For TCP the pair
 * names the connection; a local port of 0 asks the transport for an ephemeral one (an unprotected request).
 *
 * @param transport UDP or TCP.
 * @param local     the simulator's end.
 * @param remote    the peer's end.
 */
public record SimFlow(Transport transport, InetSocketAddress local, InetSocketAddress remote)
{
    /**
     * @return e.g. {@code TCP [2001::1]:38003 -> [2001::2]:50718} from the simulator's side.
     */
    public String toString()
    {
        return transport + " " + InetAddressText.format(local.getAddress(), local.getPort()) + " -> " +
            InetAddressText.format(remote.getAddress(), remote.getPort());
    }
}
