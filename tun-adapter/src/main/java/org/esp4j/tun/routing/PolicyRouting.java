package org.esp4j.tun.routing;

import org.esp4j.tun.log.LogLevel;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Policy routing that steers protected traffic into the TUN, the way wg-quick does (control plane only, through
 * {@code ip}):
 * <pre>
 *   ip -6 rule add fwmark MARK lookup main priority MARK_PRIORITY          # the daemon's own sockets: main table
 *   ip -6 rule add to PEER/128 fwmark MARK unreachable priority STEER_PRIORITY  # guard, one per steered prefix
 *   ip -6 rule add to PEER/128 lookup TABLE priority STEER_PRIORITY        # one per steered prefix
 *   ip -6 route add default dev TUN table TABLE [src LOCAL]                # the table leads into the TUN
 *   ip -6 route add blackhole default table TABLE metric 4294967295        # fail closed: survives the TUN
 * </pre>
 * (and the same with {@code -4}). MARK_PRIORITY is lower (checked first) than STEER_PRIORITY, and both are above the
 * {@code local} table's rule 0, so local traffic is never steered and the daemon's marked carrier sockets never loop:
 * if the main table has no route to a peer, the guard rule (same priority, inserted just before the steering rule)
 * answers "unreachable" to marked packets instead of letting them fall through into the TUN.
 * <h2>Fail closed when the daemon dies</h2>
 * The route into the TUN dies with the TUN (kill -9, a crash), but the steering rules stay. So that their lookups
 * never fall through to the main table (where a protected flow would leave in clear), the table also holds a
 * {@code blackhole} default route at the worst metric ({@link #BLACKHOLE_METRIC}), which names no device and so
 * outlives the TUN: while the daemon is down, protected flows are dropped ({@code ip route get} answers
 * "Invalid argument", sockets see {@code EINVAL}).
 * <p>
 * Idempotent and fail closed across a restart: {@link #install} puts the blackhole routes in first, keeps the
 * steering rules of a crashed previous run while it adds its own (an identical rule is adopted, not duplicated),
 * then deletes the stale ones no longer wanted, and replaces the mark rules and the TUN route; so no lookup of a
 * steered prefix falls through to the main table at any point of the restart. {@link #remove()} (a clean stop)
 * removes them all, blackhole routes included. Thread-safe (synchronized).
 */
public final class PolicyRouting
{
    /** Settings: the TUN, the mark of the daemon's sockets, the table and the two rule priorities. */
    public record Settings(String tunName, int mark, int table, int markRulePriority, int steerRulePriority)
    {
        public Settings
        {
            if (markRulePriority >= steerRulePriority)
            {
                throw new IllegalArgumentException("the mark rule priority (" + markRulePriority +
                    ") must be lower than the steering rule priority (" + steerRulePriority + ")");
            }
            if (markRulePriority <= 0 || steerRulePriority >= 32766)
            {
                throw new IllegalArgumentException("rule priorities must be within 1..32765");
            }
            if (table <= 0 || table == 253 || table == 254 || table == 255)
            {
                throw new IllegalArgumentException("table must be positive and not default/main/local: " + table);
            }
        }

        public String markHex()
        {
            return "0x" + Integer.toHexString(mark);
        }
    }

    /** Metric of the blackhole default routes: the worst there is, so the TUN's route always wins while it lives. */
    public static final String BLACKHOLE_METRIC = "4294967295";

    private static final int MAX_STALE_DELETIONS = 10_000;
    private static final int MAX_LOGGED_PREFIXES = 16;
    private static final String[] FAMILIES = { "-4", "-6" };

    private static final java.util.regex.Pattern STEER_TO = java.util.regex.Pattern.compile("\\bto (\\S+)");

    private final IpCommand ip;
    private final Settings settings;
    private final Consumer<String> log;
    private final Set<SteeringPrefix> installed = new LinkedHashSet<>();
    private boolean active;
    /** The steering rules of {@link #change} in process (null: not opened yet, or not available: then {@code ip}). */
    private RuleNetlink rules;
    private boolean rulesUnavailable;

    public PolicyRouting(final IpCommand ip, final Settings settings, final Consumer<String> log)
    {
        this.ip = ip;
        this.settings = settings;
        this.log = log == null ? s -> { } : log;
    }

    public Settings settings()
    {
        return settings;
    }

    /**
     * Remove stale state and install the mark rules, the routes of the table and one steering rule per prefix.
     *
     * @param prefixes     destinations to steer into the TUN.
     * @param localAddress4 preferred IPv4 source for the table's route (null: kernel's choice).
     * @param localAddress6 preferred IPv6 source for the table's route (null: kernel's choice).
     */
    public synchronized void install(
        final Collection<SteeringPrefix> prefixes, final InetAddress localAddress4, final InetAddress localAddress6)
        throws IOException
    {
        installBlackholes();
        removeStale(true);
        active = true;
        for (final String family : FAMILIES)
        {
            ip.check(family, "rule", "add", "fwmark", settings.markHex(), "lookup", "main",
                "priority", Integer.toString(settings.markRulePriority()));
            final InetAddress local = "-4".equals(family) ? localAddress4 : localAddress6;
            final List<String> route = new ArrayList<>(List.of(family, "route", "replace", "default", "dev",
                settings.tunName(), "table", Integer.toString(settings.table())));
            if (local != null)
            {
                route.add("src");
                route.add(local.getHostAddress());
            }
            final IpCommand.Result result = ip.run(route.toArray(new String[0]));
            if (!result.ok() && local != null)
            {
                log.accept("route with src " + local.getHostAddress() + " refused (" + result.error().trim() +
                    "), installing it without src");
                ip.check(family, "route", "replace", "default", "dev", settings.tunName(),
                    "table", Integer.toString(settings.table()));
            }
            else
            {
                result.check();
            }
        }
        update(prefixes);
        removeUnwantedSteering();
    }

    /**
     * Put the blackhole default routes into the table (idempotent): the table then never lets a lookup fall through
     * to the main table, whether or not the TUN's route exists.
     */
    public synchronized void installBlackholes() throws IOException
    {
        for (final String family : FAMILIES)
        {
            ip.check(family, "route", "replace", "blackhole", "default", "table", Integer.toString(settings.table()),
                "metric", BLACKHOLE_METRIC);
        }
    }

    /** Delete the steering rules (ours, e.g. of a crashed run) whose prefix is not installed now. */
    private void removeUnwantedSteering() throws IOException
    {
        for (final String family : FAMILIES)
        {
            for (final String line : ip.run(family, "rule", "show").output().split("\n"))
            {
                final String rule = ourRule(line);
                if (rule == null || !rule.startsWith("priority " + settings.steerRulePriority() + " "))
                {
                    continue;
                }
                final java.util.regex.Matcher to = STEER_TO.matcher(rule);
                if (!to.find() || !installed.contains(SteeringPrefix.parse(to.group(1))))
                {
                    final List<String> args = new ArrayList<>(List.of(family, "rule", "del"));
                    args.addAll(List.of(rule.split("\\s+")));
                    ip.run(args.toArray(new String[0]));
                }
            }
        }
    }

    /** Make the steering rules match {@code prefixes} (adds the missing, removes the others). */
    public synchronized void update(final Collection<SteeringPrefix> prefixes) throws IOException
    {
        final Set<SteeringPrefix> wanted = new LinkedHashSet<>(prefixes);
        final List<SteeringPrefix> unwanted = new ArrayList<>();
        for (final SteeringPrefix prefix : installed)
        {
            if (!wanted.contains(prefix))
            {
                unwanted.add(prefix);
            }
        }
        change(wanted, unwanted);
    }

    /**
     * Steer {@code added} and stop steering {@code removed}, leaving every other prefix as it is: O(changed prefixes)
     * whatever the number installed (one registration at a P-CSCF steering 10,000 UEs).
     * Adds first: a prefix that takes over from one inside it (or the reverse) is never unsteered in between.
     *
     * @param added   prefixes to steer (those already steered are skipped).
     * @param removed prefixes to stop steering (those not steered are skipped).
     */
    public synchronized void change(final Collection<SteeringPrefix> added, final Collection<SteeringPrefix> removed)
        throws IOException
    {
        if (!active)
        {
            throw new IllegalStateException("not installed");
        }
        int changes = 0;
        for (final SteeringPrefix prefix : added)
        {
            if (!installed.contains(prefix))
            {
                final RuleNetlink netlink = rules();
                if (netlink != null)
                {
                    netlink.add(prefix, settings.mark(), settings.steerRulePriority(), 0);
                    netlink.add(prefix, 0, settings.steerRulePriority(), settings.table());
                }
                else
                {
                    addRule(prefix.familyOption(), "rule", "add", "to", prefix.toString(), "fwmark",
                        settings.markHex(), "priority", Integer.toString(settings.steerRulePriority()), "unreachable");
                    addRule(prefix.familyOption(), "rule", "add", "to", prefix.toString(), "lookup",
                        Integer.toString(settings.table()), "priority", Integer.toString(settings.steerRulePriority()));
                }
                installed.add(prefix);
                changes++;
            }
        }
        for (final SteeringPrefix prefix : removed)
        {
            if (installed.contains(prefix))
            {
                final RuleNetlink netlink = rules();
                if (netlink != null)
                {
                    netlink.delete(prefix, 0, settings.steerRulePriority(), settings.table());
                    netlink.delete(prefix, settings.mark(), settings.steerRulePriority(), 0);
                }
                else
                {
                    ip.run(prefix.familyOption(), "rule", "del", "to", prefix.toString(), "lookup",
                        Integer.toString(settings.table()), "priority", Integer.toString(settings.steerRulePriority()));
                    ip.run(prefix.familyOption(), "rule", "del", "to", prefix.toString(), "fwmark",
                        settings.markHex(), "priority", Integer.toString(settings.steerRulePriority()), "unreachable");
                }
                installed.remove(prefix);
                changes++;
            }
        }
        if (changes > 0)
        {
            LogLevel.log(log, LogLevel.INFO, "steering into " + settings.tunName() + ": " + (installed.size() <= MAX_LOGGED_PREFIXES ?
                installed : installed.size() + " prefixes")); // not a line of 10,000 prefixes per registration
        }
    }

    /**
     * @return the rtnetlink socket for the steering rules of one policy change (opened once; the same rules as
     * {@code ip} makes, in ~0.1 ms instead of two {@code ip} children of 3-4 ms each, which a {@code policy add dir
     * out} waited for), or null to run {@code ip}: when {@code -Desp4j.ip} names another program, or the socket
     * cannot be opened.
     */
    private RuleNetlink rules()
    {
        if (rules == null && !rulesUnavailable)
        {
            if (!ip.isDefaultExecutable())
            {
                rulesUnavailable = true;
                return null;
            }
            try
            {
                rules = RuleNetlink.open(ip.netns());
            }
            catch (final IOException | RuntimeException | LinkageError ex)
            {
                rulesUnavailable = true;
                log.accept("steering rules through ip (netlink not available: " + ex.getMessage() + ")");
            }
        }
        return rules;
    }

    /** {@code ip rule add}, adopting an identical rule that is already there (left by a crashed run). */
    private void addRule(final String... args) throws IOException
    {
        final IpCommand.Result result = ip.run(args);
        if (!result.ok() && !result.error().contains("File exists"))
        {
            result.check();
        }
    }

    public synchronized Set<SteeringPrefix> installed()
    {
        return Set.copyOf(installed);
    }

    /** Remove everything installed (and any stale leftovers). Never throws. */
    public synchronized void remove()
    {
        active = false;
        installed.clear();
        if (rules != null)
        {
            rules.close();
            rules = null;
        }
        try
        {
            removeStale();
        }
        catch (final IOException ex)
        {
            log.accept("removing policy routing failed: " + ex.getMessage());
        }
    }

    /**
     * Delete the rules at our priorities that name our table or mark, and flush our table.
     *
     * @return the number of rules deleted.
     */
    public synchronized int removeStale() throws IOException
    {
        return removeStale(false);
    }

    /**
     * @param keepSteering keep the steering rules and the blackhole routes (a restart: they keep protected flows
     *                     out of the main table until the new rules are in).
     */
    private int removeStale(final boolean keepSteering) throws IOException
    {
        int deleted = 0;
        for (final String family : FAMILIES)
        {
            for (final String line : ip.run(family, "rule", "show").output().split("\n"))
            {
                final String rule = ourRule(line);
                if (rule != null && deleted < MAX_STALE_DELETIONS &&
                    !(keepSteering && rule.startsWith("priority " + settings.steerRulePriority() + " ")))
                {
                    final List<String> args = new ArrayList<>(List.of(family, "rule", "del"));
                    args.addAll(List.of(rule.split("\\s+")));
                    if (ip.run(args.toArray(new String[0])).ok())
                    {
                        deleted++;
                    }
                }
            }
            if (keepSteering)
            {
                ip.run(family, "route", "flush", "table", Integer.toString(settings.table()), "type", "unicast");
            }
            else
            {
                ip.run(family, "route", "flush", "table", Integer.toString(settings.table()));
            }
        }
        if (deleted > 0)
        {
            log.accept("removed " + deleted + " policy routing rule(s) at priorities " + settings.markRulePriority() +
                "/" + settings.steerRulePriority());
        }
        return deleted;
    }

    /**
     * @return the selector of a line of {@code ip rule show} when it is one of ours, as arguments for {@code ip rule
     * del} (e.g. {@code priority 4501 to 2001::2 lookup 4500}), else null.
     */
    String ourRule(final String line)
    {
        final int colon = line.indexOf(':');
        if (colon <= 0)
        {
            return null;
        }
        final int priority;
        try
        {
            priority = Integer.parseInt(line.substring(0, colon).trim());
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
        final String body = line.substring(colon + 1).trim().replaceFirst("^from all\\s*", "").trim();
        final String table = Integer.toString(settings.table());
        if (priority == settings.steerRulePriority() && (body.matches(".*\\blookup " + table + "\\b.*") ||
            body.matches(".*\\bfwmark " + settings.markHex() + "(/0xffffffff)?\\s+unreachable\\b.*")))
        {
            return "priority " + priority + " " + body;
        }
        if (priority == settings.markRulePriority() &&
            body.matches("fwmark " + settings.markHex() + "(/0xffffffff)?\\s+lookup main\\b.*"))
        {
            return "priority " + priority + " " + body;
        }
        return null;
    }
}
