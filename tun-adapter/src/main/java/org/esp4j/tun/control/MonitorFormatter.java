package org.esp4j.tun.control;

import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.xfrm.XfrmAddresses;
import org.esp4j.core.xfrm.XfrmFormatter;

/**
 * Prints {@link ControlEvent}s as {@code ip xfrm monitor} does (iproute2 ip/xfrm_state.c {@code xfrm_state_print}
 * and ip/xfrm_monitor.c {@code xfrm_acquire_print}), keys always hidden:
 * <pre>
 * src 2001:db8::1 dst 2001:db8::2                   (a new SA: the state, no prefix)
 *         proto esp spi 0xce2a4a47 reqid 0 mode transport
 *         ...
 * Updated src ...                                   (ip xfrm state update, a SIP re-registration's extension)
 *         lifetime config:                          (the limits now in force)
 * Deleted src ...                                   (ip xfrm state delete, flush)
 * Expired src ...                                   (a lifetime limit; then "hard 0" for soft, "hard 1" for hard)
 *         hard 0
 * src 2001:db8::1/128 dst 2001:db8::2/128          (a new policy, as ip xfrm policy prints it)
 *         dir out priority 0 ...
 * Updated src ... / Deleted src ...                 (ip xfrm policy update / delete, flush; SIP bridge changes)
 * acquire proto esp                                 (traffic hit a protect policy without an SA)
 *   sel src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062
 *   policy src ... dst ...
 * </pre>
 * A sequence-number overflow (RFC 4303 §3.3.3) is reported as a hard expiry, which is what the kernel sends for it.
 */
public final class MonitorFormatter
{
    /** What a monitor asked to see, as {@code ip xfrm monitor [all | acquire | expire | SA ...]}. */
    public static final int SA = 1;
    public static final int EXPIRE = 2;
    public static final int ACQUIRE = 4;
    public static final int POLICY = 8;
    public static final int ALL = SA | EXPIRE | ACQUIRE | POLICY;

    private MonitorFormatter()
    {
    }

    /**
     * @param event an event.
     * @return the group it belongs to: {@link #SA}, {@link #EXPIRE}, {@link #ACQUIRE} or {@link #POLICY}.
     */
    public static int group(final ControlEvent event)
    {
        if (event.isPolicyEvent())
        {
            return POLICY;
        }
        if (event.isAcquire())
        {
            return ACQUIRE;
        }
        return switch (event.type())
        {
            case SOFT_EXPIRED, HARD_EXPIRED, SEQUENCE_OVERFLOW -> EXPIRE;
            default -> SA;
        };
    }

    /**
     * @param event the event.
     * @return its text, one or more lines each ending with a newline.
     */
    public static String format(final ControlEvent event)
    {
        if (event.isPolicyEvent())
        {
            final String policy = XfrmFormatter.formatPolicy(event.policy().config());
            return switch (event.policyChange())
            {
                case ADDED -> policy;
                case UPDATED -> "Updated " + policy;
                case DELETED -> "Deleted " + policy;
            };
        }
        if (event.isAcquire())
        {
            return formatAcquire(event);
        }
        final String state = XfrmFormatter.formatState(event.sa().config(), false);
        final SaEventType type = event.type();
        return switch (type)
        {
            case ADDED -> state;
            // An update changes only the lifetime limits: show the ones now in force (iproute2's lifetime block).
            case UPDATED -> "Updated " + state + XfrmFormatter.formatLifetimeConfig(event.sa().lifetime());
            case DELETED -> "Deleted " + state;
            case SOFT_EXPIRED -> "Expired " + state + "\thard 0\n";
            case HARD_EXPIRED, SEQUENCE_OVERFLOW -> "Expired " + state + "\thard 1\n";
        };
    }

    private static String formatAcquire(final ControlEvent event)
    {
        final boolean ipv4 = IpAddressBits.isIpv4Mapped(event.srcHigh(), event.srcLow());
        final int fullPrefix = ipv4 ? 32 : 128;
        final StringBuilder sb = new StringBuilder(256);
        sb.append("acquire proto esp \n");
        sb.append("  sel src ").append(XfrmAddresses.toText(IpAddressBits.toInetAddress(event.srcHigh(), event.srcLow())))
            .append('/').append(fullPrefix)
            .append(" dst ").append(XfrmAddresses.toText(IpAddressBits.toInetAddress(event.dstHigh(), event.dstLow())))
            .append('/').append(fullPrefix).append(' ');
        if (event.protocol() != TrafficSelector.ANY_PROTOCOL)
        {
            sb.append("proto ").append(TrafficSelector.protocolName(event.protocol())).append(' ');
            if (hasPorts(event.protocol()))
            {
                sb.append("sport ").append(event.srcPort()).append(" dport ").append(event.dstPort()).append(' ');
            }
        }
        sb.append('\n');
        if (event.policy() != null)
        {
            // The policy block as "ip xfrm policy" prints it, under a "policy" title and indented like iproute2's.
            final String[] lines = XfrmFormatter.formatPolicy(event.policy().config()).split("\n");
            for (int i = 0; i < lines.length; i++)
            {
                sb.append(i == 0 ? "  policy " : "  ").append(lines[i]).append('\n');
            }
        }
        return sb.toString();
    }

    private static boolean hasPorts(final int protocol)
    {
        return IpProtocol.hasPorts(protocol) || protocol == IpProtocol.DCCP;
    }
}
