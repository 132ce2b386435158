package org.esp4j.tun.routing;

import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.tun.NetnsFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The incremental filters against the kernel's nftables (root, real {@code nft}): elements added and deleted in the
 * kernel's maps and sets, batches, re-sync over a stale table from a crashed run, and drops of real packets (from a
 * namespace over a veth) read back through netlink.
 */
class NftIncrementalKernelTest
{
    private static final Pattern ELEMENT = Pattern.compile(
        "([0-9a-f.:]+) \\. ([0-9a-f.:]+) \\. (\\w+) \\. (\\d+) \\. (\\d+)");
    private static final String UE = "2001:db8:7::1";
    private static final String PCSCF = "2001:db8:7::2";

    private final String tun = "icf" + ProcessHandle.current().pid() % 100_000;
    @RegisterExtension
    final NetnsFixture netns = new NetnsFixture("icf");
    private final NftCommand nft = new NftCommand();
    private final List<String> log = new ArrayList<>();
    private InboundClearFilter filter;
    private EspEarlyDrop drop;

    @BeforeEach
    void requireNft()
    {
        assertTrue(nft.available(), "nft must work here as root");
    }

    @AfterEach
    void cleanUp() throws IOException
    {
        if (filter != null)
        {
            filter.remove();
        }
        if (drop != null)
        {
            drop.remove();
        }
        run("ip", "link", "del", tun + "a"); // its peer is in the namespace, which the fixture deletes next
    }

    @Test
    void shouldAddAndDeleteOnlyTheChangedElementsOfTheKernelsMap() throws Exception
    {
        filter = new InboundClearFilter(nft, tun, new int[0], log::add);
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        for (int port = 5064; port < 5067; port++)
        {
            spd.add(XfrmPolicyParser.parseAdd(protectedIn(port)));
        }
        filter.sync(spd.list());
        assertEquals(Set.of("5064 tmpl", "5065 tmpl", "5066 tmpl"), elements(filter.table()));

        spd.delete(XfrmPolicyParser.parseAdd(protectedIn(5065)).selector(), XfrmPolicyParser.parseAdd(
            protectedIn(5065)).direction());
        spd.add(XfrmPolicyParser.parseAdd("src " + PCSCF + " dst " + UE + " proto udp sport 7000 dport 5066 " +
            "dir in action block"));
        spd.add(XfrmPolicyParser.parseAdd(protectedIn(5067)));
        filter.sync(spd.list());

        assertEquals(Set.of("5064 tmpl", "5066 tmpl", "5067 tmpl", "7000 pol"), elements(filter.table()));
        assertTrue(listTable(filter.table()).contains("@mismatch6 counter name \"tmpl_mismatch\" drop"));
        assertFalse(listTable(filter.table()).contains("goto"), "no element or rule jumps: adding one stays O(1)");
    }

    @Test
    void shouldReplaceAStaleTableOfACrashedRunWithTheWantedElementsOnly() throws Exception
    {
        // what a crashed run left: the same table, elements of SAs that are gone, a rule of its own
        final InboundClearFilter crashed = new InboundClearFilter(nft, tun, new int[0], null);
        crashed.sync(policies(protectedIn(6000), protectedIn(6001)));
        nft.check("add rule inet " + crashed.table() + " input meta l4proto 253 drop\n");

        filter = new InboundClearFilter(nft, tun, new int[0], log::add);
        filter.sync(policies(protectedIn(6001), protectedIn(6002)));

        assertEquals(Set.of("6001 tmpl", "6002 tmpl"), elements(filter.table()));
        assertFalse(listTable(filter.table()).contains("meta l4proto 253"), "a stale rule survived");
        filter.sync(policies(protectedIn(6002)));
        assertEquals(Set.of("6002 tmpl"), elements(filter.table()));
    }

    @Test
    void shouldCountDropsOfRealPacketsAndReadThemThroughNetlink() throws Exception
    {
        final int net = (int)(ProcessHandle.current().pid() % 250) + 1;
        final String host = "10.207." + net + ".1";
        final String peer = "10.207." + net + ".2";
        final String namespace = netns.name();
        check("ip", "link", "add", tun + "a", "type", "veth", "peer", "name", tun + "b", "netns", namespace);
        check("ip", "addr", "add", host + "/30", "dev", tun + "a");
        check("ip", "link", "set", tun + "a", "up");
        check("ip", "-n", namespace, "addr", "add", peer + "/30", "dev", tun + "b");
        check("ip", "-n", namespace, "link", "set", tun + "b", "up");
        filter = new InboundClearFilter(nft, tun, new int[0], log::add);
        filter.sync(policies(
            "src " + peer + " dst " + host + " proto udp sport 5064 dport 5066 dir in tmpl src " + peer + " dst " +
                host + " proto esp mode transport",
            "src " + peer + " dst " + host + " proto udp sport 5064 dport 5067 dir in action block",
            "src " + peer + " dst " + host + " proto udp sport 5064 dport 5068 dir in action allow"));

        // 3 datagrams to the protected port, 2 to the blocked one, 4 to the bypass (never counted)
        check("ip", "netns", "exec", namespace, ProcessHandle.current().info().command().orElse("java"),
            "-XX:TieredStopAtLevel=1", "-cp",
            System.getProperty("java.class.path"), ClearSender.class.getName(), peer, "5064", host, "5066:3",
            "5067:2", "5068:4");

        long templateMismatch = 0;
        long policyBlock = 0;
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while ((templateMismatch < 3 || policyBlock < 2) && System.nanoTime() < deadline)
        {
            final InboundClearFilter.Drops drops = filter.pollDrops();
            templateMismatch += drops.templateMismatch();
            policyBlock += drops.policyBlock();
            Thread.onSpinWait();
        }
        assertEquals(3, templateMismatch);
        assertEquals(2, policyBlock);
        assertEquals(3, new NftNamedCounter().packets(filter.table(), InboundClearFilter.TEMPLATE_MISMATCH_COUNTER));
        assertTrue(nft.check("list counter inet " + filter.table() + " pol_block\n").output().contains("packets 2 "),
            "nft itself reads the same count");
        assertEquals(NftNamedCounter.MISSING, new NftNamedCounter().packets(filter.table(), "no_such_counter"));
        assertEquals(NftNamedCounter.MISSING, new NftNamedCounter().packets("esp4j_no_such_table", "pol_block"));
    }

    @Test
    void shouldKeepTheEarlyDropSpiSetInStepWithTheSasAndResyncAStaleOne() throws Exception
    {
        final LocalAddresses local = new LocalAddresses(List.of(1),
            List.of(InetAddress.getByName("127.0.0.1")));
        final EspEarlyDrop crashed = new EspEarlyDrop(nft, tun, 4000, null);
        crashed.install(local, Set.of(1L, 2L, 3L));

        drop = new EspEarlyDrop(nft, tun, 4000, log::add);
        drop.install(local, Set.of(3L, 3458785863L));
        assertEquals(Set.of(3L, 3458785863L), spis(drop.table()), "the stale set is replaced at start");
        final Set<Long> many = new TreeSet<>();
        for (long spi = 0x1000; spi < 0x1000 + 2000; spi++)
        {
            many.add(spi);
        }
        drop.install(local, many);
        assertEquals(many, spis(drop.table()));
        drop.install(local, Set.of(0xFFFFFFFFL));
        assertEquals(Set.of(0xFFFFFFFFL), spis(drop.table()));

        drop.install(local, Set.of());
        assertFalse(nft.run("list table inet " + drop.table() + "\n").ok(), "no SPI: no table");
    }

    /**
     * Run inside the namespace: {@code LOCAL SPORT REMOTE DPORT:COUNT...} sends COUNT clear UDP datagrams from
     * LOCAL:SPORT to each REMOTE:DPORT.
     */
    public static final class ClearSender
    {
        public static void main(final String[] args) throws IOException
        {
            try (DatagramSocket socket = new DatagramSocket(
                new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1]))))
            {
                for (int i = 3; i < args.length; i++)
                {
                    final String[] portCount = args[i].split(":");
                    for (int n = 0; n < Integer.parseInt(portCount[1]); n++)
                    {
                        socket.send(new DatagramPacket(new byte[] { 'c', 'l', 'e', 'a', 'r' }, 5,
                            InetAddress.getByName(args[2]), Integer.parseInt(portCount[0])));
                    }
                }
            }
        }
    }

    private List<SecurityPolicy> policies(final String... lines)
    {
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        for (final String line : lines)
        {
            spd.add(XfrmPolicyParser.parseAdd(line));
        }
        return spd.list();
    }

    private static String protectedIn(final int sourcePort)
    {
        return "src " + PCSCF + " dst " + UE + " proto udp sport " + sourcePort + " dport 5066 dir in tmpl src " +
            PCSCF + " dst " + UE + " proto esp mode transport";
    }

    /** @return the IPv6 sets' elements as "SPORT tmpl|pol|accept" (all with the test's addresses, udp, dport 5066). */
    private Set<String> elements(final String table) throws IOException
    {
        final Set<String> elements = new TreeSet<>();
        for (final String[] set : new String[][] { { "accept6", "accept" }, { "mismatch6", "tmpl" },
            { "block6", "pol" } })
        {
            final String listed = nft.check("list set inet " + table + " " + set[0] + "\n").output();
            final Matcher matcher = ELEMENT.matcher(listed);
            while (matcher.find())
            {
                assertEquals(PCSCF, matcher.group(1));
                assertEquals(UE, matcher.group(2));
                assertEquals("udp", matcher.group(3));
                assertEquals("5066", matcher.group(5));
                elements.add(matcher.group(4) + " " + set[1]);
            }
        }
        return elements;
    }

    private Set<Long> spis(final String table) throws IOException
    {
        final String listed = nft.check("list set inet " + table + " " + EspEarlyDrop.SPI_SET + "\n").output();
        final Set<Long> spis = new TreeSet<>();
        final Matcher matcher = Pattern.compile("\\d+").matcher(listed.substring(listed.indexOf("elements")));
        while (matcher.find())
        {
            spis.add(Long.parseLong(matcher.group()));
        }
        return spis;
    }

    private String listTable(final String table) throws IOException
    {
        return nft.check("list table inet " + table + "\n").output();
    }

    private static void check(final String... command) throws IOException
    {
        IpCommand.runProcess(List.of(command), "").check();
    }

    private static void run(final String... command) throws IOException
    {
        IpCommand.runProcess(List.of(command), "");
    }
}
