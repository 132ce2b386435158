package org.esp4j.sip.lifecycle;

/**
 * Where the bridge installs and removes SAs and their policies: the packet engine, the kernel ({@code ip xfrm}),
 * or a recorder. An SA is identified by its destination address and SPI. Calls come from the thread that drives the
 * bridge.
 */
public interface SecurityAssociationSink
{
    /**
     * Install an SA and the policies for its selectors (UDP and TCP).
     *
     * @param sa the SA.
     */
    void install(SaSpec sa);

    /**
     * Remove an SA and its policies.
     *
     * @param sa the SA as installed or last updated.
     */
    void remove(SaSpec sa);

    /**
     * Change the lifetime of an installed SA, and with it possibly its state (temporary to established, established
     * to old).
     *
     * @param sa         the SA with its new state and lifetime.
     * @param lifetimeNs the new lifetime counted from now, equal to {@code sa.lifetimeNs()}.
     */
    void extendLifetime(SaSpec sa, long lifetimeNs);
}
