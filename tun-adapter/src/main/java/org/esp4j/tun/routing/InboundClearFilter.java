package org.esp4j.tun.routing;

import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.tun.log.LogLevel;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.Objects;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

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
 *     set accept4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service; }
 *     set mismatch4 { ... }  set block4 { ... }              # the same type
 *     set accept6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service; }
 *     set mismatch6 { ... }  set block6 { ... }
 *     chain input {
 *       type filter hook input priority filter; policy accept;
 *       meta l4proto esp accept               # the raw carrier: the daemon reads it
 *       udp dport 4500 accept                 # the UDP carrier (RFC 3948), if open
 *       iifname "TUN" accept                  # plaintext the daemon checked and wrote into the TUN
 *       iif "lo" accept                       # like the kernel, whose lo has disable_policy set
 *       icmpv6 type { nd-router-solicit, ... } accept     # neighbour discovery keeps working
 *       ip saddr . ip daddr . meta l4proto . th sport . th dport @accept4 accept
 *       ip saddr . ip daddr . meta l4proto . th sport . th dport @mismatch4 counter name "tmpl_mismatch" drop
 *       ip saddr . ip daddr . meta l4proto . th sport . th dport @block4 counter name "pol_block" drop
 *       ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @accept6 accept
 *       ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @mismatch6 counter name "tmpl_mismatch" drop
 *       ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @block6 counter name "pol_block" drop
 *       ip6 saddr 2001:db8::/64 meta l4proto 17 th dport 5060 accept    # the other policies, in SPD lookup order
 *     }
 *   }
 *   mismatch6 element: 2001:0:0:1:0:0:0:2 . 2001:0:0:1:d1ae:bb37:d9c9:81d0 . 17 . 5064 . 5066
 * </pre>
 * <b>Exact policies are set elements.</b> A selector with single addresses, one protocol with ports and single ports
 * (what the SIP bridge installs for every SA) matches exactly one 5-tuple, so it is one element of the set of its
 * verdict (accept, template mismatch, policy block): a packet costs at most three hash lookups per family whatever the
 * number of UEs, and a registration adds one element per policy. The three sets of a family are disjoint and matched
 * by adjacent rules, so their order among themselves does not change a verdict. <b>No element carries a verdict</b>
 * (an earlier layout used verdict maps whose drop elements said {@code goto drop_tmpl_mismatch}): a transaction that
 * adds a {@code goto}/{@code jump} element makes nf_tables check the whole table for loops, walking every element, so
 * a registration cost grew with the number of UEs; adding to a plain set costs the same at any size.
 * <b>The others are ordered rules</b> (prefixes, port ranges, wildcards; an optional template or a bypass gives
 * {@code accept}), written after the set lookups in SPD lookup order (RFC 4301 §4.4.1: priority, then age).
 * <b>Lookup order is kept</b> because the verdict stored for an exact policy's 5-tuple is the one the SPD gives that
 * tuple: the first policy in lookup order that matches it. That is the exact policy itself, unless an earlier
 * wildcard policy also covers the tuple (a bypass of better priority), whose verdict the element then takes (it goes
 * in that verdict's set). A packet whose 5-tuple is in a set so gets the SPD's answer; one that is in no set matches
 * no exact policy at all,
 * and the ordered rules are the SPD's remaining policies in its order. Policies nftables cannot express (ICMP
 * type/code selectors) get no rule, as before: the filter errs on letting through. Without any drop verdict there is
 * no table at all, so a daemon with nothing to enforce adds no netfilter hook to the packet path.
 * <p>
 * <b>Changes are incremental.</b> {@link #sync} compares the wanted elements and rules with those installed and sends
 * only the difference in one {@code nft -f} transaction ({@code delete element}, {@code add element} (an element whose
 * verdict changes leaves one set and joins another in the same transaction), and only if the
 * ordered rules changed {@code flush chain} with the chain's rules again), so policies that arrive together are one
 * batch and one registration costs O(1) nftables work. The first sync of a run replaces the whole table
 * ({@code table; delete table; table {...}}, one transaction), which also replaces, atomically, a stale table a crashed
 * run left: the host never goes without the drops it had. When an incremental change is refused (someone changed the
 * table behind the daemon), the whole table is replaced. The drops are read from the two named counters with one
 * netlink request each ({@link NftNamedCounter}), in time independent of the number of elements; {@link #pollDrops()}
 * returns what is new since the last call, so the daemon can add them to its own counters. Thread-safe
 * (synchronized).
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

    /** Reads a named counter of an {@code inet} table: its packets, or {@link NftNamedCounter#MISSING}. */
    @FunctionalInterface
    interface CounterReader
    {
        long packets(String table, String name) throws IOException;
    }

    /**
     * The table's wanted or installed content: the input chain's rules and the exact elements of each family, as
     * 5-tuple key to the name of its verdict's set without the family digit ({@link #ACCEPT}, {@link #MISMATCH},
     * {@link #BLOCK}).
     */
    record Content(String rules, Map<String, String> exact4, Map<String, String> exact6, boolean drops)
    {
        int elements()
        {
            return exact4.size() + exact6.size();
        }
    }

    static final String TEMPLATE_MISMATCH_COUNTER = "tmpl_mismatch";
    static final String POLICY_BLOCK_COUNTER = "pol_block";
    /** The verdict sets' names without the family digit ({@code accept6}, {@code mismatch6}, {@code block6}). */
    static final String ACCEPT = "accept";
    static final String MISMATCH = "mismatch";
    static final String BLOCK = "block";
    private static final String[] VERDICTS = { ACCEPT, MISMATCH, BLOCK };
    private static final String KEY4 = "ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service";
    private static final String KEY6 = "ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service";
    private static final String TUPLE4 = "ip saddr . ip daddr . meta l4proto . th sport . th dport";
    private static final String TUPLE6 = "ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport";
    static final String INPUT_CHAIN = "input";

    /** Elements per {@code add element} statement: keeps nft's lines short for a whole table of 40,000. */
    private static final int ELEMENTS_PER_STATEMENT = 500;
    private static final String ND_TYPES =
        "{ nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect }";

    private final NftCommand nft;
    private final CounterReader counters;
    private final String tunName;
    private final String table;
    private final int[] carrierUdpPorts;
    private final Consumer<String> log;
    /** Map keys of the exact policies synced last, by identity: a policy's key is formatted once. */
    private Map<SecurityPolicy, String> keys = new IdentityHashMap<>();
    private List<SecurityPolicy> synced = List.of();
    private Content installed;
    private boolean tablePresent;
    /** Of the last {@link #content}: its wildcard in-policies in order, its policies per set key, its drop elements. */
    private List<SecurityPolicy> contentWildcards = List.of();
    private Map<String, Integer> contentKeyUses = new HashMap<>();
    private int contentExactDrops;
    private boolean contentRuleDrops;
    /** The same for {@link #installed}: what {@link #change} works from. */
    private List<SecurityPolicy> installedWildcards = List.of();
    private Map<String, Integer> installedKeyUses = new HashMap<>();
    private int installedExactDrops;
    private boolean installedRuleDrops;
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
        this(nft, new NftNamedCounter()::packets, tunName, carrierUdpPorts, log);
    }

    InboundClearFilter(
        final NftCommand nft,
        final CounterReader counters,
        final String tunName,
        final int[] carrierUdpPorts,
        final Consumer<String> log)
    {
        if (!tunName.matches("[A-Za-z0-9_.-]{1,15}"))
        {
            throw new IllegalArgumentException("TUN name not usable in an nftables rule: " + tunName);
        }
        this.nft = nft;
        this.counters = counters;
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
     * Make the table match the inbound policies, changing only what differs from what is installed. Does nothing when
     * the policies are the same objects as at the last sync, or give the same elements and rules.
     *
     * @param policies the SPD, any direction (only {@code dir in} is used), in lookup order.
     * @return drops counted by a table being replaced or deleted, since the last {@link #pollDrops()} (an incremental
     * change keeps the counters: its drops come with the next poll).
     * @throws IOException when {@code nft} refuses the table or cannot run.
     */
    public synchronized Drops sync(final List<SecurityPolicy> policies) throws IOException
    {
        if (removed || sameObjects(policies, synced))
        {
            return Drops.NONE;
        }
        final Content wanted = content(policies);
        if (wanted.equals(installed))
        {
            synced = List.copyOf(policies);
            return Drops.NONE;
        }
        final Drops drops;
        try
        {
            drops = apply(wanted);
        }
        catch (final IOException ex)
        {
            installed = null; // unknown now: the next sync replaces the whole table
            synced = List.of();
            throw ex;
        }
        final boolean logged = installed == null || installed.drops() != wanted.drops() ||
            !installed.rules().equals(wanted.rules());
        installed = wanted;
        tablePresent = wanted.drops();
        synced = List.copyOf(policies);
        installedWildcards = contentWildcards;
        installedKeyUses = contentKeyUses;
        installedExactDrops = contentExactDrops;
        installedRuleDrops = contentRuleDrops;
        if (logged)
        {
            LogLevel.log(log, LogLevel.INFO, "inbound filter " + table + ": " + (wanted.drops() ? wanted.elements() +
                " exact selector element(s), " + (wanted.rules().split("\n").length - headRules()) +
                " ordered rule(s)" : "no drop verdict, no table"));
        }
        return drops;
    }

    /**
     * Apply these SPD changes, in the order made, element by element: O(changed policies) whatever the number
     * installed (a registration at a P-CSCF holding 40,000 in-policies adds four set elements). Possible only while
     * the table is installed and known, and only for policies with exact selectors (set elements) whose key no other
     * policy shares; a changed wildcard policy (the ordered rules), the first or the last drop verdict (the table comes
     * or goes), or anything else returns false having done nothing, and the caller {@link #sync}s the whole SPD.
     *
     * @param policies the policies added or deleted, in the order the SPD made the changes (any direction).
     * @param added    for each, true if it was added, false if deleted.
     * @return true if the table now matches the SPD, false if the caller must {@link #sync} instead.
     * @throws IOException when {@code nft} refuses or cannot run (the next sync then replaces the table).
     */
    public synchronized boolean change(final List<SecurityPolicy> policies, final List<Boolean> added)
        throws IOException
    {
        if (removed)
        {
            return true;
        }
        if (installed == null || !tablePresent || !installed.drops())
        {
            return false;
        }
        final Map<String, SecurityPolicy> last = new LinkedHashMap<>(); // key -> the policy of its last change
        final Map<String, Boolean> present = new HashMap<>();
        final Map<String, Integer> uses = new HashMap<>();
        for (int i = 0; i < policies.size(); i++)
        {
            final SecurityPolicy policy = policies.get(i);
            if (policy.direction() != PolicyDirection.IN)
            {
                continue;
            }
            final String key = exactKey(policy);
            if (key == null)
            {
                if (match(policy.selector()) != null)
                {
                    return false; // a rule changes
                }
                continue;
            }
            final int before = uses.containsKey(key) ? uses.get(key) : installedKeyUses.getOrDefault(key, 0);
            final int after = before + (added.get(i) ? 1 : -1);
            if (after < 0 || after > 1)
            {
                return false; // two policies behind one key: which one wins is the whole computation's to say
            }
            uses.put(key, after);
            last.put(key, policy);
            present.put(key, after == 1);
        }
        final Map<String, String> delete4 = new LinkedHashMap<>();
        final Map<String, String> delete6 = new LinkedHashMap<>();
        final Map<String, String> add4 = new LinkedHashMap<>();
        final Map<String, String> add6 = new LinkedHashMap<>();
        int exactDrops = installedExactDrops;
        for (final Map.Entry<String, SecurityPolicy> entry : last.entrySet())
        {
            final String key = entry.getKey();
            final boolean four = entry.getValue().selector().sourceAddress() instanceof Inet4Address;
            final String was = (four ? installed.exact4() : installed.exact6()).get(key);
            final String now = present.get(key) ? verdict(entry.getValue()) : null;
            if (Objects.equals(was, now))
            {
                continue;
            }
            if (was != null)
            {
                (four ? delete4 : delete6).put(key, was);
                exactDrops -= was.equals(ACCEPT) ? 0 : 1;
            }
            if (now != null)
            {
                (four ? add4 : add6).put(key, now);
                exactDrops += now.equals(ACCEPT) ? 0 : 1;
            }
        }
        if (exactDrops == 0 && !installedRuleDrops)
        {
            return false; // no drop verdict left: the table goes
        }
        final StringBuilder script = new StringBuilder();
        elements(script, "delete", '4', delete4);
        elements(script, "delete", '6', delete6);
        elements(script, "add", '4', add4);
        elements(script, "add", '6', add6);
        if (script.length() > 0)
        {
            try
            {
                nft.check(script.toString());
            }
            catch (final IOException ex)
            {
                installed = null; // unknown now: the next sync replaces the whole table
                synced = List.of();
                throw ex;
            }
        }
        delete4.keySet().forEach(installed.exact4()::remove);
        delete6.keySet().forEach(installed.exact6()::remove);
        installed.exact4().putAll(add4);
        installed.exact6().putAll(add6);
        uses.forEach((key, count) ->
        {
            if (count == 0)
            {
                installedKeyUses.remove(key);
            }
            else
            {
                installedKeyUses.put(key, count);
            }
        });
        for (int i = 0; i < policies.size(); i++)
        {
            if (!added.get(i))
            {
                keys.remove(policies.get(i));
            }
        }
        installedExactDrops = exactDrops;
        synced = List.of(); // the next sync compares contents (and finds them equal)
        return true;
    }

    /** @return the verdict set of an exact in-policy: that of the first installed wildcard covering it, else its own. */
    private String verdict(final SecurityPolicy policy)
    {
        final TrafficSelector selector = policy.selector();
        SecurityPolicy first = policy;
        for (final SecurityPolicy earlier : installedWildcards)
        {
            if (SecurityPolicyDatabase.compareLookupOrder(earlier, policy) > 0)
            {
                break; // the rest come after the policy in lookup order
            }
            if (earlier.selector().matches(selector.sourceHigh(), selector.sourceLow(), selector.destinationHigh(),
                selector.destinationLow(), selector.protocol(), selector.sourcePortLow(), selector.destinationPortLow()))
            {
                first = earlier;
                break;
            }
        }
        return verdictSet(first);
    }

    /** @return the drops of a table replaced or deleted (its counters go with it). */
    private Drops apply(final Content wanted) throws IOException
    {
        if (!wanted.drops())
        {
            // nothing to enforce: no table, so the input hook costs nothing per packet
            final Drops drops = tablePresent ? pollDropsOrNone() : Drops.NONE;
            nft.check(deleteScript());
            return drops;
        }
        if (tablePresent && installed != null)
        {
            try
            {
                nft.check(updateScript(installed, wanted));
                return Drops.NONE;
            }
            catch (final IOException ex)
            {
                log.accept("inbound filter " + table + ": incremental change refused, replacing the table: " +
                    ex.getMessage());
            }
        }
        final Drops drops = tablePresent ? pollDropsOrNone() : Drops.NONE;
        nft.check(replaceScript(wanted));
        seenTemplateMismatch = 0;
        seenPolicyBlock = 0;
        return drops;
    }

    /** @return packets dropped since the last call (nothing when no table is installed). */
    public synchronized Drops pollDrops() throws IOException
    {
        if (!tablePresent)
        {
            return Drops.NONE;
        }
        final long templateMismatch = counters.packets(table, TEMPLATE_MISMATCH_COUNTER);
        final long policyBlock = counters.packets(table, POLICY_BLOCK_COUNTER);
        if (templateMismatch == NftNamedCounter.MISSING || policyBlock == NftNamedCounter.MISSING)
        {
            forget(); // deleted behind our back: the next sync installs it again
            throw new IOException("nftables table inet " + table + " or its counters are gone");
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
        forget();
        try
        {
            nft.run(deleteScript());
        }
        catch (final IOException ex)
        {
            log.accept("removing nftables table " + table + " failed: " + ex.getMessage());
        }
    }

    private Drops pollDropsOrNone()
    {
        try
        {
            return pollDrops();
        }
        catch (final IOException ex)
        {
            return Drops.NONE; // the table is gone, and with it what it counted
        }
    }

    private void forget()
    {
        installed = null;
        tablePresent = false;
        synced = List.of();
    }

    /** "table" first creates the table if missing, so the delete cannot fail on a clean host. */
    private String deleteScript()
    {
        return "table inet " + table + "\ndelete table inet " + table + "\n";
    }

    /** @return one transaction that replaces the table (or one left by a crashed run) with this content. */
    String replaceScript(final Content content)
    {
        final StringBuilder script = new StringBuilder(deleteScript())
            .append("table inet ").append(table).append(" {\n")
            .append("  counter ").append(TEMPLATE_MISMATCH_COUNTER).append(" { }\n")
            .append("  counter ").append(POLICY_BLOCK_COUNTER).append(" { }\n");
        for (final char family : new char[] { '4', '6' })
        {
            for (final String verdict : VERDICTS)
            {
                script.append("  set ").append(verdict).append(family).append(" { type ")
                    .append(family == '4' ? KEY4 : KEY6).append("; }\n");
            }
        }
        script.append("  chain ").append(INPUT_CHAIN).append(" {\n")
            .append("    type filter hook input priority filter; policy accept;\n")
            .append(content.rules())
            .append("  }\n")
            .append("}\n");
        elements(script, "add", '4', content.exact4());
        elements(script, "add", '6', content.exact6());
        return script.toString();
    }

    /** @return one transaction that turns the installed content into the wanted one: the difference only. */
    String updateScript(final Content from, final Content to)
    {
        final StringBuilder script = new StringBuilder();
        elements(script, "delete", '4', changed(from.exact4(), to.exact4()));
        elements(script, "delete", '6', changed(from.exact6(), to.exact6()));
        elements(script, "add", '4', changed(to.exact4(), from.exact4()));
        elements(script, "add", '6', changed(to.exact6(), from.exact6()));
        if (!from.rules().equals(to.rules()))
        {
            script.append("flush chain inet ").append(table).append(' ').append(INPUT_CHAIN).append('\n');
            for (final String rule : to.rules().split("\n"))
            {
                script.append("add rule inet ").append(table).append(' ').append(INPUT_CHAIN).append(' ')
                    .append(rule.trim()).append('\n');
            }
        }
        return script.toString();
    }

    /** @return the elements of {@code these} that {@code others} lacks or maps to another verdict. */
    private static Map<String, String> changed(final Map<String, String> these, final Map<String, String> others)
    {
        final Map<String, String> changed = new LinkedHashMap<>();
        these.forEach((key, verdict) ->
        {
            if (!verdict.equals(others.get(key)))
            {
                changed.put(key, verdict);
            }
        });
        return changed;
    }

    /** Add or delete these elements (key to verdict set) of one family, each in the set of its verdict. */
    private void elements(
        final StringBuilder script, final String command, final char family, final Map<String, String> elements)
    {
        for (final String verdict : VERDICTS)
        {
            int inStatement = 0;
            for (final Map.Entry<String, String> element : elements.entrySet())
            {
                if (!verdict.equals(element.getValue()))
                {
                    continue;
                }
                script.append(inStatement == 0 ?
                    command + " element inet " + table + " " + verdict + family + " { " : ", ")
                    .append(element.getKey());
                if (++inStatement == ELEMENTS_PER_STATEMENT)
                {
                    script.append(" }\n");
                    inStatement = 0;
                }
            }
            if (inStatement != 0)
            {
                script.append(" }\n");
            }
        }
    }

    /** @return the chain's rules for these policies, one per line. */
    String rules(final List<SecurityPolicy> policies)
    {
        return content(policies).rules();
    }

    /** @return what the table should hold for these policies: set elements for exact ones, ordered rules for others. */
    Content content(final List<SecurityPolicy> policies)
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
        for (final char family : new char[] { '4', '6' })
        {
            for (final String verdict : VERDICTS)
            {
                rule(rules, (family == '4' ? TUPLE4 : TUPLE6) + " @" + verdict + family + " " + (verdict.equals(ACCEPT) ?
                    ACCEPT : "counter name \"" + counterOf(verdict) + "\" drop"));
            }
        }
        final Map<String, String> exact4 = new LinkedHashMap<>();
        final Map<String, String> exact6 = new LinkedHashMap<>();
        final List<SecurityPolicy> ordered = new ArrayList<>(); // the expressed wildcard policies so far
        final Map<SecurityPolicy, String> newKeys = new IdentityHashMap<>();
        final Map<String, Integer> keyUses = new HashMap<>();
        int exactDrops = 0;
        boolean ruleDrops = false;
        boolean drops = false;
        for (final SecurityPolicy policy : policies)
        {
            if (policy.direction() != PolicyDirection.IN)
            {
                continue;
            }
            final TrafficSelector selector = policy.selector();
            final String key = exactKey(policy);
            if (key != null)
            {
                newKeys.put(policy, key);
                keyUses.merge(key, 1, Integer::sum);
                // the SPD's verdict for this one 5-tuple: an earlier wildcard policy covering it wins
                SecurityPolicy first = policy;
                for (final SecurityPolicy earlier : ordered)
                {
                    if (earlier.selector().matches(selector.sourceHigh(), selector.sourceLow(),
                        selector.destinationHigh(), selector.destinationLow(), selector.protocol(),
                        selector.sourcePortLow(), selector.destinationPortLow()))
                    {
                        first = earlier;
                        break;
                    }
                }
                final String verdict = verdictSet(first);
                if ((selector.sourceAddress() instanceof Inet4Address ? exact4 : exact6)
                    .putIfAbsent(key, verdict) == null && !verdict.equals(ACCEPT))
                {
                    exactDrops++;
                }
                drops |= !verdict.equals(ACCEPT);
                continue;
            }
            final String match = match(selector);
            if (match == null)
            {
                continue;
            }
            ordered.add(policy);
            final String counter = dropCounter(policy);
            rule(rules, match + (counter == null ? ACCEPT : "counter name \"" + counter + "\" drop"));
            drops |= counter != null;
            ruleDrops |= counter != null;
        }
        keys = newKeys;
        contentWildcards = ordered;
        contentKeyUses = keyUses;
        contentExactDrops = exactDrops;
        contentRuleDrops = ruleDrops;
        return new Content(rules.toString(), exact4, exact6, drops);
    }

    /** @return the set key of an exact selector ({@code saddr . daddr . protocol . sport . dport}), or null. */
    private String exactKey(final SecurityPolicy policy)
    {
        final String known = keys.get(policy);
        if (known != null)
        {
            return known;
        }
        final TrafficSelector selector = policy.selector();
        final InetAddress source = selector.sourceAddress();
        final InetAddress destination = selector.destinationAddress();
        if (!selector.isExact() || !hasPorts(selector.protocol()) || source == null || destination == null ||
            familyOf(source) != familyOf(destination) ||
            (selector.family() != TrafficSelector.ANY_FAMILY && selector.family() != familyOf(source)))
        {
            return null;
        }
        return source.getHostAddress() + " . " + destination.getHostAddress() + " . " + selector.protocol() + " . " +
            selector.sourcePortLow() + " . " + selector.destinationPortLow();
    }

    private int headRules()
    {
        return 4 + 2 * VERDICTS.length + carrierUdpPorts.length; // the accepts and the set lookups
    }

    private static boolean sameObjects(final List<SecurityPolicy> a, final List<SecurityPolicy> b)
    {
        if (a.size() != b.size() || a.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < a.size(); i++)
        {
            if (a.get(i) != b.get(i))
            {
                return false;
            }
        }
        return true;
    }

    /** @return the set an exact policy with this verdict goes in: {@link #ACCEPT}, {@link #MISMATCH}, {@link #BLOCK}. */
    private static String verdictSet(final SecurityPolicy policy)
    {
        final String counter = dropCounter(policy);
        return counter == null ? ACCEPT : counter.equals(TEMPLATE_MISMATCH_COUNTER) ? MISMATCH : BLOCK;
    }

    private static String counterOf(final String verdictSet)
    {
        return verdictSet.equals(MISMATCH) ? TEMPLATE_MISMATCH_COUNTER : POLICY_BLOCK_COUNTER;
    }

    /** @return the counter of a policy that drops clear packets, or null for one that lets them through. */
    private static String dropCounter(final SecurityPolicy policy)
    {
        if (policy.action() == PolicyAction.DISCARD)
        {
            return POLICY_BLOCK_COUNTER;
        }
        if (policy.action() == PolicyAction.PROTECT && !policy.template().optional())
        {
            return TEMPLATE_MISMATCH_COUNTER;
        }
        return null;
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
        return protocol == IpProtocol.TCP || protocol == IpProtocol.UDP ||
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
