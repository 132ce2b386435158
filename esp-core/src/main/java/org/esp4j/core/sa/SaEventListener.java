package org.esp4j.core.sa;

import org.esp4j.core.spd.SecurityPolicy;

/**
 * Receives SA and policy events. Called on the thread that caused the event, which may be a packet thread:
 * implementations must be quick and must not block (hand the event to a queue).
 */
public interface SaEventListener
{
    /** Ignores every event. */
    SaEventListener NO_OP = (type, sa) -> {};

    /**
     * @param type what happened.
     * @param sa   to which SA.
     */
    void onSaEvent(SaEventType type, SecurityAssociation sa);

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
