package org.esp4j.tun.sip;

import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.sip.espcore.EspCoreSaSink;
import org.esp4j.sip.lifecycle.SaSpec;

/**
 * The bridge's SA installs and removals on the owner of control state, with the policies of a removed SA lingering:
 * the SA is deleted at once (never used again) and its policies stay {@code lingerNs}, so the flow stays blocked
 * (fail closed) for a retransmitted final response or a TCP teardown.
 * <p>
 * A linger is keyed by the SA's flow (addresses and ports) and SPI. The same flow installed again with the same SPI
 * cancels it: its policies are the new SA's now. An SA of another flow with the same SPI and destination (a P-CSCF
 * that hands a freed SPI to another UE, a UE back from another address) does not: the old flow's policies still go
 * when the linger ends, and the new SA, which holds the SPI and destination in the SAD by then, is left alone.
 * Calls run on the owner of control state, from within a change.
 */
final class PolicyLinger
{
    private final EspCoreSaSink target;
    private final SecurityAssociationDatabase sad;
    private final DaemonSipBridge.ChangeApplier applier;
    private final long lingerNs;

    /**
     * @param target   the SAD/SPD the SAs go into.
     * @param sad      the same SAD, for deleting an SA at once.
     * @param applier  the owner's scheduler.
     * @param lingerNs how long a removed SA's policies stay.
     */
    PolicyLinger(final EspCoreSaSink target, final SecurityAssociationDatabase sad,
        final DaemonSipBridge.ChangeApplier applier, final long lingerNs)
    {
        this.target = target;
        this.sad = sad;
        this.applier = applier;
        this.lingerNs = lingerNs;
    }

    /**
     * Install an SA and its policies; a lingering removal of the same flow and SPI is cancelled.
     *
     * @param sa the SA.
     */
    void install(final SaSpec sa)
    {
        applier.cancel(key(sa));
        target.install(sa);
    }

    /**
     * Delete an SA now and its policies once the linger time has passed.
     *
     * @param sa the SA as installed or last updated.
     */
    void remove(final SaSpec sa)
    {
        sad.delete(sa.spi(), sa.dst());
        removePolicies(sa);
    }

    /**
     * Remove an SA's policies once the linger time has passed and leave the SAD alone: for an SA whose SPI and
     * destination a new SA of another flow holds by now.
     *
     * @param sa the SA as installed or last updated.
     */
    void removePolicies(final SaSpec sa)
    {
        applier.schedule(key(sa), lingerNs, () -> target.removePolicies(sa));
    }

    /**
     * Change an installed SA's lifetime.
     *
     * @param sa         the SA with its new state and lifetime.
     * @param lifetimeNs the new lifetime counted from now.
     */
    void extendLifetime(final SaSpec sa, final long lifetimeNs)
    {
        target.extendLifetime(sa, lifetimeNs);
    }

    static String key(final SaSpec sa)
    {
        return "sip-linger spi " + sa.spiHex() + " dst " + sa.dst().getHostAddress() + " " + sa.dstPort() + " src " +
            sa.src().getHostAddress() + " " + sa.srcPort();
    }
}
