package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the inbound agent drains: a carrier that hands over received packets one at a time, each an IP header followed
 * by ESP (or, for raw sockets, by whatever the IP packet carries). Implemented by {@link PacketRingReceiver},
 * {@link RawEspReceiver} and {@link UdpEncapCarrier}; tests substitute their own.
 */
public interface CarrierReceiver
{
    /**
     * @return true if this carrier's packets came as the payload of RFC 3948 UDP datagrams, whose UDP header the
     * carrier removed (for {@code EspProcessor.inbound(buffer, offset, length, udpEncapsulated)}); constant per carrier.
     */
    default boolean udpEncapsulated()
    {
        return false;
    }

    /**
     * Take the next received packet, if any.
     *
     * @param buffer   destination.
     * @param offset   where the IP packet goes.
     * @param capacity room from {@code offset}.
     * @return the packet's length, {@link CarrierStatus#NONE} if nothing is waiting, or another negative
     * {@link CarrierStatus} for a datagram that is not a packet to handle.
     */
    int receive(UnsafeBuffer buffer, int offset, int capacity);
}
