package org.esp4j.tun.daemon;

import org.agrona.DirectBuffer;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.selector.TrafficSelector;

import java.util.ArrayList;
import java.util.List;

/**
 * What the outbound agent does with fragments the kernel made in front of the TUN (a datagram bigger than the TUN
 * MTU). Transport-mode ESP applies to whole packets and a non-initial fragment carries no ports (RFC 4301 7), so
 * fragments never reach the processor; they either leave unchanged (bypass traffic, e.g. a big SIP datagram to
 * 5060) or are dropped (protected or discarded traffic: it never leaves in clear).
 * <ul>
 *   <li>The initial fragment (offset 0) carries the ports: the out-policy lookup decides, and the verdict is
 *   remembered under (addresses, protocol, identification) for the fragments that follow.</li>
 *   <li>A later fragment takes its datagram's verdict; if it is not known (table slot reused, out of order), it is
 *   dropped when any protect or discard out-policy covers its addresses whatever the ports, else it passes.</li>
 * </ul>
 * One instance per outbound agent (single thread, no allocation per packet); {@link #refresh} may be called from
 * any thread.
 */
public final class FragmentGuard
{
    private static final int TABLE_SIZE = 1024;

    private final SecurityPolicyDatabase spd;
    private final long[] keys = new long[TABLE_SIZE];
    private final boolean[] verdicts = new boolean[TABLE_SIZE];
    /** Owned by the outbound agent's thread: replaced only through its command queue ({@link #guard}). */
    private TrafficSelector[] guarded = new TrafficSelector[0];

    private long identification;
    private int fragmentOffset;
    private int protocol;
    private int upperAt;
    private long sourceHigh;
    private long sourceLow;
    private long destinationHigh;
    private long destinationLow;

    public FragmentGuard(final SecurityPolicyDatabase spd)
    {
        this.spd = spd;
        refresh();
    }

    /** Take the SPD's guarded selectors now (before the agent runs, and in tests). */
    void refresh()
    {
        guard(guardedSelectors(spd));
    }

    /** @param selectors the new guarded selectors; called on the thread that owns the guard. */
    void guard(final TrafficSelector[] selectors)
    {
        guarded = selectors;
    }

    /**
     * @return the selectors of the out-policies that protect or discard (for fragments of unknown datagrams): what
     * the conductor computes and sends the outbound agent after an SPD change.
     */
    static TrafficSelector[] guardedSelectors(final SecurityPolicyDatabase spd)
    {
        final List<TrafficSelector> selectors = new ArrayList<>();
        for (final SecurityPolicy policy : spd.list())
        {
            if (PolicyHostView.isGuarded(policy))
            {
                selectors.add(policy.selector());
            }
        }
        return selectors.toArray(new TrafficSelector[0]);
    }

    /**
     * @return true if the IP packet at {@code offset} is a fragment (IPv4 MF or offset; IPv6 fragment header that is
     * not atomic); its fields are then parsed for {@link #allow}.
     */
    boolean isFragment(final DirectBuffer buffer, final int offset, final int length)
    {
        if (Ipv4Header.version(buffer, offset) == Ipv4Header.VERSION)
        {
            if (!Ipv4Header.isFragment(buffer, offset))
            {
                return false;
            }
            fragmentOffset = Ipv4Header.fragmentOffset(buffer, offset);
            identification = Ipv4Header.identification(buffer, offset);
            protocol = Ipv4Header.protocol(buffer, offset);
            upperAt = Ipv4Header.headerLength(buffer, offset);
            sourceHigh = IpAddressBits.IPV4_MAPPED_HIGH;
            sourceLow = IpAddressBits.ipv4Low(Ipv4Header.source(buffer, offset));
            destinationHigh = IpAddressBits.IPV4_MAPPED_HIGH;
            destinationLow = IpAddressBits.ipv4Low(Ipv4Header.destination(buffer, offset));
            return true;
        }
        // the walk goes through atomic fragments (RFC 6946: whole packets) and stops at a real one
        final long walk = Ipv6Header.walkExtensionHeaders(buffer, offset, length, 0);
        if (Ipv6Header.isWalkTruncated(walk) || Ipv6Header.walkProtocol(walk) != IpProtocol.IPV6_FRAGMENT)
        {
            return false;
        }
        final int fragmentHeader = offset + Ipv6Header.walkUpperOffset(walk);
        fragmentOffset = Ipv6Header.fragmentOffset(buffer, fragmentHeader);
        identification = Ipv6Header.fragmentIdentification(buffer, fragmentHeader);
        protocol = Ipv6Header.extensionNextHeader(buffer, fragmentHeader);
        upperAt = Ipv6Header.walkUpperOffset(walk) + Ipv6Header.FRAGMENT_HEADER_LENGTH;
        sourceHigh = Ipv6Header.sourceHigh(buffer, offset);
        sourceLow = Ipv6Header.sourceLow(buffer, offset);
        destinationHigh = Ipv6Header.destinationHigh(buffer, offset);
        destinationLow = Ipv6Header.destinationLow(buffer, offset);
        return true;
    }

    /**
     * For the fragment last given to {@link #isFragment}: may it leave unchanged?
     *
     * @return true to send it as it is, false to drop it.
     */
    boolean allow(final DirectBuffer buffer, final int offset, final int length)
    {
        final long key = key();
        final int slot = (int)(mix(key) & (TABLE_SIZE - 1));
        if (fragmentOffset == 0)
        {
            int sourcePort = 0;
            int destinationPort = 0;
            if (IpProtocol.hasPorts(protocol) && upperAt + 4 <= length)
            {
                sourcePort = UdpHeader.sourcePort(buffer, offset + upperAt);
                destinationPort = UdpHeader.destinationPort(buffer, offset + upperAt);
            }
            final SecurityPolicy policy = spd.lookup(PolicyDirection.OUT, sourceHigh, sourceLow, destinationHigh,
                destinationLow, protocol, sourcePort, destinationPort);
            final boolean allowed = policy == null || policy.action() == PolicyAction.BYPASS;
            keys[slot] = key;
            verdicts[slot] = allowed;
            return allowed;
        }
        if (keys[slot] == key && key != 0)
        {
            return verdicts[slot];
        }
        return !coveredWhateverThePorts();
    }

    private boolean coveredWhateverThePorts()
    {
        for (final TrafficSelector selector : guarded)
        {
            if (selector.matches(sourceHigh, sourceLow, destinationHigh, destinationLow, selector.protocol(),
                selector.sourcePortLow(), selector.destinationPortLow()))
            {
                return true;
            }
        }
        return false;
    }

    private long key()
    {
        long h = identification * 0x9E3779B97F4A7C15L;
        h ^= mix(sourceHigh ^ (sourceLow * 31));
        h ^= mix(destinationHigh ^ (destinationLow * 17)) * 3;
        h ^= protocol;
        return h == 0 ? 1 : h;
    }

    private static long mix(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}
