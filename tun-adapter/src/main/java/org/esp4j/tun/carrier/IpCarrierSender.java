package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the outbound agent sends whole IP packets through, header included: raw ESP ({@code EspCarrier.IP}),
 * packets passed in clear, fragments. Implemented by {@link RawIpSender}; one implementation at run time keeps the
 * agent's calls monomorphic (tests substitute their own).
 */
public interface IpCarrierSender
{
    /**
     * Send the IP packet at {@code buffer[offset, offset + length)} now, after the packets queued before it.
     *
     * @return the length sent, or a negative {@link CarrierStatus} or {@code -errno}.
     */
    int send(UnsafeBuffer buffer, int offset, int length);

    /**
     * Queue the IP packet at {@code buffer[offset, offset + length)} (copied) for {@link #flush()}.
     *
     * @return the length queued, or a negative {@link CarrierStatus} or {@code -errno}.
     */
    int queue(UnsafeBuffer buffer, int offset, int length);

    /**
     * Send what is queued.
     *
     * @return packets that could not be sent.
     */
    int flush();
}
