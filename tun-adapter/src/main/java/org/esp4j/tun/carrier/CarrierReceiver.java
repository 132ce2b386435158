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

    /**
     * Whether {@link #receive} may answer {@link CarrierStatus#NONE} once a batch that the kernel did not fill is
     * handed out, without asking again (the queue was empty when the batch was taken; {@code poll(2)} reports what
     * comes later). The inbound agent turns it on while its thread's idle window is open (sparse traffic: a second
     * call would only answer {@code EAGAIN} on a round trip's path) and off otherwise (under load more has often
     * come meanwhile, and a caller that stops early polls and yields before reading it). Off at the start; a
     * receiver without batches ignores it.
     */
    default void endReadAtShortBatch(final boolean end)
    {
    }
}
