package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the outbound agent sends RFC 3948 ESP-in-UDP through ({@code EspCarrier.UDP}): the ESP packet an
 * {@code EspProcessor} in carrier mode left behind an IP header, which gives the addresses; the socket writes the UDP
 * header. Implemented by {@link UdpEncapCarrier}; one implementation at run time keeps the agent's calls monomorphic
 * (tests substitute their own).
 */
public interface UdpCarrierSender
{
    /**
     * Send the ESP packet at {@code buffer[espOffset, ipOffset + length)} now, after the datagrams queued before it,
     * from the source address of the IP header at {@code ipOffset} to its destination address at {@code peerPort}.
     *
     * @return the ESP length sent, {@link CarrierStatus#UNSUITABLE} or {@code -errno}.
     */
    int send(UnsafeBuffer buffer, int ipOffset, int espOffset, int length, int peerPort);

    /**
     * Queue that ESP packet (copied) for {@link #flush()}, as {@link #send} would send it.
     *
     * @return the ESP length queued, or {@link CarrierStatus#UNSUITABLE}.
     */
    int queue(UnsafeBuffer buffer, int ipOffset, int espOffset, int length, int peerPort);

    /**
     * Send what is queued.
     *
     * @return datagrams that could not be sent, including those of earlier sends since the last call.
     */
    int flush();
}
