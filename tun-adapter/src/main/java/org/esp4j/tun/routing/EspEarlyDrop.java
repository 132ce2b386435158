package org.esp4j.tun.routing;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
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
 *     chain prerouting {
 *       type filter hook prerouting priority -450; policy accept;
 *       meta pkttype host iif { IFINDEX, ... } ip protocol esp ip frag-off &amp; 0x3fff == 0 ip length &lt;= MAX
 *           ip daddr { LOCAL4, ... } esp spi { SPI, ... } drop
 *       meta pkttype host iif { IFINDEX, ... } ip6 nexthdr esp ip6 length &lt;= MAX-40 ip6 daddr { LOCAL6, ... }
 *           esp spi { SPI, ... } drop
 *     }
 *   }
 * </pre>
 * The addresses are the host's own, so ESP the host forwards is never touched, and the interfaces those that carry
 * them ({@link LocalAddresses}). The SPIs are those of the daemon's SAs to those addresses, so ESP of any other SA (the
 * kernel's own XFRM SAs where it has ESP, another daemon's) takes the kernel's path as before: only what this daemon
 * would process leaves the kernel early. Every change replaces the whole table in one transaction ({@code table; delete
 * table; table {...}}), which also replaces a table a crashed run left; with no address or no SPI there is no table.
 * Ordering keeps packets from being lost while the two halves change: the caller widens the ring's filter before
 * {@link #install} and narrows it after (a packet both take is then a duplicate, which the replay window drops and counts; one
 * neither took would be lost). Thread-safe (synchronized).
 */
public final class EspEarlyDrop
{
    private final NftCommand nft;
    private final String table;
    private final int maxIpLength;
    private final Consumer<String> log;
    private LocalAddresses installed = LocalAddresses.NONE;
    private Set<Long> installedSpis = Set.of();
    private boolean removed;

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
        return installedSpis;
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
        if (removed || (wanted.equals(installed) && spis.equals(installedSpis)))
        {
            return;
        }
        nft.check(script(table, maxIpLength, wanted, spis));
        installed = wanted;
        installedSpis = Set.copyOf(spis);
        log.accept("ESP early drop " + table + ": " + wanted.addresses().size() + " local address(es) on " +
            wanted.interfaces().size() + " interface(s), " + spis.size() + " SPI(s)" +
            (wanted.isEmpty() || spis.isEmpty() ? ", no table" : ""));
    }

    /** Delete the table (also one left by an earlier run); later installs do nothing. Never throws. */
    public synchronized void remove()
    {
        removed = true;
        installed = LocalAddresses.NONE;
        installedSpis = Set.of();
        try
        {
            nft.run("table inet " + table + "\ndelete table inet " + table + "\n");
        }
        catch (final IOException ex)
        {
            log.accept("removing nftables table " + table + " failed: " + ex.getMessage());
        }
    }

    static String script(final String table, final int maxIpLength, final LocalAddresses local, final Set<Long> spis)
    {
        final List<String> v4 = new ArrayList<>();
        final List<String> v6 = new ArrayList<>();
        for (final InetAddress address : local.addresses())
        {
            (address instanceof Inet4Address ? v4 : v6).add(address.getHostAddress().replaceFirst("%.*$", ""));
        }
        final StringBuilder script = new StringBuilder()
            .append("table inet ").append(table).append('\n')
            .append("delete table inet ").append(table).append('\n');
        if (local.isEmpty() || spis.isEmpty())
        {
            return script.toString(); // nothing to drop: no hook on the packet path at all
        }
        final String spiSet = " esp spi { " +
            spis.stream().sorted().map(String::valueOf).collect(Collectors.joining(", ")) + " } drop\n";
        script.append("table inet ").append(table).append(" {\n")
            .append("  chain prerouting {\n")
            .append("    type filter hook prerouting priority -450; policy accept;\n");
        final String interfaces = "meta pkttype host iif { " +
            local.interfaces().stream().map(String::valueOf).collect(Collectors.joining(", ")) + " } ";
        if (!v4.isEmpty())
        {
            script.append("    ").append(interfaces).append("ip protocol esp ip frag-off & 0x3fff == 0 ip length <= ")
                .append(maxIpLength).append(" ip daddr { ").append(String.join(", ", v4)).append(" }").append(spiSet);
        }
        if (!v6.isEmpty())
        {
            script.append("    ").append(interfaces).append("ip6 nexthdr esp ip6 length <= ").append(maxIpLength - 40)
                .append(" ip6 daddr { ").append(String.join(", ", v6)).append(" }").append(spiSet);
        }
        return script.append("  }\n}\n").toString();
    }
}
