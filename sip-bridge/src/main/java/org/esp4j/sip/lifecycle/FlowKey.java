package org.esp4j.sip.lifecycle;

import java.net.InetAddress;

/**
 * Addresses and ports of a packet or SA selector, without the protocol: IMS SAs cover UDP and TCP alike.
 *
 * @param src     source address.
 * @param srcPort source port.
 * @param dst     destination address.
 * @param dstPort destination port.
 */
public record FlowKey(InetAddress src, int srcPort, InetAddress dst, int dstPort)
{
    /**
     * @param sa an SA.
     * @return the flow its selector matches.
     */
    public static FlowKey of(final SaSpec sa)
    {
        return new FlowKey(sa.src(), sa.srcPort(), sa.dst(), sa.dstPort());
    }
}
