package org.esp4j.core.esp;

/**
 * How an outbound result leaves, named by {@link EspProcessor#resultCarrier()} so the sender does not have to look at
 * the SA. Plain {@code int}s, as {@link EspVerdict}.
 */
public final class EspCarrier
{
    /**
     * A whole IP packet, sent as it is: ESP as IP protocol 50 (RFC 4303), or a packet passed in clear.
     */
    public static final int IP = 0;

    /**
     * RFC 3948 ESP-in-UDP: the ESP packet at {@link EspProcessor#resultEspOffset()} goes as the payload of a UDP
     * datagram from the IP header's source to its destination, at port {@link EspProcessor#resultPeerPort()}.
     */
    public static final int UDP = 1;

    private EspCarrier()
    {
    }

    /**
     * @param carrier a carrier.
     * @return its name.
     */
    public static String name(final int carrier)
    {
        switch (carrier)
        {
            case IP: return "ip";
            case UDP: return "udp";
            default: return "unknown(" + carrier + ")";
        }
    }
}
