package org.esp4j.sip.espcore;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.lifecycle.SecurityAssociationSink;
import org.esp4j.sip.message.Transport;

/**
 * Installs the SAs the SIP lifecycle decides on into an esp-core SAD and SPD, as a kernel-based IMS client would
 * with {@code ip xfrm state add} and {@code ip xfrm policy add}: one SA per {@link SaSpec}, with the spec's ports as
 * the SA selector, and one PROTECT policy per transport (UDP and TCP) naming the SA by SPI.
 * <p>
 * Lifetimes are hard time-since-add limits; extending a lifetime keeps the SA (its sequence numbers, replay window
 * and counters) and moves the limit, as TS 33.203 §7.4 wants for an unchallenged re-registration.
 */
public final class EspCoreSaSink implements SecurityAssociationSink
{
    /** Replay window of IMS SAs: {@link SaSpec#REPLAY_WINDOW}. */
    public static final int REPLAY_WINDOW = SaSpec.REPLAY_WINDOW;

    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final int policyPriority;
    private final int udpEncapsulationPort;

    /**
     * @param sad            where SAs go.
     * @param spd            where policies go.
     * @param policyPriority priority of the installed policies (lower wins).
     */
    public EspCoreSaSink(final SecurityAssociationDatabase sad, final SecurityPolicyDatabase spd, final int policyPriority)
    {
        this(sad, spd, policyPriority, 0);
    }

    /**
     * @param sad                  where SAs go.
     * @param spd                  where policies go.
     * @param policyPriority       priority of the installed policies (lower wins).
     * @param udpEncapsulationPort 0 for raw ESP (IP protocol 50), else the RFC 3948 port (4500) both ends use: the
     *                             SAs are installed with {@code encap espinudp PORT PORT}, for a host whose carrier
     *                             is ESP-in-UDP only (an esp4j daemon with {@code carrier=udp}, or a simulator
     *                             without raw sockets).
     */
    public EspCoreSaSink(
        final SecurityAssociationDatabase sad, final SecurityPolicyDatabase spd, final int policyPriority,
        final int udpEncapsulationPort)
    {
        this.sad = sad;
        this.spd = spd;
        this.policyPriority = policyPriority;
        this.udpEncapsulationPort = udpEncapsulationPort;
    }

    public void install(final SaSpec spec)
    {
        final SaConfig config = udpEncapsulationPort == 0 ? spec.toSaConfig() : spec.toSaConfig().toBuilder()
            .encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, udpEncapsulationPort, udpEncapsulationPort).build();
        // Same SPI and destination again means new keys from a new AKA run: a new SA, not an update.
        sad.delete(spec.spi(), spec.dst());
        // The SA owns the config from here (it zeroes the keys when deleted): `xfrm state list --keys` and the
        // Wireshark export read them from it, as for SAs added through the control socket.
        sad.add(config);
        for (final Transport transport : spec.protocols())
        {
            spd.update(spec.toPolicyConfig(transport, policyPriority));
        }
    }

    public void remove(final SaSpec spec)
    {
        removePolicies(spec);
        sad.delete(spec.spi(), spec.dst());
    }

    /**
     * Remove the policies of an SA, those of its selectors that still name it, and leave the SAD alone: for an SA
     * deleted earlier, whose SPI and destination a new SA (of another flow) may hold by now.
     *
     * @param spec the SA as installed or last updated.
     */
    public void removePolicies(final SaSpec spec)
    {
        for (final Transport transport : spec.protocols())
        {
            final PolicyConfig policy = spec.toPolicyConfig(transport, policyPriority);
            final org.esp4j.core.spd.SecurityPolicy installed = spd.find(policy.selector(), policy.direction());
            // Another SA set may have taken over the same flow; only remove the policy that names this SA.
            if (installed != null && installed.template() != null && installed.template().spi() == spec.spi())
            {
                spd.delete(policy.selector(), policy.direction());
            }
        }
    }

    public void extendLifetime(final SaSpec spec, final long lifetimeNs)
    {
        final SecurityAssociation sa = sad.get(spec.spi(), spec.dst());
        if (sa != null)
        {
            final long nowNs = sad.clock().nanoTime();
            // Through the SAD, as `ip xfrm state update` does: the SA keeps its counters and replay window, the
            // listing shows the new limits, and monitors see an Updated event.
            final SaConfig updated = sa.config().toBuilder().lifetime(SaSpec.hardLifetime(nowNs - sa.addTimeNs() + lifetimeNs)).build();
            try
            {
                sad.update(updated);
            }
            finally
            {
                updated.zeroKeys();
            }
        }
    }
}
