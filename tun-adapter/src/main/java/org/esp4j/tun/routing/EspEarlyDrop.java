package org.esp4j.tun.routing;

import org.esp4j.tun.log.LogLevel;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.HashSet;
import java.util.Collections;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The other half of the packet-ring receiver ({@link org.esp4j.tun.carrier.PacketRingReceiver}): once the ring has
 * copied an ESP packet of one of the daemon's inbound SAs, the kernel must not also walk it through IP input, the route
 * lookup and the raw socket. This nftables table drops, at prerouting before defragmentation and conntrack (priority
 * -450), exactly the packets the ring's filter ({@link org.esp4j.tun.carrier.EspRingFilter}) takes and whose SPI is
 * one the ring owns ({@link org.esp4j.tun.carrier.PacketRingReceiver#own}):
 * <pre>
 *   table inet esp4j_esp_TUN {
 *     set spis { typeof esp spi; }
 *     chain prerouting {
 *       type filter hook prerouting priority -450; policy accept;
 *       meta pkttype host iif { IFINDEX, ... } ip protocol esp ip frag-off &amp; 0x3fff == 0 ip length &lt;= MAX
 *           ip daddr { LOCAL4, ... } esp spi &#64;spis drop
 *       meta pkttype host iif { IFINDEX, ... } ip6 nexthdr esp ip6 length &lt;= MAX-40 ip6 daddr { LOCAL6, ... }
 *           esp spi &#64;spis drop
 *     }
 *   }
 *   add element inet esp4j_esp_TUN spis { SPI, ... }
 * </pre>
 * The addresses are the host's own, so ESP the host forwards is never touched, and the interfaces those that carry
 * them ({@link LocalAddresses}). The SPIs are those of the daemon's SAs to those addresses, so ESP of any other SA (the
 * kernel's own XFRM SAs where it has ESP, another daemon's) takes the kernel's path as before: only what this daemon
 * would process leaves the kernel early. The SPIs are a named set, a hash the packet costs one lookup in whatever its
 * size; a change of SPIs adds and deletes only the elements that changed, and a change of addresses rewrites only the
 * chain's two rules, both in one {@code nft -f} transaction. The first install of a run replaces the whole table in one
 * transaction ({@code table; delete table; table {...}}), which also replaces a stale table a crashed run left, as does
 * any install after nft refused an incremental change; with no address or no SPI there is no table.
 * Ordering keeps packets from being lost while the two halves change: the caller widens the ring's filter before
 * {@link #install} and narrows it after (a packet both take is then a duplicate, which the replay window drops and
 * counts; one neither took would be lost). Thread-safe (synchronized).
 */
public final class EspEarlyDrop
{
    static final String SPI_SET = "spis";
    static final String CHAIN = "prerouting";
    /** SPIs per {@code add element} statement: keeps nft's lines short for tens of thousands. */
    private static final int ELEMENTS_PER_STATEMENT = 500;

    private final NftCommand nft;
    private final String table;
    private final int maxIpLength;
    private final Consumer<String> log;
    private LocalAddresses installed = LocalAddresses.NONE;
    /** Changed in place by {@link #change}; handed out read-only. */
    private Set<Long> installedSpis = new HashSet<>();
    private boolean removed;
    /** The table on the host is not known to be {@link #installed}: the next install replaces it whole. */
    private boolean stale = true;

    /**
     * @param nft         runs {@code nft}.
     * @param tunName     the daemon's TUN (names the table).
     * @param maxIpLength longest packet the ring takes (its filter tests the same).
     * @param log         where changes are reported.
     */
    public EspEarlyDrop(final NftCommand nft, final String tunName, final int maxIpLength, final Consumer<String> log)
    {
        if (!tunName.matches("[A-Za-z0-9_.-]{1,15}"))
        {
            throw new IllegalArgumentException("TUN name not usable in an nftables table: " + tunName);
        }
        this.nft = nft;
        this.table = tableName(tunName);
        this.maxIpLength = maxIpLength;
        this.log = log == null ? s -> { } : log;
    }

    /** @return the table of a TUN: {@code esp4j_esp_} and the name with anything but letters and digits as _. */
    public static String tableName(final String tunName)
    {
        return "esp4j_esp_" + tunName.replaceAll("[^A-Za-z0-9]", "_");
    }

    public String table()
    {
        return table;
    }

    /** @return the interfaces and addresses whose ESP is dropped now. */
    public synchronized LocalAddresses installed()
    {
        return installed;
    }

    /** @return the SPIs whose ESP is dropped now (unsigned 32-bit values). */
    public synchronized Set<Long> installedSpis()
    {
        return Collections.unmodifiableSet(installedSpis);
    }

    /**
     * Drop early the ESP with these SPIs to these addresses on these interfaces (and only that). Does nothing when
     * they are the ones installed.
     *
     * @param spis SPIs of the daemon's inbound SAs, unsigned 32-bit values.
     * @throws IOException when {@code nft} refuses or cannot run.
     */
    public synchronized void install(final LocalAddresses wanted, final Set<Long> spis) throws IOException
    {
        if (removed || (!stale && wanted.equals(installed) && spis.equals(installedSpis)))
        {
            return;
        }
        final boolean tableWanted = !wanted.isEmpty() && !spis.isEmpty();
        final boolean tablePresent = !stale && !installed.isEmpty() && !installedSpis.isEmpty();
        try
        {
            if (tableWanted && tablePresent)
            {
                try
                {
                    nft.check(updateScript(table, maxIpLength, installed, installedSpis, wanted, spis));
                }
                catch (final IOException ex)
                {
                    log.accept("ESP early drop " + table + ": incremental change refused, replacing the table: " +
                        ex.getMessage());
                    nft.check(script(table, maxIpLength, wanted, spis));
                }
            }
            else
            {
                nft.check(script(table, maxIpLength, wanted, spis));
            }
        }
        catch (final IOException ex)
        {
            stale = true; // the table is as it was (one transaction), but replace it whole next time
            throw ex;
        }
        final boolean logged = stale || !wanted.equals(installed) || installedSpis.isEmpty() || spis.isEmpty();
        stale = false;
        installed = wanted;
        installedSpis = new HashSet<>(spis);
        if (logged)
        {
            LogLevel.log(log, LogLevel.INFO, "ESP early drop " + table + ": " + wanted.addresses().size() + " local address(es) on " +
                wanted.interfaces().size() + " interface(s), " + spis.size() + " SPI(s)" +
                (tableWanted ? "" : ", no table"));
        }
    }

    /**
     * Drop early also the ESP with {@code addedSpis} and no longer that with {@code removedSpis}, to the installed
     * addresses: one transaction of the changed elements, O(changed SPIs) whatever the number installed (a
     * registration at a P-CSCF holding 40,000 SAs). A whole {@link #install} instead when the table is not known to be
     * there, or when it comes to hold its first SPI or loses its last.
     *
     * @param addedSpis   SPIs to drop too (unsigned 32-bit values; those dropped already are skipped).
     * @param removedSpis SPIs to drop no more (those not dropped are skipped).
     * @throws IOException when {@code nft} refuses or cannot run (the next install then replaces the table).
     */
    public synchronized void change(final Collection<Long> addedSpis, final Collection<Long> removedSpis)
        throws IOException
    {
        if (removed)
        {
            return;
        }
        final List<Long> toAdd = new ArrayList<>();
        final List<Long> toRemove = new ArrayList<>();
        for (final Long spi : addedSpis)
        {
            if (!installedSpis.contains(spi))
            {
                toAdd.add(spi);
            }
        }
        for (final Long spi : removedSpis)
        {
            if (installedSpis.contains(spi) && !addedSpis.contains(spi))
            {
                toRemove.add(spi);
            }
        }
        if (toAdd.isEmpty() && toRemove.isEmpty())
        {
            return;
        }
        if (stale || installed.isEmpty() || installedSpis.isEmpty() ||
            installedSpis.size() + toAdd.size() - toRemove.size() == 0)
        {
            final Set<Long> wanted = new HashSet<>(installedSpis);
            wanted.removeAll(toRemove);
            wanted.addAll(toAdd);
            install(installed, wanted);
            return;
        }
        final StringBuilder script = new StringBuilder();
        spiElements(script, "delete", table, toRemove);
        spiElements(script, "add", table, toAdd);
        try
        {
            nft.check(script.toString());
        }
        catch (final IOException ex)
        {
            stale = true;
            throw ex;
        }
        installedSpis.removeAll(toRemove);
        installedSpis.addAll(toAdd);
    }

    /** Delete the table (also one left by an earlier run); later installs do nothing. Never throws. */
    public synchronized void remove()
    {
        removed = true;
        installed = LocalAddresses.NONE;
        installedSpis = new HashSet<>();
        try
        {
            nft.run("table inet " + table + "\ndelete table inet " + table + "\n");
        }
        catch (final IOException ex)
        {
            log.accept("removing nftables table " + table + " failed: " + ex.getMessage());
        }
    }

    /** @return one transaction that replaces the table (or a stale one) with the wanted one, or deletes it. */
    static String script(final String table, final int maxIpLength, final LocalAddresses local, final Set<Long> spis)
    {
        final StringBuilder script = new StringBuilder()
            .append("table inet ").append(table).append('\n')
            .append("delete table inet ").append(table).append('\n');
        if (local.isEmpty() || spis.isEmpty())
        {
            return script.toString(); // nothing to drop: no hook on the packet path at all
        }
        script.append("table inet ").append(table).append(" {\n")
            .append("  set ").append(SPI_SET).append(" { typeof esp spi; }\n")
            .append("  chain ").append(CHAIN).append(" {\n")
            .append("    type filter hook prerouting priority -450; policy accept;\n");
        for (final String rule : rules(maxIpLength, local))
        {
            script.append("    ").append(rule).append('\n');
        }
        script.append("  }\n}\n");
        spiElements(script, "add", table, spis);
        return script.toString();
    }

    /** @return one transaction from the installed table to the wanted one: changed SPIs, and rules if needed. */
    static String updateScript(
        final String table,
        final int maxIpLength,
        final LocalAddresses fromLocal,
        final Set<Long> fromSpis,
        final LocalAddresses toLocal,
        final Set<Long> toSpis)
    {
        final StringBuilder script = new StringBuilder();
        spiElements(script, "delete", table, fromSpis.stream().filter(spi -> !toSpis.contains(spi)).toList());
        spiElements(script, "add", table, toSpis.stream().filter(spi -> !fromSpis.contains(spi)).toList());
        if (!fromLocal.equals(toLocal))
        {
            script.append("flush chain inet ").append(table).append(' ').append(CHAIN).append('\n');
            for (final String rule : rules(maxIpLength, toLocal))
            {
                script.append("add rule inet ").append(table).append(' ').append(CHAIN).append(' ').append(rule)
                    .append('\n');
            }
        }
        return script.toString();
    }

    private static List<String> rules(final int maxIpLength, final LocalAddresses local)
    {
        final List<String> v4 = new ArrayList<>();
        final List<String> v6 = new ArrayList<>();
        for (final InetAddress address : local.addresses())
        {
            (address instanceof Inet4Address ? v4 : v6).add(address.getHostAddress().replaceFirst("%.*$", ""));
        }
        final String interfaces = "meta pkttype host iif { " +
            local.interfaces().stream().map(String::valueOf).collect(Collectors.joining(", ")) + " } ";
        final String spiSet = " esp spi @" + SPI_SET + " drop";
        final List<String> rules = new ArrayList<>();
        if (!v4.isEmpty())
        {
            rules.add(interfaces + "ip protocol esp ip frag-off & 0x3fff == 0 ip length <= " + maxIpLength +
                " ip daddr { " + String.join(", ", v4) + " }" + spiSet);
        }
        if (!v6.isEmpty())
        {
            rules.add(interfaces + "ip6 nexthdr esp ip6 length <= " + (maxIpLength - 40) + " ip6 daddr { " +
                String.join(", ", v6) + " }" + spiSet);
        }
        return rules;
    }

    /** SPIs as unsigned decimal values, ascending, at most {@link #ELEMENTS_PER_STATEMENT} per statement. */
    private static void spiElements(
        final StringBuilder script, final String command, final String table, final Collection<Long> spis)
    {
        final List<Long> sorted = spis.stream().sorted().toList();
        for (int from = 0; from < sorted.size(); from += ELEMENTS_PER_STATEMENT)
        {
            script.append(command).append(" element inet ").append(table).append(' ').append(SPI_SET).append(" { ")
                .append(sorted.subList(from, Math.min(sorted.size(), from + ELEMENTS_PER_STATEMENT)).stream()
                    .map(String::valueOf).collect(Collectors.joining(", ")))
                .append(" }\n");
        }
    }
}
