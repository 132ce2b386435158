package org.esp4j.core.spd;

import org.esp4j.core.sa.SaEventListener;

/**
 * Receives SA events and the SPD's acquire events (as the kernel's XFRM_MSG_ACQUIRE). Called on the thread that
 * caused the event, which may be a packet thread: implementations must be quick and must not block (hand the event to
 * a queue). Declared beside the SPD, not in {@code sa}, because an acquire names a {@link SecurityPolicy} and the SAD
 * does not depend on the SPD.
 */
public interface SpdEventListener extends SaEventListener
{
    /** Ignores every event. */
    SpdEventListener NO_OP = (type, sa) -> {};

    /**
     * Outbound traffic hit a protect policy for which no SA exists (as the kernel's XFRM_MSG_ACQUIRE).
     *
     * @param policy   the policy.
     * @param srcHigh  source address high bits.
     * @param srcLow   source address low bits.
     * @param dstHigh  destination address high bits.
     * @param dstLow   destination address low bits.
     * @param protocol next-layer protocol.
     * @param srcPort  source port.
     * @param dstPort  destination port.
     */
    default void onAcquire(
        final SecurityPolicy policy,
        final long srcHigh,
        final long srcLow,
        final long dstHigh,
        final long dstLow,
        final int protocol,
        final int srcPort,
        final int dstPort)
    {
    }
}
