package org.esp4j.core.xfrm;

import org.esp4j.core.ip.IpProtocol;

/**
 * Upper-layer protocol names as iproute2 takes and prints them ({@code getprotobyname}/{@code getprotobynumber}
 * over the usual /etc/protocols), for the protocols an IMS lab meets.
 */
final class XfrmProtocols
{

    private static final String[] NAMES = new String[256];

    static
    {
        NAMES[IpProtocol.ICMP] = "icmp";
        NAMES[IpProtocol.TCP] = "tcp";
        NAMES[IpProtocol.UDP] = "udp";
        NAMES[IpProtocol.DCCP] = "dccp";
        NAMES[47] = "gre";
        NAMES[IpProtocol.ESP] = "esp";
        NAMES[IpProtocol.AH] = "ah";
        NAMES[IpProtocol.ICMPV6] = "ipv6-icmp";
        NAMES[IpProtocol.SCTP] = "sctp";
        NAMES[135] = "mobility-header";
    }

    private XfrmProtocols()
    {
    }

    /**
     * @param text a name ({@code udp}, {@code ipv6-icmp}, {@code any}) or a number 0..255.
     * @return the protocol number, or -1.
     */
    static int number(final String text)
    {
        if ("any".equals(text))
        {
            return 0;
        }
        if ("icmpv6".equals(text))
        {
            return 58;
        }
        for (int i = 0; i < NAMES.length; i++)
        {
            if (text.equals(NAMES[i]))
            {
                return i;
            }
        }
        return (int)XfrmNumbers.parseUnsigned(text, 255);
    }

    /**
     * @param protocol 0..255.
     * @return its name, or the number.
     */
    static String name(final int protocol)
    {
        return NAMES[protocol] != null ? NAMES[protocol] : Integer.toString(protocol);
    }

    /** @return true for the protocols iproute2 allows {@code sport}/{@code dport} with. */
    static boolean hasPorts(final int protocol)
    {
        return IpProtocol.hasPorts(protocol) || protocol == IpProtocol.DCCP;
    }
}
