package org.esp4j.tun.routing;

import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.TrafficSelector;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Enforces the inbound policies on clear packets that never pass through the daemon. A kernel IPsec stack checks every
 * packet it delivers against the inbound SPD: a clear packet whose selector requires ESP is dropped and counted as
 * {@code XfrmInTmplMismatch}, one under a discard policy as {@code XfrmInPolBlock}. Without this filter such a packet,
 * arriving on the real interface, would go straight to the application, since only ESP and the TUN pass through the
 * daemon. The filter is one nftables table per TUN (control plane only, through {@code nft}):
 * <pre>
 *   table inet esp4j_TUN {
 *     counter tmpl_mismatch { }
 *     counter pol_block { }
 *     chain input {
 *       type filter hook input priority filter; policy accept;
 *       meta l4proto esp accept               # the raw carrier: the daemon reads it
 *       udp dport 4500 accept                 # the UDP carrier (RFC 3948), if open
 *       iifname "TUN" accept                  # plaintext the daemon checked and wrote into the TUN
 *       iif "lo" accept                       # like the kernel, whose lo has disable_policy set
 *       icmpv6 type { nd-router-solicit, ... } accept     # neighbour discovery keeps working
 *       ip6 saddr 2001:0:0:1::2 ip6 daddr 2001::1:d1ae:bb37:d9c9:81d0 meta l4proto udp th sport 5201 counter name "tmpl_mismatch" drop
 *       ...                                   # one rule per inbound policy, in SPD lookup order
 *     }
 *   }
 * </pre>
 * An inbound bypass policy becomes {@code accept} and, being earlier in lookup order, shadows the rules after it, as
 * in the SPD; a protect policy whose template is optional ({@code level use}) also accepts. Without any drop rule
 * there is no table at all, so a daemon with nothing to enforce adds no netfilter hook to the packet path.
 * <p>
 * Every change replaces the whole table in one nftables transaction ({@code table; delete table; table {...}}), which
 * also replaces a table left behind by a crashed run. The drops are read back from the two named counters with
 * {@link #pollDrops()}, which returns what is new since the last call, so the daemon can add them to its own counters.
 * Thread-safe (synchronized).
 */
public final class InboundClearFilter
{
    /** What a sync or poll found: packets dropped since the previous call. */
    public record Drops(long templateMismatch, long policyBlock)
    {
        public static final Drops NONE = new Drops(0, 0);

        public boolean any()
        {
            return templateMismatch != 0 || policyBlock != 0;
        }
    }

    static final String TEMPLATE_MISMATCH_COUNTER = "tmpl_mismatch";
    static final String POLICY_BLOCK_COUNTER = "pol_block";

    private static final Pattern COUNTER = Pattern.compile("counter\\s+(\\w+)\\s*\\{\\s*packets\\s+(\\d+)\\s+bytes");
    private static final String ND_TYPES =
        "{ nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect }";

    private final NftCommand nft;
    private final String tunName;
    private final String table;
    private final int[] carrierUdpPorts;
    private final Consumer<String> log;
    private String installedRules;
    private boolean tablePresent;
    private boolean removed;
    private long seenTemplateMismatch;
    private long seenPolicyBlock;

    /**
     * @param nft             runs {@code nft}.
     * @param tunName         the daemon's TUN, whose packets are let through.
     * @param carrierUdpPorts the UDP ports of the daemon's ESP-in-UDP sockets (empty: none).
     * @param log             where changes are reported.
     */
    public InboundClearFilter(
        final NftCommand nft, final String tunName, final int[] carrierUdpPorts, final Consumer<String> log)
    {
        if (!tunName.matches("[A-Za-z0-9_.-]{1,15}"))
        {
            throw new IllegalArgumentException("TUN name not usable in an nftables rule: " + tunName);
        }
        this.nft = nft;
        this.tunName = tunName;
        this.table = tableName(tunName);
        this.carrierUdpPorts = carrierUdpPorts.clone();
        this.log = log == null ? s -> { } : log;
    }

    /** @return the nftables table of a TUN: {@code esp4j_} and the name with anything but letters and digits as _. */
    public static String tableName(final String tunName)
    {
        return "esp4j_" + tunName.replaceAll("[^A-Za-z0-9]", "_");
    }

    public String table()
    {
        return table;
    }

    /**
     * Make the table match the inbound policies. Does nothing when they give the same rules as installed.
     *
     * @param policies the SPD, any direction (only {@code dir in} is used), in lookup order.
     * @return drops counted by the table being replaced, since the last {@link #pollDrops()}.
     * @throws IOException when {@code nft} refuses the table or cannot run.
     */
    public synchronized Drops sync(final List<SecurityPolicy> policies) throws IOException
    {
        final String rules = rules(policies);
        if (removed || rules.equals(installedRules))
        {
            return Drops.NONE;
        }
        final Drops drops = tablePresent ? pollDrops() : Drops.NONE;
        final int dropRules = dropRuleCount(policies);
        if (dropRules == 0)
        {
            // nothing to enforce: no table, so the input hook costs nothing per packet
            nft.check("table inet " + table + "\ndelete table inet " + table + "\n");
            tablePresent = false;
        }
        else
        {
            nft.check(replaceScript(rules));
            tablePresent = true;
        }
        installedRules = rules;
        seenTemplateMismatch = 0;
        seenPolicyBlock = 0;
        log.accept("inbound filter " + table + ": " + dropRules + " drop rule(s)" + (dropRules == 0 ? ", no table" : ""));
        return drops;
    }

    /** @return packets dropped since the last call (nothing when no table is installed). */
    public synchronized Drops pollDrops() throws IOException
    {
        if (!tablePresent)
        {
            return Drops.NONE;
        }
        final IpCommand.Result listed = nft.run("list counters table inet " + table + "\n");
        if (!listed.ok())
        {
            installedRules = null; // deleted behind our back: the next sync installs it again
            tablePresent = false;
            listed.check();
        }
        final String output = listed.output();
        long templateMismatch = seenTemplateMismatch;
        long policyBlock = seenPolicyBlock;
        final Matcher matcher = COUNTER.matcher(output);
        while (matcher.find())
        {
            if (TEMPLATE_MISMATCH_COUNTER.equals(matcher.group(1)))
            {
                templateMismatch = Long.parseLong(matcher.group(2));
            }
            else if (POLICY_BLOCK_COUNTER.equals(matcher.group(1)))
            {
                policyBlock = Long.parseLong(matcher.group(2));
            }
        }
        // a counter below what was seen means someone reset it: all it holds is new
        final Drops drops = new Drops(
            templateMismatch >= seenTemplateMismatch ? templateMismatch - seenTemplateMismatch : templateMismatch,
            policyBlock >= seenPolicyBlock ? policyBlock - seenPolicyBlock : policyBlock);
        seenTemplateMismatch = templateMismatch;
        seenPolicyBlock = policyBlock;
        return drops;
    }

    /** Delete the table (also one left by an earlier run); later syncs do nothing. Never throws. */
    public synchronized void remove()
    {
        removed = true; // a sync racing with the daemon's exit must not put the table back
        installedRules = null;
        tablePresent = false;
        try
        {
            // "table" first creates it if missing, so the delete cannot fail on a clean host.
            nft.run("table inet " + table + "\ndelete table inet " + table + "\n");
        }
        catch (final IOException ex)
        {
            log.accept("removing nftables table " + table + " failed: " + ex.getMessage());
        }
    }

    String replaceScript(final String rules)
    {
        return "table inet " + table + "\n" +
            "delete table inet " + table + "\n" +
            "table inet " + table + " {\n" +
            "  counter " + TEMPLATE_MISMATCH_COUNTER + " { }\n" +
            "  counter " + POLICY_BLOCK_COUNTER + " { }\n" +
            "  chain input {\n" +
            "    type filter hook input priority filter; policy accept;\n" +
            rules +
            "  }\n" +
            "}\n";
    }

    /** @return the chain's rules for these policies, one per line. */
    String rules(final List<SecurityPolicy> policies)
    {
        final StringBuilder rules = new StringBuilder();
        // the carrier first: ESP is most of what arrives, and should cost one rule
        rule(rules, "meta l4proto esp accept");
        for (final int port : carrierUdpPorts)
        {
            rule(rules, "udp dport " + port + " accept");
        }
        rule(rules, "iifname \"" + tunName + "\" accept");
        rule(rules, "iif \"lo\" accept");
        rule(rules, "icmpv6 type " + ND_TYPES + " accept");
        for (final SecurityPolicy policy : policies)
        {
            if (policy.direction() != PolicyDirection.IN)
            {
                continue;
            }
            final String match = match(policy.selector());
            if (match == null)
            {
                continue;
            }
            rule(rules, match + verdict(policy));
        }
        return rules.toString();
    }

    private static int dropRuleCount(final List<SecurityPolicy> policies)
    {
        int count = 0;
        for (final SecurityPolicy policy : policies)
        {
            if (policy.direction() == PolicyDirection.IN && verdict(policy).endsWith("drop"))
            {
                count++;
            }
        }
        return count;
    }

    private static String verdict(final SecurityPolicy policy)
    {
        if (policy.action() == PolicyAction.DISCARD)
        {
            return "counter name \"" + POLICY_BLOCK_COUNTER + "\" drop";
        }
        if (policy.action() == PolicyAction.PROTECT && !policy.template().optional())
        {
            return "counter name \"" + TEMPLATE_MISMATCH_COUNTER + "\" drop";
        }
        return "accept";
    }

    /**
     * @return the nftables match of a selector with a trailing space (empty for "everything"), or null when nftables
     * cannot express it (then no rule is written: the filter errs on letting through, as without it).
     */
    static String match(final TrafficSelector selector)
    {
        final StringBuilder match = new StringBuilder();
        final InetAddress source = selector.sourceAddress();
        final InetAddress destination = selector.destinationAddress();
        final int family = selector.family() != TrafficSelector.ANY_FAMILY ? selector.family() :
            source != null ? familyOf(source) : destination != null ? familyOf(destination) : 0;
        if (family == 4)
        {
            match.append("meta nfproto ipv4 ");
        }
        else if (family == 6)
        {
            match.append("meta nfproto ipv6 ");
        }
        address(match, family, "saddr", source, selector.sourcePrefixLength());
        address(match, family, "daddr", destination, selector.destinationPrefixLength());
        final int protocol = selector.protocol();
        final boolean sourcePorts = selector.sourcePortLow() != 0 || selector.sourcePortHigh() != 0xFFFF;
        final boolean destinationPorts = selector.destinationPortLow() != 0 || selector.destinationPortHigh() != 0xFFFF;
        if (protocol != TrafficSelector.ANY_PROTOCOL)
        {
            match.append("meta l4proto ").append(protocol).append(' ');
            if ((sourcePorts || destinationPorts) && !hasPorts(protocol))
            {
                return null; // ICMP type/code selectors: not expressed
            }
        }
        else if (sourcePorts || destinationPorts)
        {
            match.append("meta l4proto { tcp, udp, sctp, udplite } ");
        }
        if (sourcePorts)
        {
            match.append("th sport ").append(range(selector.sourcePortLow(), selector.sourcePortHigh())).append(' ');
        }
        if (destinationPorts)
        {
            match.append("th dport ").append(range(selector.destinationPortLow(), selector.destinationPortHigh()))
                .append(' ');
        }
        return match.toString();
    }

    private static void address(
        final StringBuilder match, final int family, final String field, final InetAddress address, final int prefix)
    {
        if (address == null)
        {
            return;
        }
        final int fullLength = family == 4 ? 32 : 128;
        match.append(family == 4 ? "ip " : "ip6 ").append(field).append(' ').append(address.getHostAddress());
        if (prefix < fullLength)
        {
            match.append('/').append(prefix);
        }
        match.append(' ');
    }

    private static boolean hasPorts(final int protocol)
    {
        return protocol == TrafficSelector.PROTOCOL_TCP || protocol == TrafficSelector.PROTOCOL_UDP ||
            protocol == 132 || protocol == 136; // SCTP, UDP-Lite
    }

    private static String range(final int low, final int high)
    {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }

    private static int familyOf(final InetAddress address)
    {
        return address instanceof Inet4Address ? 4 : 6;
    }

    private static void rule(final StringBuilder rules, final String rule)
    {
        rules.append("    ").append(rule.trim()).append('\n');
    }
}
