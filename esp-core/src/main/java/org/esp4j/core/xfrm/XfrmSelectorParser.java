package org.esp4j.core.xfrm;

import org.esp4j.core.selector.TrafficSelector;

import java.util.HashSet;
import java.util.Set;

/**
 * The SELECTOR of ip-xfrm(8): {@code [src ADDR[/PLEN]] [dst ADDR[/PLEN]] [proto PROTO [sport PORT] [dport PORT]]},
 * the RFC 4301 §4.4.1.1 selector fields used in transport mode. Used after {@code sel} in {@code ip xfrm state}
 * and at the top of {@code ip xfrm policy}.
 * <p>
 * As in iproute2: a missing {@code /PLEN} means a host prefix; port 0 means any port; {@code sport}/{@code dport}
 * need {@code proto tcp|udp|sctp|dccp}. A {@code /0} prefix is kept as "any address of that family" (the same set
 * of packets, and it prints back as {@code 0.0.0.0/0} or {@code ::/0}). The policy parser additionally accepts port
 * ranges {@code sport 1000-2000}, an esp4j extension: the Linux selector has only a single port and a mask.
 * {@code dev}, {@code type}, {@code code} and {@code key} are refused as not supported.
 */
final class XfrmSelectorParser
{
    private final XfrmCursor cursor;
    private final boolean portRangesAllowed;
    private final Set<String> seen = new HashSet<>();
    private XfrmToken first;
    private XfrmCursor.Prefix source;
    private XfrmCursor.Prefix destination;
    private int protocol = -1;
    private XfrmToken portToken;
    private int sourcePortLow = 0;
    private int sourcePortHigh = 65535;
    private int destinationPortLow = 0;
    private int destinationPortHigh = 65535;

    XfrmSelectorParser(final XfrmCursor cursor, final boolean portRangesAllowed)
    {
        this.cursor = cursor;
        this.portRangesAllowed = portRangesAllowed;
    }

    /**
     * Consumes one selector element if the word starts one.
     *
     * @param token the word just read.
     * @return false, consuming nothing more, when the word is not a selector keyword.
     */
    boolean accept(final XfrmToken token)
    {
        final String keyword = token.text();
        switch (keyword)
        {
            case "src":
            case "dst":
            case "proto":
            case "sport":
            case "dport":
                break;
            case "dev":
            case "type":
            case "code":
            case "key":
                throw cursor.error(token, "selector '" + keyword + "' is not supported");
            default:
                return false;
        }
        if (!seen.add(keyword))
        {
            throw cursor.error(token, "duplicate selector " + keyword);
        }
        if (first == null)
        {
            first = token;
        }
        switch (keyword)
        {
            case "src" -> source = cursor.prefix(token, "selector source prefix");
            case "dst" -> destination = cursor.prefix(token, "selector destination prefix");
            case "proto" ->
            {
                final XfrmToken value = cursor.value(token, "protocol");
                protocol = XfrmProtocols.number(value.text());
                if (protocol < 0)
                {
                    throw cursor.error(value, "invalid protocol: a name (udp, tcp, ipv6-icmp...) or 0..255");
                }
            }
            case "sport" ->
            {
                final int[] range = ports(token);
                sourcePortLow = range[0];
                sourcePortHigh = range[1];
            }
            default ->
            {
                final int[] range = ports(token);
                destinationPortLow = range[0];
                destinationPortHigh = range[1];
            }
        }
        return true;
    }

    /** @return true once any element was read. */
    boolean any()
    {
        return first != null;
    }

    /**
     * @return the selector read so far ({@link TrafficSelector#any()} if nothing was read).
     */
    TrafficSelector build()
    {
        if (first == null)
        {
            return TrafficSelector.any();
        }
        if (source != null && destination != null && source.isIpv4() != destination.isIpv4())
        {
            throw cursor.error(destination.token(), "selector src and dst are of different address families");
        }
        if (portToken != null && !XfrmProtocols.hasPorts(protocol < 0 ? 0 : protocol))
        {
            throw cursor.error(portToken, "sport and dport need proto tcp, udp, sctp or dccp");
        }

        final TrafficSelector.Builder builder = TrafficSelector.builder();
        try
        {
            if (source != null)
            {
                builder.family(source.isIpv4() ? 4 : 6);
                if (source.length() > 0)
                {
                    builder.source(source.address(), source.length());
                }
            }
            if (destination != null)
            {
                builder.family(destination.isIpv4() ? 4 : 6);
                if (destination.length() > 0)
                {
                    builder.destination(destination.address(), destination.length());
                }
            }
            if (protocol > 0)
            {
                builder.protocol(protocol);
            }
            builder.sourcePorts(sourcePortLow, sourcePortHigh).destinationPorts(destinationPortLow, destinationPortHigh);
            return builder.build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw cursor.error(first, "invalid selector: " + ex.getMessage());
        }
    }

    /** The first word of the selector, for errors about it as a whole; null if none was read. */
    XfrmToken first()
    {
        return first;
    }

    private int[] ports(final XfrmToken keyword)
    {
        portToken = portToken == null ? keyword : portToken;
        final XfrmToken value = cursor.value(keyword, "port");
        final String text = value.text();
        final int dash = text.indexOf('-');
        if (dash > 0 && portRangesAllowed)
        {
            final long low = XfrmNumbers.parseUnsigned(text.substring(0, dash), 65535);
            final long high = XfrmNumbers.parseUnsigned(text.substring(dash + 1), 65535);
            if (low == XfrmNumbers.INVALID || high == XfrmNumbers.INVALID || low > high)
            {
                throw cursor.error(value, "invalid port range: LOW-HIGH within 0..65535, LOW <= HIGH");
            }
            return new int[]{ (int)low, (int)high };
        }
        final long port = XfrmNumbers.parseUnsigned(text, 65535);
        if (port == XfrmNumbers.INVALID)
        {
            throw cursor.error(value, portRangesAllowed ?
                "invalid port: 0..65535 or a range LOW-HIGH" : "invalid port: 0..65535 (a single port)");
        }
        // Port 0 is "any port", as iproute2 leaves the selector's port mask empty for it.
        return port == 0 ? new int[]{ 0, 65535 } : new int[]{ (int)port, (int)port };
    }
}
