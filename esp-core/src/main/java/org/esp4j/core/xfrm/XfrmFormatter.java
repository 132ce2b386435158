package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;

import java.net.InetAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Prints SAs and policies the way iproute2's {@code ip xfrm state} and {@code ip xfrm policy} list them
 * (ip/ipxfrm.c {@code xfrm_state_info_print}, {@code xfrm_policy_info_print}), so the output reads, and diffs,
 * like the kernel's: tab-indented continuation lines, iproute2's trailing blanks, {@code spi 0x%08x},
 * {@code auth-trunc} even for SAs added with {@code auth} (the kernel reports both and iproute2 prints the truncated
 * form), and for combined-mode SAs one {@code aead NAME KEY ICV-BITS} line in place of auth and enc.
 * <p>
 * Keys are printed only when asked; otherwise as {@link #KEYS_HIDDEN}, what {@code ip xfrm state list nokeys} prints.
 * With {@link SaStatsView} counters the {@code ip -s} form is produced (SPI and reqid in both bases, key sizes,
 * lifetime configuration and current values, and the drop counters). Not printed: the {@code anti-replay context}
 * lines (runtime replay state, not part of {@link SaConfig}). One deliberate difference: {@code replay-window} shows
 * the configured window even for ESN SAs and windows above 32, where Linux reports 0 there and puts the real window
 * in its {@code anti-replay esn context} lines.
 * <p>
 * {@link #toStateAddArgs(SaConfig, boolean)} and {@link #toPolicyAddArgs(PolicyConfig)} write the arguments of
 * {@code ip xfrm state add} / {@code policy add} that parse back to an equal config; algorithm names are
 * single-quoted so the line can also be pasted into a shell.
 */
public final class XfrmFormatter
{
    /** What iproute2 prints in place of key material when keys are hidden ({@code nokeys}). */
    public static final String KEYS_HIDDEN = "<<Keys hidden>>";

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final String NL = "\n";
    private static final String TAB = "\t";

    private XfrmFormatter()
    {
    }

    /**
     * @param sa       the SA.
     * @param showKeys true to print keys (the user asked for them).
     * @return the {@code ip xfrm state} listing of the SA, ending with a newline.
     */
    public static String formatState(final SaConfig sa, final boolean showKeys)
    {
        return formatState(sa, showKeys, null, ZoneId.systemDefault());
    }

    /**
     * @param sa       the SA.
     * @param showKeys true to print keys.
     * @param stats    counters for the {@code ip -s xfrm state} form, or null for the plain form.
     * @return the listing, ending with a newline.
     */
    public static String formatState(final SaConfig sa, final boolean showKeys, final SaStatsView stats)
    {
        return formatState(sa, showKeys, stats, ZoneId.systemDefault());
    }

    /**
     * @param sa       the SA.
     * @param showKeys true to print keys.
     * @param stats    counters for the {@code ip -s xfrm state} form, or null for the plain form.
     * @param zone     time zone for the add/use times (iproute2 uses local time).
     * @return the listing, ending with a newline.
     */
    public static String formatState(
        final SaConfig sa, final boolean showKeys, final SaStatsView stats, final ZoneId zone)
    {
        return formatState(sa, sa.lifetime(), showKeys, stats, zone);
    }

    /**
     * The listing of a live SA: as {@link #formatState(SaConfig, boolean, SaStatsView)} of its config, but with the
     * lifetime limits in force ({@link SecurityAssociation#lifetime()}), which differ from the config's once the SA
     * has been updated (e.g. a SIP re-registration extended it).
     *
     * @param sa       the SA.
     * @param showKeys true to print keys.
     * @param stats    counters for the {@code ip -s xfrm state} form, or null for the plain form.
     * @return the listing, ending with a newline.
     */
    public static String formatState(final SecurityAssociation sa, final boolean showKeys, final SaStatsView stats)
    {
        return formatState(sa.config(), sa.lifetime(), showKeys, stats, ZoneId.systemDefault());
    }

    /**
     * @param lifetime limits.
     * @return the {@code lifetime config:} block iproute2 prints for them ({@code xfrm_lifetime_print} without
     * current values), each line tab-indented and ending with a newline.
     */
    public static String formatLifetimeConfig(final SaLifetimeConfig lifetime)
    {
        final StringBuilder sb = new StringBuilder(200);
        appendLifetimeConfig(sb, lifetime);
        return sb.toString();
    }

    private static String formatState(
        final SaConfig sa,
        final SaLifetimeConfig lifetime,
        final boolean showKeys,
        final SaStatsView stats,
        final ZoneId zone)
    {
        final boolean s = stats != null;
        final StringBuilder sb = new StringBuilder(256);
        sb.append("src ").append(XfrmAddresses.toText(sa.source()))
            .append(" dst ").append(XfrmAddresses.toText(sa.destination())).append(NL);

        sb.append(TAB).append("proto esp spi ").append(sa.spiHex());
        if (s)
        {
            sb.append('(').append(sa.spi()).append(')');
        }
        sb.append(" reqid ").append(Integer.toUnsignedString(sa.reqid()));
        if (s)
        {
            sb.append(String.format("(0x%08x)", sa.reqid()));
        }
        sb.append(" mode transport").append(NL);

        sb.append(TAB).append("replay-window ").append(sa.replayWindowSize()).append(' ');
        if (s)
        {
            sb.append("seq 0x00000000 ");
        }
        if (s || sa.esn() || sa.icmp())
        {
            // iproute2's order: the flags by bit value (icmp 0x10 before esn 0x80)
            sb.append("flag ").append(sa.icmp() ? "icmp" : "").append(sa.icmp() && sa.esn() ? " " : "")
                .append(sa.esn() ? "esn" : "");
        }
        if (s)
        {
            // iproute2 prints the flags byte as eight binary digits after "0x".
            sb.append(" (0x").append(sa.esn() ? '1' : '0').append("00").append(sa.icmp() ? '1' : '0')
                .append("0000").append(')');
        }
        sb.append(NL);

        if (sa.isAead())
        {
            // xfrm_aead_print: the algorithm, the key (salt included) and the ICV length; no auth or enc line.
            sb.append(TAB).append("aead ").append(sa.encryptionAlgorithm().xfrmName()).append(' ');
            appendKey(sb, sa.encryptionKey(), showKeys, s);
            sb.append(' ').append(sa.icvLengthBits()).append(NL);
        }
        else
        {
            sb.append(TAB).append("auth-trunc ").append(sa.integrityAlgorithm().xfrmName()).append(' ');
            appendKey(sb, sa.integrityKey(), showKeys, s);
            sb.append(' ').append(sa.icvLengthBits()).append(NL);

            sb.append(TAB).append("enc ").append(sa.encryptionAlgorithm().xfrmName()).append(' ');
            appendKey(sb, sa.encryptionKey(), showKeys, s);
            sb.append(NL);
        }

        if (sa.encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP)
        {
            sb.append(TAB).append("encap type espinudp sport ").append(sa.encapsulationSourcePort())
                .append(" dport ").append(sa.encapsulationDestinationPort())
                .append(" addr ").append(XfrmAddresses.zeroText(sa.isIpv4())).append(NL);
        }

        // The kernel gives every SA's selector the SA's family, so iproute2 always prints a sel line.
        sb.append(TAB).append("sel ");
        appendSelector(sb, sa.selector(), sa.isIpv4());
        if (s)
        {
            sb.append("uid 0");
        }
        sb.append(NL);

        if (s)
        {
            appendLifetime(sb, lifetime, stats, zone);
        }
        return sb.toString();
    }

    /**
     * @param policy the policy.
     * @return the {@code ip xfrm policy} listing of the policy, ending with a newline.
     */
    public static String formatPolicy(final PolicyConfig policy)
    {
        final TrafficSelector selector = policy.selector();
        final boolean ipv4 = selector.family() == 4;
        final StringBuilder sb = new StringBuilder(160);
        appendSelector(sb, selector, ipv4);
        sb.append(NL);
        sb.append(TAB).append("dir ").append(policy.direction().xfrmName()).append(' ');
        if (policy.action() == PolicyAction.DISCARD)
        {
            sb.append("action block ");
        }
        sb.append("priority ").append(Integer.toUnsignedString(policy.priority())).append(' ').append(NL);
        for (final TemplateConfig template : policy.templates())
        {
            sb.append(TAB).append("tmpl src ").append(addressOrZero(template.source(), ipv4))
                .append(" dst ").append(addressOrZero(template.destination(), ipv4)).append(NL);
            sb.append(TAB).append(TAB).append("proto esp ");
            if (template.spi() != TemplateConfig.ANY_SPI)
            {
                sb.append(String.format("spi 0x%08x ", template.spi()));
            }
            sb.append("reqid ").append(Integer.toUnsignedString(template.reqid())).append(" mode transport").append(NL);
            if (template.optional())
            {
                sb.append(TAB).append(TAB).append("level use ").append(NL);
            }
        }
        return sb.toString();
    }

    /**
     * @param sa       the SA.
     * @param withKeys true to write the keys; false writes {@link #KEYS_HIDDEN} (quoted), which does not parse back.
     * @return the arguments of {@code ip xfrm state add} for the SA, on one line.
     */
    public static String toStateAddArgs(final SaConfig sa, final boolean withKeys)
    {
        final StringBuilder sb = new StringBuilder(256);
        sb.append("src ").append(XfrmAddresses.toText(sa.source()))
            .append(" dst ").append(XfrmAddresses.toText(sa.destination()))
            .append(" proto esp spi ").append(sa.spiHex())
            .append(" reqid ").append(Integer.toUnsignedString(sa.reqid()))
            .append(" mode transport replay-window ").append(sa.replayWindowSize());
        if (sa.icmp())
        {
            sb.append(" flag icmp");
        }
        if (sa.esn())
        {
            sb.append(" flag esn");
        }
        if (sa.isAead())
        {
            sb.append(" aead '").append(sa.encryptionAlgorithm().xfrmName()).append("' ")
                .append(keyArgument(sa.encryptionKey(), withKeys)).append(' ').append(sa.icvLengthBits());
        }
        else
        {
            sb.append(" auth-trunc '").append(sa.integrityAlgorithm().xfrmName()).append("' ")
                .append(keyArgument(sa.integrityKey(), withKeys)).append(' ').append(sa.icvLengthBits());
            sb.append(" enc '").append(sa.encryptionAlgorithm().xfrmName()).append("' ")
                .append(keyArgument(sa.encryptionKey(), withKeys));
        }
        if (!sa.selector().equals(TrafficSelector.any()))
        {
            sb.append(" sel");
            appendSelectorArguments(sb, sa.selector());
        }
        appendLimits(sb, sa.lifetime());
        if (sa.encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP)
        {
            sb.append(" encap espinudp ").append(sa.encapsulationSourcePort()).append(' ')
                .append(sa.encapsulationDestinationPort()).append(' ').append(XfrmAddresses.zeroText(sa.isIpv4()));
        }
        return sb.toString();
    }

    /**
     * @param policy the policy.
     * @return the arguments of {@code ip xfrm policy add} for the policy, on one line.
     */
    public static String toPolicyAddArgs(final PolicyConfig policy)
    {
        final StringBuilder sb = new StringBuilder(160);
        appendSelectorArguments(sb, policy.selector());
        sb.append(" dir ").append(policy.direction().xfrmName())
            .append(" priority ").append(Integer.toUnsignedString(policy.priority()));
        if (policy.index() != 0)
        {
            sb.append(" index ").append(Integer.toUnsignedString(policy.index()));
        }
        sb.append(policy.action() == PolicyAction.DISCARD ? " action block" : " action allow");
        for (final TemplateConfig template : policy.templates())
        {
            sb.append(" tmpl");
            if (template.source() != null)
            {
                sb.append(" src ").append(XfrmAddresses.toText(template.source()));
            }
            if (template.destination() != null)
            {
                sb.append(" dst ").append(XfrmAddresses.toText(template.destination()));
            }
            sb.append(" proto esp");
            if (template.spi() != TemplateConfig.ANY_SPI)
            {
                sb.append(String.format(" spi 0x%08x", template.spi()));
            }
            sb.append(" reqid ").append(Integer.toUnsignedString(template.reqid())).append(" mode transport")
                .append(template.optional() ? " level use" : " level required");
        }
        return sb.toString().trim();
    }

    private static void appendKey(final StringBuilder sb, final byte[] key, final boolean showKeys, final boolean stats)
    {
        if (!showKeys)
        {
            sb.append(KEYS_HIDDEN);
        }
        else if (key.length > 0)
        {
            sb.append("0x").append(XfrmKeys.hex(key));
            if (stats)
            {
                sb.append(" (").append(key.length * 8).append(" bits)");
            }
        }
    }

    private static String keyArgument(final byte[] key, final boolean withKeys)
    {
        if (!withKeys)
        {
            // Quoted so the placeholder stays one word: a parser reading it sees a (wrong) key, not two words.
            return "'" + KEYS_HIDDEN + "'";
        }
        return key.length == 0 ? "\"\"" : "0x" + XfrmKeys.hex(key);
    }

    /** {@code xfrm_selector_print}: every element followed by a blank. */
    private static void appendSelector(final StringBuilder sb, final TrafficSelector selector, final boolean ipv4Default)
    {
        final boolean ipv4 = selector.family() == TrafficSelector.ANY_FAMILY ? ipv4Default : selector.family() == 4;
        sb.append("src ").append(prefixText(selector.sourceAddress(), selector.sourcePrefixLength(), ipv4)).append(' ');
        sb.append("dst ").append(prefixText(selector.destinationAddress(), selector.destinationPrefixLength(), ipv4))
            .append(' ');
        if (selector.protocol() != TrafficSelector.ANY_PROTOCOL)
        {
            sb.append("proto ").append(XfrmProtocols.name(selector.protocol())).append(' ');
        }
        appendPorts(sb, "sport", selector.sourcePortLow(), selector.sourcePortHigh(), " ");
        appendPorts(sb, "dport", selector.destinationPortLow(), selector.destinationPortHigh(), " ");
    }

    private static void appendSelectorArguments(final StringBuilder sb, final TrafficSelector selector)
    {
        final int family = selector.family();
        if (selector.sourceAddress() != null || family != TrafficSelector.ANY_FAMILY)
        {
            sb.append(" src ").append(prefixText(selector.sourceAddress(), selector.sourcePrefixLength(), family == 4));
        }
        if (selector.destinationAddress() != null || family != TrafficSelector.ANY_FAMILY)
        {
            sb.append(" dst ")
                .append(prefixText(selector.destinationAddress(), selector.destinationPrefixLength(), family == 4));
        }
        if (selector.protocol() != TrafficSelector.ANY_PROTOCOL)
        {
            sb.append(" proto ").append(XfrmProtocols.name(selector.protocol()));
        }
        final StringBuilder ports = new StringBuilder();
        appendPorts(ports, "sport", selector.sourcePortLow(), selector.sourcePortHigh(), " ");
        appendPorts(ports, "dport", selector.destinationPortLow(), selector.destinationPortHigh(), " ");
        if (ports.length() > 0)
        {
            sb.append(' ').append(ports.toString().trim());
        }
    }

    private static void appendPorts(
        final StringBuilder sb, final String name, final int low, final int high, final String after)
    {
        if (low == 0 && high == 65535)
        {
            return;
        }
        sb.append(name).append(' ').append(low);
        if (high != low)
        {
            // esp4j extension: iproute2 has no port ranges.
            sb.append('-').append(high);
        }
        sb.append(after);
    }

    private static String prefixText(final InetAddress address, final int prefixLength, final boolean ipv4)
    {
        return address == null ? XfrmAddresses.zeroText(ipv4) + "/0" : XfrmAddresses.toText(address) + "/" + prefixLength;
    }

    private static String addressOrZero(final InetAddress address, final boolean ipv4)
    {
        return address == null ? XfrmAddresses.zeroText(ipv4) : XfrmAddresses.toText(address);
    }

    private static void appendLimits(final StringBuilder sb, final SaLifetimeConfig lifetime)
    {
        appendLimit(sb, "time-soft", seconds(lifetime.softAddExpiresNs()));
        appendLimit(sb, "time-hard", seconds(lifetime.hardAddExpiresNs()));
        appendLimit(sb, "time-use-soft", seconds(lifetime.softUseExpiresNs()));
        appendLimit(sb, "time-use-hard", seconds(lifetime.hardUseExpiresNs()));
        appendLimit(sb, "byte-soft", lifetime.bytesSoftLimit());
        appendLimit(sb, "byte-hard", lifetime.bytesHardLimit());
        appendLimit(sb, "packet-soft", lifetime.packetsSoftLimit());
        appendLimit(sb, "packet-hard", lifetime.packetsHardLimit());
    }

    private static void appendLimit(final StringBuilder sb, final String name, final long value)
    {
        if (value != SaLifetimeConfig.INFINITE)
        {
            sb.append(" limit ").append(name).append(' ').append(value);
        }
    }

    private static long seconds(final long nanos)
    {
        return nanos == SaLifetimeConfig.INFINITE ? SaLifetimeConfig.INFINITE : wholeSecondsUp(nanos);
    }

    /**
     * A time limit in the whole seconds of {@code ip xfrm}, a fraction rounded up: to the kernel 0 means no limit, so
     * a sub-second limit must not become 0 (it becomes 1 s, the shortest the kernel has), and a limit is never
     * printed shorter than it is.
     */
    static long wholeSecondsUp(final long nanos)
    {
        return nanos / 1_000_000_000L + (nanos % 1_000_000_000L > 0 ? 1 : 0);
    }

    /** {@code xfrm_lifetime_print} and {@code xfrm_stats_print}. */
    private static void appendLifetime(
        final StringBuilder sb, final SaLifetimeConfig lifetime, final SaStatsView stats, final ZoneId zone)
    {
        appendLifetimeConfig(sb, lifetime);
        sb.append(TAB).append("lifetime current:").append(NL);
        sb.append(TAB).append("  ").append(stats.bytes()).append("(bytes), ").append(stats.packets())
            .append("(packets)").append(NL);
        sb.append(TAB).append("  add ").append(time(stats.addTimeEpochSec(), zone)).append(' ')
            .append("use ").append(time(stats.useTimeEpochSec(), zone)).append(NL);
        sb.append(TAB).append("stats:").append(NL);
        sb.append(TAB).append("  replay-window ").append(stats.replayWindowDrops())
            .append(" replay ").append(stats.replayDrops())
            .append(" failed ").append(stats.integrityFailures()).append(NL);
    }

    private static void appendLifetimeConfig(final StringBuilder sb, final SaLifetimeConfig lifetime)
    {
        sb.append(TAB).append("lifetime config:").append(NL);
        sb.append(TAB).append("  limit: soft ").append(SaLifetimeConfig.format(lifetime.bytesSoftLimit()))
            .append("(bytes), hard ").append(SaLifetimeConfig.format(lifetime.bytesHardLimit())).append("(bytes)")
            .append(NL);
        sb.append(TAB).append("  limit: soft ").append(SaLifetimeConfig.format(lifetime.packetsSoftLimit()))
            .append("(packets), hard ").append(SaLifetimeConfig.format(lifetime.packetsHardLimit()))
            .append("(packets)").append(NL);
        // The kernel keeps "no time limit" as 0 seconds, and iproute2 prints the number.
        sb.append(TAB).append("  expire add: soft ").append(kernelSeconds(lifetime.softAddExpiresNs()))
            .append("(sec), hard ").append(kernelSeconds(lifetime.hardAddExpiresNs())).append("(sec)").append(NL);
        sb.append(TAB).append("  expire use: soft ").append(kernelSeconds(lifetime.softUseExpiresNs()))
            .append("(sec), hard ").append(kernelSeconds(lifetime.hardUseExpiresNs())).append("(sec)").append(NL);
    }

    private static long kernelSeconds(final long nanos)
    {
        return nanos == SaLifetimeConfig.INFINITE ? 0 : wholeSecondsUp(nanos);
    }

    private static String time(final long epochSeconds, final ZoneId zone)
    {
        return epochSeconds == 0 ? "-" : TIME.format(Instant.ofEpochSecond(epochSeconds).atZone(zone));
    }
}
