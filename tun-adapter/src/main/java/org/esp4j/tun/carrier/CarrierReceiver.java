package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;

/** What the inbound agent drains: a carrier that hands over received packets one at a time, as whole IP packets. */
public interface CarrierReceiver
{
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
