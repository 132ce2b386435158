package org.esp4j.tun.daemon;

import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SaEventListener;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a control endpoint (the control socket behind {@code esp4j xfrm ...}, {@code esp4j stat}) may do with a
 * running daemon. Every method is thread-safe.
 * <ul>
 *   <li>{@link #sad()} and {@link #spd()} are the live databases the packet agents use: {@code add}, {@code update},
 *   {@code delete}, {@code flush}, {@code list} take effect for the next packet. After changing out-policies call
 *   {@link #policiesChanged()} so the steering rules follow (the daemon also re-syncs them once a second).</li>
 *   <li>{@link #counters()} and {@link #daemonCounters()} are also in the memory-mapped {@link #countersFile()}
 *   (an {@link org.esp4j.core.counters.CountersFile}) that another process can read.</li>
 *   <li>{@link #subscribe(SaEventListener)} delivers SA events (added, updated, soft/hard expired, sequence overflow,
 *   deleted) and acquires (traffic hit a protect policy without an SA) on the daemon's event thread, in order;
 *   the listener may block briefly but not for long.</li>
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
    AutoCloseable subscribe(SaEventListener listener);

    /** Re-sync the policy-routing steering rules with the out-policies of the SPD (and the configured prefixes). */
    void policiesChanged() throws IOException;

    /** Ask the daemon to stop (asynchronous; the daemon removes its rules, routes and TUN). */
    void requestShutdown();
}
