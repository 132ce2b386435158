package org.esp4j.tun.daemon;

import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.spd.SpdEventListener;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * What a control endpoint (the control socket behind {@code esp4j xfrm ...}, {@code esp4j stat}) may do with a
 * running daemon. Every method is thread-safe.
 * <ul>
 *   <li>{@link #sad()} and {@link #spd()} are the live databases the packet agents use. Read them from any thread;
 *   change them only inside {@link #apply(Supplier)}, which runs the change on the daemon's conductor (the one
 *   owner of control state) and returns once routes, rules and the nftables inbound filter follow it.</li>
 *   <li>{@link #counters()} and {@link #daemonCounters()} are also in the memory-mapped {@link #countersFile()}
 *   (an {@link org.esp4j.core.counters.CountersFile}) that another process can read.</li>
 *   <li>{@link #subscribe(SpdEventListener)} delivers SA events (added, updated, soft/hard expired, sequence overflow,
 *   deleted) and acquires (traffic hit a protect policy without an SA) on the thread that raised them (the
 *   conductor, a packet thread): the listener must not block. {@link #subscribePolicyEvents} delivers the policy
 *   changes the conductor applied, on the conductor thread.</li>
 * </ul>
 */
public interface DaemonControl
{
    DaemonConfig config();

    /** @return the name of the TUN device. */
    String tunName();

    /** @return the MTU set on the TUN. */
    int tunMtu();

    /** @return the MTU of the path the carrier uses. */
    int pathMtu();

    SecurityAssociationDatabase sad();

    SecurityPolicyDatabase spd();

    XfrmCounters counters();

    DaemonCounters daemonCounters();

    /** @return the memory-mapped counters file. */
    Path countersFile();

    /**
     * Subscribe to SA events and acquires.
     *
     * @return closing it unsubscribes.
     */
    AutoCloseable subscribe(SpdEventListener listener);

    /**
     * Apply a change to the SAD or SPD on the daemon's conductor and wait for it: when this returns, the host state
     * (steering rules, the nftables inbound filter, the fragment guard) follows the change.
     *
     * @param change runs on the conductor thread.
     * @return what the change returned.
     * @throws RuntimeException what the change threw, or {@link IllegalStateException} when the daemon is stopping,
     *                          busy or did not answer in time.
     */
    <T> T apply(Supplier<T> change);

    /**
     * Subscribe to policy changes (added, updated, deleted), as {@code ip xfrm monitor} shows them.
     *
     * @return closing it unsubscribes.
     */
    AutoCloseable subscribePolicyEvents(DaemonConductor.PolicyEventListener listener);

    /** Ask the daemon to stop (asynchronous; the daemon removes its rules, routes and TUN). */
    void requestShutdown();
}
