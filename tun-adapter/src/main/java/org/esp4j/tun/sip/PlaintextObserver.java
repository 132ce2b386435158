package org.esp4j.tun.sip;

/**
 * Looks at plaintext IP packets on the daemon's outbound path before the SPD (the SIP bridge uses it to see the
 * REGISTER exchanges). Called on the outbound agent's thread: must be quick and must not keep the array.
 */
@FunctionalInterface
public interface PlaintextObserver
{
    /**
     * @param array  packet bytes.
     * @param offset IP header start.
     * @param length packet length.
     * @return true to let the packet on to the SPD; false when the observer dropped it (and counted the drop).
     */
    boolean onPlaintext(byte[] array, int offset, int length);

    /**
     * The duty cycle ended: every packet passed to {@link #onPlaintext} so far has been protected and sent, or
     * dropped, so effects that must not touch those packets (removing their SAs) may happen now.
     */
    default void onDutyCycleEnd()
    {
    }
}
