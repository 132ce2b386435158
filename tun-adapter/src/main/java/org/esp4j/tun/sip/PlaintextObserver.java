package org.esp4j.tun.sip;

import org.esp4j.core.esp.OutboundObserver;

/**
 * Looks at plaintext IP packets on the daemon's outbound path, in two steps around the SPD lookup of the outbound
 * agent's processor ({@link OutboundObserver}: the packet parsed once, by the processor; the SPD's answer from the
 * processor), and is told when a duty cycle has sent what it read. The SIP bridge uses it to see the REGISTER
 * exchanges. Called on the outbound agent's thread: must be quick for packets it does not watch and must not keep
 * the packet.
 */
public interface PlaintextObserver extends OutboundObserver
{
    /**
     * The duty cycle ended: every packet observed so far has been protected and sent, or dropped, so effects that
     * must not touch those packets (removing their SAs) may happen now.
     */
    default void onDutyCycleEnd()
    {
    }

    /** The agent's outbound path, for packets the observer took ({@code TAKEN}) and now hands back. */
    @FunctionalInterface
    interface Reinjector
    {
        /**
         * Send a plaintext IP packet as if just read from the TUN: through the processor (and this observer) again.
         *
         * @param packet the packet, valid during the call.
         */
        void reinject(org.agrona.DirectBuffer packet, int offset, int length);
    }

    /**
     * The duty cycle starts: hand back, through {@code into}, the packets the observer took whose wait is over (before
     * the agent reads anything new, so a flow's packets keep their order).
     *
     * @return packets handed back or dropped (work done).
     */
    default int releaseHeld(final Reinjector into)
    {
        return 0;
    }
}
