package org.esp4j.cli.e2e;

import org.agrona.concurrent.status.CountersReader;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.CountersFile;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.esp4j.cli.Esp4jMain;
import org.esp4j.cli.run.RunCommand;
import org.esp4j.tun.jna.CpuSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End to end, as root: two network namespaces (UE and P-CSCF) joined by a veth pair with the trace's addresses, one
 * daemon ({@link RunCommand}, a separate JVM inside each namespace) per side with the four SAs and the policies of
 * the IMS trace, real UDP and TCP sockets on both sides ({@link NetApps}), tcpdump on the UE's veth read back with
 * the project's {@link PcapReader}. Each scenario shows that:
 * <ul>
 *   <li>UDP (38003 -> 50718) and TCP (39003 -> 50717, 2 MiB) arrive as plaintext at the application and back,
 *   the TCP bytes unchanged although the daemons cut the kernel's TSO super-packets into segments on the way out and
 *   join segments into GSO packets on the way in (TUN offloads);</li>
 *   <li>on the veth they are ESP (or ESP-in-UDP/4500) with the right SPI, addresses and increasing sequence
 *   numbers, and no protected port is seen in clear;</li>
 *   <li>SIP to 5060 passes in clear, also a datagram bigger than the TUN MTU (fragments of bypass traffic pass),
 *   while the fragments of an equally big protected datagram are dropped, not leaked;</li>
 *   <li>raw carrier: with a TUN MTU too big for the path, TCP gets through thanks to the daemon's ICMPv6 Packet Too
 *   Big / ICMP Fragmentation Needed answers;</li>
 *   <li>a clear datagram on a protected flow, sent past the daemon on the wire, is dropped by the inbound filter
 *   (nftables) before the application gets it, and counted as XfrmInTmplMismatch, as a kernel stack would;</li>
 *   <li>a replayed, a corrupted, an unknown-SPI and a truncated ESP packet injected on the wire are dropped and
 *   counted against the right counter, and the counters add up (every packet read is delivered or counted against
 *   exactly one reason);</li>
 *   <li>SIGTERM removes every rule, route, TUN, nftables table and the counters file; a restart after SIGKILL
 *   replaces the stale rules and table without duplicating them.</li>
 * </ul>
 * Namespaces and processes are removed after each test also when it fails; work files (captures, logs) too, unless
 * the test failed or {@code -Desp4j.e2e.keep=true}: then their directory is named in the failure and on standard
 * error ({@link E2eLab}).
 * <p>
 * The capture is read only after tcpdump has written a marker sent after the traffic and reported no packet lost
 * ({@link WireCapture#stop(String)}), and both veth ends have {@code gso_max_segs 1}: the kernel cuts the daemons' UDP
 * GSO trains into packets before the veth, so the capture holds one ESP packet per frame, as a real wire would.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS) // bounds only: a loaded 2-core CI host needs minutes
class TunDaemonEndToEndTest
{
    private static final String UE6 = "2001::1:d1ae:bb37:d9c9:81d0";
    private static final String PCSCF6 = "2001:0:0:1::2";
    private static final String UE4 = "192.0.2.1";
    private static final String PCSCF4 = "192.0.2.2";
    private static final int MARK = 0x4500;
    private static final String TABLE = "4500";
    /** Every wait is bounded generously: on a loaded host a daemon took 30 s to start. */
    private static final long READY_TIMEOUT_MS = 120_000;
    /** A clean stop on SIGTERM exits with 0 ({@link RunCommand}). */
    private static final int SIGTERM_EXIT = RunCommand.EXIT_OK;
    @RegisterExtension
    final E2eLab lab = new E2eLab("esp4j-e2e-");
    private Path work;

    @BeforeEach
    void setUp()
    {
        work = lab.work();
    }

    @Test
    void ipv6RawCarrier() throws Exception
    {
        scenario(false, false, true, true, true, true, "two");
    }

    @Test
    void ipv4RawCarrier() throws Exception
    {
        scenario(true, false, true, true, false, true, "two");
    }

    /** Also: packet.threads=auto, the inbound agent lent to the outbound thread, which then reads the UDP carrier. */
    @Test
    void ipv4UdpCarrier() throws Exception
    {
        scenario(true, true, false, true, true, false, "auto");
    }

    /** Also: both directions on one packet thread with an idle spin window, raw sockets without the ring. */
    @Test
    void ipv6RawCarrierWithoutTunOffloads() throws Exception
    {
        scenario(false, false, false, false, false, false, "one");
    }

    @Test
    void restartAfterCrashReplacesStaleRules() throws Exception
    {
        final Netns ueNs = lab.netns("esp4j-uecr");
        ueNs.ip().check("link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b");
        ueNs.ip().check("-6", "addr", "add", UE6 + "/128", "dev", "veth-a", "nodad");
        ueNs.ip().check("link", "set", "veth-a", "up");
        ueNs.ip().check("link", "set", "veth-b", "up");
        ueNs.ip().check("-6", "route", "add", PCSCF6 + "/128", "dev", "veth-a");
        final Path counters = lab.countersFile("esp4j-e2e-uecr");

        final Process first = startDaemon(ueNs, TraceSas.preload(UE6, PCSCF6, true, false), false, counters, "");
        awaitReady(ueNs, first);
        final String before = ueNs.ip().check("-6", "rule", "show").output();
        first.destroyForcibly();
        assertTrue(first.waitFor(60, TimeUnit.SECONDS));
        // crashed: its rules are still there, its TUN went with its file descriptor
        assertEquals(before, ueNs.ip().check("-6", "rule", "show").output());
        assertFalse(ueNs.ip().run("link", "show", "esp4j0").ok());

        Files.deleteIfExists(ueNs.log("daemon"));
        final Process second = startDaemon(ueNs, TraceSas.preload(UE6, PCSCF6, true, false), false, counters, "");
        awaitReady(ueNs, second);
        assertTrue(ueNs.logText("daemon").contains("removed"), ueNs.logText("daemon"));
        assertEquals(before, ueNs.ip().check("-6", "rule", "show").output(), "rules duplicated after restart");
        assertEquals(1, count(before, "fwmark 0x4500 lookup main"), before);
        assertEquals(1, count(before, "lookup " + TABLE), before);
        // the inbound filter's table and the packet ring's early-drop table, each once
        assertEquals("table inet esp4j_esp4j0\ntable inet esp4j_esp_esp4j0",
            nftTables(ueNs).lines().sorted().collect(Collectors.joining("\n")),
            "the crashed run's tables are replaced, not doubled");
        assertEquals(1, count(ueNs.nft("list", "table", "inet", "esp4j_esp_esp4j0"), "ip6 nexthdr esp"),
            "one IPv6 early-drop rule");

        assertEquals(SIGTERM_EXIT, Netns.stop(second, 60_000), ueNs.logText("daemon"));
        final String after = ueNs.ip().check("-6", "rule", "show").output();
        assertFalse(after.contains("lookup " + TABLE) || after.contains("fwmark 0x4500"), after);
        assertFalse(ueNs.ip().run("link", "show", "esp4j0").ok());
        assertEquals("", nftTables(ueNs));
    }

    /**
     * Allow-only policies have no template to name the source: the table's route takes the out-policy's host source
     * selector, so a socket that lets the kernel choose its source does not get another address of the host (here
     * one on lo, as benchmarks/scripts/iperf-tun.sh adds) that no policy selects and the peer has no route back to.
     */
    @Test
    void shouldPreferTheOutPolicySourceWithoutTemplate() throws Exception
    {
        final Netns ueNs = lab.netns("esp4j-uesrc");
        ueNs.ip().check("-4", "addr", "add", "198.51.100.1/32", "dev", "lo");
        ueNs.ip().check("link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b");
        ueNs.ip().check("-4", "addr", "add", UE4 + "/24", "dev", "veth-a");
        ueNs.ip().check("link", "set", "veth-a", "up");
        ueNs.ip().check("link", "set", "veth-b", "up");
        final String preload = "policy add src " + UE4 + " dst " + PCSCF4 + " dir out priority 100 action allow\n";
        final Process daemon = startDaemon(ueNs, preload, false, lab.countersFile("esp4j-e2e-uesrc"), "steer=" + PCSCF4);
        awaitReady(ueNs, daemon);
        final String route = ueNs.ip().check("-4", "route", "get", PCSCF4).output();
        assertTrue(route.contains("dev esp4j0") && route.contains("src " + UE4), route);
        assertEquals(SIGTERM_EXIT, Netns.stop(daemon, 60_000), ueNs.logText("daemon"));
    }

    /** @return the esp4j nftables tables in a namespace, one per line. */
    private static String nftTables(final Netns netns) throws IOException
    {
        return netns.nft("list", "tables").lines().filter(line -> line.contains("esp4j"))
            .collect(Collectors.joining("\n"));
    }

    /** @return a valid UDP datagram in an IPv4 or IPv6 packet, with checksums. */
    private static byte[] clearUdp(final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort,
        final boolean ipv4)
    {
        return clearUdp(src, srcPort, dst, dstPort, ipv4,
            "clear, where ESP is due".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** @return a valid UDP datagram with this payload in an IPv4 or IPv6 packet, with checksums. */
    static byte[] clearUdp(final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort,
        final boolean ipv4, final byte[] payload)
    {
        final int ipLength = ipv4 ? Ipv4Header.MIN_LENGTH : Ipv6Header.LENGTH;
        final int udpLength = UdpHeader.LENGTH + payload.length;
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[ipLength + udpLength]);
        if (ipv4)
        {
            Ipv4Header.write(packet, 0, 0, ipLength + udpLength, IpProtocol.UDP, 64);
            packet.putBytes(Ipv4Header.SOURCE_OFFSET, src.getAddress());
            packet.putBytes(Ipv4Header.DESTINATION_OFFSET, dst.getAddress());
            Ipv4Header.updateChecksum(packet, 0);
        }
        else
        {
            Ipv6Header.write(packet, 0, 0, udpLength, IpProtocol.UDP, 64);
            packet.putBytes(Ipv6Header.SOURCE_OFFSET, src.getAddress());
            packet.putBytes(Ipv6Header.DESTINATION_OFFSET, dst.getAddress());
        }
        UdpHeader.write(packet, ipLength, srcPort, dstPort, udpLength);
        packet.putBytes(ipLength + UdpHeader.LENGTH, payload);
        if (!ipv4)
        {
            UdpHeader.updateIpv6Checksum(packet, 0, ipLength, udpLength); // IPv4 may send 0: no checksum
        }
        return packet.byteArray();
    }

    private static int count(final String text, final String what)
    {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length()))
        {
            n++;
        }
        return n;
    }

    /**
     * @param multiBuffer both daemons with {@code crypto.multibuffer=on}: ICVs of up to 16 packets computed together
     *                    in vector lanes (the JVMs get {@code --add-modules jdk.incubator.vector}; on JDK 17 the lanes
     *                    are slow but as correct), else {@code off}.
     * @param ring        raw carrier: unfragmented ESP from the packet ring with its early-drop table
     *                    ({@code carrier.ring=on}), else the raw socket alone ({@code off}); fragments and the
     *                    injected packets reach the daemons either way.
     * @param packetThreads {@code two}: {@code profile=throughput}, two threads, no window; {@code one}: both daemons with
     *                    {@code packet.threads=one} and {@code idle.spin.us=200}: one thread polls the TUN and the
     *                    carriers, and inside the spin window a raw socket is read when a poll that does not wait
     *                    reports it readable; {@code auto}: {@code packet.threads=auto} with {@code idle.spin.us=200},
     *                    and the inbound agent must have been lent to the outbound thread.
     */
    private void scenario(
        final boolean ipv4, final boolean udp, final boolean inject, final boolean offload, final boolean multiBuffer,
        final boolean ring, final String packetThreads)
        throws Exception
    {
        final boolean oneThread = packetThreads.equals("one");
        final boolean autoThreads = packetThreads.equals("auto");
        final String ue = ipv4 ? UE4 : UE6;
        final String pcscf = ipv4 ? PCSCF4 : PCSCF6;
        final String tag = (ipv4 ? "4" : "6") + (udp ? "u" : "r") + (offload ? "" : "n");
        final Netns ueNs = lab.netns("esp4j-ue" + tag);
        final Netns pcNs = lab.netns("esp4j-pc" + tag);

        // veth pair with the trace's addresses on its ends
        ueNs.ip().check("link", "add", "veth-ue", "type", "veth", "peer", "name", "veth-pc", "netns", pcNs.name());
        if (ipv4)
        {
            ueNs.ip().check("-4", "addr", "add", ue + "/24", "dev", "veth-ue");
            pcNs.ip().check("-4", "addr", "add", pcscf + "/24", "dev", "veth-pc");
        }
        else
        {
            // nodad from the start: a tentative address cannot be bound, and the apps start at once.
            // The two addresses are in different /64s: host routes over the link (below).
            ueNs.ip().check("-6", "addr", "add", ue + "/128", "dev", "veth-ue", "nodad");
            pcNs.ip().check("-6", "addr", "add", pcscf + "/128", "dev", "veth-pc", "nodad");
        }
        // one packet per captured frame: UDP GSO trains are cut before the veth (on both ends: the capture sees both
        // directions)
        ueNs.ip().check("link", "set", "veth-ue", "gso_max_segs", "1");
        pcNs.ip().check("link", "set", "veth-pc", "gso_max_segs", "1");
        ueNs.ip().check("link", "set", "veth-ue", "up");
        pcNs.ip().check("link", "set", "veth-pc", "up");
        if (!ipv4)
        {
            ueNs.ip().check("-6", "route", "add", pcscf + "/128", "dev", "veth-ue");
            pcNs.ip().check("-6", "route", "add", ue + "/128", "dev", "veth-pc");
        }

        final WireCapture wire = WireCapture.start(ueNs, "veth-ue", work.resolve("veth-" + tag + ".pcap"),
            WireCapture.WHOLE); // whole packets: one is replayed

        final Path ueCounters = lab.countersFile("esp4j-e2e-ue" + tag);
        final Path pcCounters = lab.countersFile("esp4j-e2e-pc" + tag);
        // raw carrier: the UE's TUN MTU is too big for its path, so TCP only gets through after the daemon's ICMPv6
        // Packet Too Big / ICMP Fragmentation Needed answers lower the path MTU of the application's socket
        // with one packet thread, also keep it on one CPU (packet.cpus): the last this test may run on
        final List<Integer> allowedCpus = CpuSet.allowedForThisThread();
        final int packetCpu = allowedCpus.get(allowedCpus.size() - 1);
        final String offloadSetting = (offload ? "" : "tun.offload=off\n") +
            "crypto.multibuffer=" + (multiBuffer ? "on" : "off") + "\n" +
            (udp ? "" : "carrier.ring=" + (ring ? "on" : "off") + "\n") +
            (oneThread ? "packet.threads=one\nidle.spin.us=200\npacket.cpus=" + packetCpu + "\n" : "") +
            (autoThreads ? "packet.threads=auto\nidle.spin.us=200\n" : "") +
            (packetThreads.equals("two") ? "profile=throughput\n" : "");
        final String ueExtra = (udp ? "" : "tun.mtu=1500\npath.mtu=1420\n") + offloadSetting;
        final Process ueDaemon = startDaemon(ueNs, TraceSas.preload(ue, pcscf, true, udp), udp, ueCounters, ueExtra);
        final Process pcDaemon = startDaemon(pcNs, TraceSas.preload(ue, pcscf, false, udp), udp, pcCounters,
            offloadSetting);
        awaitReady(ueNs, ueDaemon);
        awaitReady(pcNs, pcDaemon);
        for (final Netns side : List.of(ueNs, pcNs))
        {
            assertEquals(multiBuffer, side.logText("daemon").contains(", multi-buffer HMAC-SHA-1/MD5 "),
                "multi-buffer in " + side.name() + ":\n" + side.logText("daemon"));
            assertEquals(ring, side.logText("daemon").contains(", ESP packet ring (early drop nft table inet "),
                "packet ring in " + side.name() + ":\n" + side.logText("daemon"));
            assertEquals(oneThread, side.logText("daemon").contains(", one packet thread, idle spin 200 us below " +
                "50 % load, packet threads on CPU " + packetCpu + ","), "packet threads in " + side.name() + ":\n" +
                side.logText("daemon"));
            assertEquals(autoThreads, side.logText("daemon").contains(", one packet thread while sparse, idle spin " +
                "200 us below 50 % load,"), "packet threads in " + side.name() + ":\n" + side.logText("daemon"));
        }
        if (oneThread)
        {
            for (final Process daemon : List.of(ueDaemon, pcDaemon))
            {
                assertEquals(String.valueOf(packetCpu), cpusOfThread(daemon.pid(), "outbound"),
                    "the packet thread's CPUs (packet.cpus=" + packetCpu + ")");
            }
        }
        assertTrue(ueNs.ip().check(ipv4 ? "-4" : "-6", "rule", "show").output().contains("lookup " + TABLE),
            "steering rule missing");

        final Process server = pcNs.start("echo", javaCommand(NetApps.class.getName(), "echo-server", pcscf,
            NetApps.PCSCF_PORT_S + "," + NetApps.SIP_PORT, Integer.toString(NetApps.PCSCF_PORT_C)));
        assertTrue(pcNs.awaitLog("echo", server, "ECHO-READY", 120_000), "echo server: " + pcNs.logText("echo"));

        final int udpCount = 5;
        final Process client = ueNs.start("client", javaCommand(NetApps.class.getName(), "client", ue, pcscf,
            Integer.toString(udpCount)));
        final boolean clientDone = client.waitFor(180, TimeUnit.SECONDS);
        final String clientLog = ueNs.logText("client");
        assertTrue(clientDone && client.exitValue() == 0 && clientLog.contains("CLIENT-OK"),
            "client failed: " + clientLog + "\nUE daemon:\n" + ueNs.logText("daemon") + "\nP-CSCF daemon:\n" +
            pcNs.logText("daemon"));

        // the client saw every echo, so the P-CSCF daemon counted every delivery before it
        if (autoThreads)
        {
            for (final Path countersFile : List.of(ueCounters, pcCounters))
            {
                assertTrue(readCounters(countersFile).getOrDefault("TunInboundLent", 0L) >= 1,
                    "the idle inbound agent is lent to the outbound thread: " + readCounters(countersFile));
            }
        }
        final Map<String, Long> pcBefore = readCounters(pcCounters);
        assertTrue(pcBefore.getOrDefault("Esp4jInDelivered", 0L) >= udpCount, "P-CSCF counters: " + pcBefore);
        assertEquals(0L, pcBefore.getOrDefault("TunAgentErrors", 0L));

        // what the wire saw, once tcpdump has written all of it
        final String captureAccount = wire.stop(pcscf);
        final Capture capture = Capture.read(wire.file(), udp);
        final InetAddress ueAddress = InetAddress.getByName(ue);
        final InetAddress pcAddress = InetAddress.getByName(pcscf);
        // The UDP carrier has no Packet Too Big, so every number the UE sent is on the wire (captured as it leaves):
        // each packet of each train was read. The P-CSCF's arrive through the veth's receive backlog, which may drop.
        assertSequence(capture, TraceSas.SPI_UE_TO_PCSCF_C, ueAddress, pcAddress, udpCount, udp, captureAccount);
        assertSequence(capture, TraceSas.SPI_PCSCF_TO_UE_S, pcAddress, ueAddress, udpCount, false, captureAccount);
        assertSequence(capture, TraceSas.SPI_UE_TO_PCSCF_S, ueAddress, pcAddress, 3, udp, captureAccount);
        assertSequence(capture, TraceSas.SPI_PCSCF_TO_UE_C, pcAddress, ueAddress, 3, false, captureAccount);
        assertTrue(capture.plainSip >= 4, "SIP (5060) must pass in clear: " + capture.plainSip + " (" + captureAccount +
            ")");
        assertEquals(0, capture.plainProtected, "protected ports seen in clear on the wire");

        if (inject)
        {
            // a replayed packet and a corrupted one, sent to the P-CSCF from the UE's namespace
            final byte[] replayed = capture.firstEsp.get(TraceSas.SPI_UE_TO_PCSCF_C);
            assertNotNull(replayed);
            final byte[] corrupted = replayed.clone();
            final int esp = ipv4 ? 20 : 40;
            ByteBuffer.wrap(corrupted).order(ByteOrder.BIG_ENDIAN).putInt(esp + 4, 1_000_000);
            corrupted[corrupted.length - 1] ^= 0x5a;
            injectAndAwait(ueNs, replayed, pcCounters, "XfrmInStateSeqError", pcBefore);
            injectAndAwait(ueNs, corrupted, pcCounters, "XfrmInStateProtoError", pcBefore);
            final byte[] unknownSpi = replayed.clone();
            ByteBuffer.wrap(unknownSpi).order(ByteOrder.BIG_ENDIAN).putInt(esp, 0x11111111);
            injectAndAwait(ueNs, unknownSpi, pcCounters, "XfrmInNoStates", pcBefore);
            injectAndAwait(ueNs, truncate(replayed, esp + 4, ipv4), pcCounters, "XfrmInHdrError", pcBefore);
            final Map<String, Long> after = readCounters(pcCounters);
            assertEquals(pcBefore.get("Esp4jInDelivered"), after.get("Esp4jInDelivered"),
                "nothing injected may be delivered");
        }

        // a clear datagram on the protected flow UE:38003 -> P-CSCF:50718, sent past the UE's daemon (marked), never
        // reaches the P-CSCF's echo server: the inbound filter drops it as the kernel would (XfrmInTmplMismatch)
        assertTrue(pcNs.logText("daemon").contains("inbound filter nft table inet esp4j_esp4j0"), pcNs.logText("daemon"));
        final Map<String, Long> pcBeforeClear = readCounters(pcCounters);
        injectAndAwait(ueNs, clearUdp(ueAddress, NetApps.UE_PORT_C, pcAddress, NetApps.PCSCF_PORT_S, ipv4), pcCounters,
            "XfrmInTmplMismatch", pcBeforeClear);
        Thread.sleep(300);
        final Map<String, Long> pcAfterClear = readCounters(pcCounters);
        assertEquals(pcBeforeClear.get("Esp4jOutProtected"), pcAfterClear.get("Esp4jOutProtected"),
            "the echo server answered a clear datagram on a protected port");
        assertEquals(pcBeforeClear.getOrDefault("TunInFilterDropped", 0L) + 1, pcAfterClear.get("TunInFilterDropped"));

        // the counters add up: every packet read is delivered or counted against exactly one reason (the filter's
        // drops are counted too, but were never read)
        final Map<String, Long> pcFinal = readCounters(pcCounters);
        assertEquals(pcFinal.get("TunCarrierPacketsRead") + pcFinal.get("TunInFilterDropped"), inboundAccounted(pcFinal),
            "P-CSCF inbound: " + pcFinal);
        final Map<String, Long> ueFinal = readCounters(ueCounters);
        assertTrue(ueFinal.getOrDefault("TunOutFragmentDropped", 0L) >= 2,
            "fragments of the big protected datagram must be dropped: " + ueFinal);
        if (!udp)
        {
            assertTrue(ueFinal.getOrDefault("TunIcmpTooBigSent", 0L) > 0, "no Packet Too Big sent: " + ueFinal);
            assertEquals(ueFinal.get("TunIcmpTooBigSent"), ueFinal.get("Esp4jOutTooBig"));
        }
        // the bulk TCP went through the TUN offloads both ways: super-packets cut on output, trains joined on input
        // (none of either with offloads off)
        assertEquals(offload, ueFinal.getOrDefault("TunGsoPacketsRead", 0L) > 0, "UE TSO super-packets: " + ueFinal);
        assertEquals(offload, pcFinal.getOrDefault("TunGsoPacketsRead", 0L) > 0, "P-CSCF super-packets: " + pcFinal);
        assertEquals(offload, pcFinal.getOrDefault("TunGroPacketsWritten", 0L) > 0, "P-CSCF trains: " + pcFinal);
        assertEquals(offload, ueFinal.getOrDefault("TunGroPacketsWritten", 0L) > 0, "UE trains: " + ueFinal);
        assertTrue(ueNs.logText("daemon").contains(offload ? "offloads on" : "offloads off"), ueNs.logText("daemon"));
        // with the ring, the ESP came through it (and nothing was lost to a full ring); without, none did
        assertEquals(ring, pcFinal.getOrDefault("TunRingPacketsRead", 0L) > 0, "P-CSCF ring: " + pcFinal);
        assertEquals(ring, ueFinal.getOrDefault("TunRingPacketsRead", 0L) > 0, "UE ring: " + ueFinal);
        assertEquals(0L, pcFinal.getOrDefault("TunRingDrops", 0L), "P-CSCF ring drops: " + pcFinal);
        // the ring hands on only its SAs' ESP: the injected unknown SPI took the raw socket (XfrmInNoStates above)
        assertEquals(ring && inject ? 1L : 0L, pcFinal.getOrDefault("TunRingLeftToKernel", 0L), "P-CSCF: " + pcFinal);
        assertEquals(0L, ueFinal.getOrDefault("TunRingLeftToKernel", 0L), "UE: " + ueFinal);
        assertEquals(0L, ueFinal.getOrDefault("Esp4jTunIoError", 0L), "UE TUN writes failed: " + ueFinal);
        assertEquals(0L, pcFinal.getOrDefault("Esp4jTunIoError", 0L), "P-CSCF TUN writes failed: " + pcFinal);
        // (a packet answered with Packet Too Big counts as protected, and Esp4jOutTooBig says which of them)
        assertEquals(ueFinal.get("TunPacketsRead"), outboundAccounted(ueFinal), "UE outbound: " + ueFinal);
        assertEquals(ueFinal.get("TunCarrierPacketsRead") + ueFinal.get("TunInFilterDropped"), inboundAccounted(ueFinal),
            "UE inbound: " + ueFinal);

        // stop: everything the daemons installed goes away
        // SIGTERM: a clean stop, exit status 0
        assertEquals(SIGTERM_EXIT, Netns.stop(ueDaemon, 60_000), "UE daemon exit: " + ueNs.logText("daemon"));
        assertEquals(SIGTERM_EXIT, Netns.stop(pcDaemon, 60_000), "P-CSCF daemon exit: " + pcNs.logText("daemon"));
        assertTrue(ueNs.logText("daemon").contains("stopped"), ueNs.logText("daemon"));
        for (final Netns netns : List.of(ueNs, pcNs))
        {
            for (final String family : List.of("-4", "-6"))
            {
                final String rules = netns.ip().check(family, "rule", "show").output();
                assertFalse(rules.contains("lookup " + TABLE) || rules.contains("fwmark 0x4500"),
                    netns.name() + " rules left: " + rules);
                assertEquals("", netns.ip().run(family, "route", "show", "table", TABLE).output().trim());
            }
            assertFalse(netns.ip().run("link", "show", "esp4j0").ok(), "TUN left in " + netns.name());
            assertEquals("", nftTables(netns), "nftables table left in " + netns.name());
        }
        assertFalse(Files.exists(ueCounters));
        assertFalse(Files.exists(pcCounters));
    }

    static long inboundAccounted(final Map<String, Long> c)
    {
        long sum = 0;
        for (final Map.Entry<String, Long> e : c.entrySet())
        {
            final String name = e.getKey();
            if (name.startsWith("XfrmIn") || name.equals("Esp4jInDelivered") || name.equals("Esp4jInDummy") ||
                name.equals("TunRingDuplicateCopy") ||
                name.equals("Esp4jInNatKeepalive") || name.startsWith("TunCarrier") && !name.endsWith("PacketsRead"))
            {
                sum += e.getValue();
            }
        }
        return sum;
    }

    static long outboundAccounted(final Map<String, Long> c)
    {
        long sum = 0;
        for (final Map.Entry<String, Long> e : c.entrySet())
        {
            final String name = e.getKey();
            if (name.startsWith("XfrmOut") || name.equals("Esp4jOutProtected") || name.equals("Esp4jOutBypass") ||
                name.equals("Esp4jTunHdrError") || name.equals("TunOutFragmentDropped") ||
                name.equals("TunOutLinkScopeDropped"))
            {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** @return the first {@code length} bytes of an IP packet with its length field fixed. */
    private static byte[] truncate(final byte[] packet, final int length, final boolean ipv4)
    {
        final byte[] cut = java.util.Arrays.copyOf(packet, length);
        final ByteBuffer b = ByteBuffer.wrap(cut).order(ByteOrder.BIG_ENDIAN);
        if (ipv4)
        {
            b.putShort(2, (short)length);
        }
        else
        {
            b.putShort(4, (short)(length - 40));
        }
        return cut;
    }

    private void injectAndAwait(final Netns from, final byte[] packet, final Path counters, final String counter,
        final Map<String, Long> before) throws Exception
    {
        final Process inject = from.start("inject-" + counter, javaCommand(NetApps.class.getName(), "inject",
            HexFormat.of().formatHex(packet), "0x" + Integer.toHexString(MARK)));
        assertTrue(inject.waitFor(120, TimeUnit.SECONDS) && inject.exitValue() == 0,
            "inject: " + from.logText("inject-" + counter));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long value = 0;
        while (System.nanoTime() < deadline)
        {
            value = readCounters(counters).getOrDefault(counter, 0L);
            if (value > before.getOrDefault(counter, 0L))
            {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(before.getOrDefault(counter, 0L) + 1, value, counter + " after injection");
    }

    /**
     * @param contiguous every number from 1 on the wire (no Packet Too Big answered), else strictly increasing.
     * @param account    tcpdump's account of the capture, for the messages.
     */
    private static void assertSequence(final Capture capture, final long spi, final InetAddress src,
        final InetAddress dst, final int atLeast, final boolean contiguous, final String account)
    {
        final List<Long> sequences = capture.sequences.get(spi);
        assertNotNull(sequences, "no ESP with SPI " + spi + " on the wire; SPIs seen: " + capture.sequences.keySet());
        assertTrue(sequences.size() >= atLeast, "SPI " + spi + ": " + sequences);
        // from 1, strictly increasing (a packet answered with Packet Too Big used a number but never left)
        assertEquals(1L, sequences.get(0), "SPI " + spi + " sequence numbers: " + sequences);
        for (int i = 1; i < sequences.size(); i++)
        {
            final long expected = sequences.get(i - 1) + 1;
            assertTrue(contiguous ? sequences.get(i) == expected : sequences.get(i) >= expected,
                "SPI " + spi + " sequence number " + sequences.get(i) + " after " + sequences.get(i - 1) + " in " +
                sequences.size() + " packets (" + account + ")");
        }
        assertEquals(src, capture.sources.get(spi), "source of SPI " + spi);
        assertEquals(dst, capture.destinations.get(spi), "destination of SPI " + spi);
    }

    private Process startDaemon(final Netns netns, final String preload, final boolean udp, final Path counters,
        final String extraConfig) throws IOException
    {
        return startDaemon(work, netns, preload, udp, counters, extraConfig);
    }

    /** Start {@link RunCommand} in the namespace with the trace's settings, its files under {@code work}. */
    static Process startDaemon(final Path work, final Netns netns, final String preload, final boolean udp,
        final Path counters, final String extraConfig) throws IOException
    {
        final Path preloadFile = work.resolve(netns.name() + ".xfrm");
        Files.writeString(preloadFile, preload);
        final Path config = work.resolve(netns.name() + ".conf");
        Files.writeString(config, String.join("\n",
            "tun.name=esp4j0",
            "carrier=" + (udp ? "udp" : "raw"),
            "mark=0x" + Integer.toHexString(MARK),
            "table=" + TABLE,
            "preload=" + preloadFile,
            "counters.file=" + counters,
            "control.socket=" + work.resolve(netns.name() + ".sock"),
            "inbound.filter=on",
            extraConfig));
        final List<String> command = new ArrayList<>(List.of(javaExecutable()));
        command.addAll(jvmArgs());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Esp4jMain.class.getName(), "run",
            "--config", config.toString()));
        return netns.start("daemon", command);
    }

    /** @return {@code Cpus_allowed_list} of the one thread of process {@code pid} whose name contains {@code name}. */
    private static String cpusOfThread(final long pid, final String name) throws IOException
    {
        final List<String> found = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task")))
        {
            for (final Path task : tasks.collect(Collectors.toList()))
            {
                if (Files.readString(task.resolve("comm")).contains(name))
                {
                    for (final String line : Files.readAllLines(task.resolve("status")))
                    {
                        if (line.startsWith("Cpus_allowed_list:"))
                        {
                            found.add(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                }
            }
        }
        assertEquals(1, found.size(), "threads named *" + name + "* in process " + pid + ": " + found);
        return found.get(0);
    }

    static void awaitReady(final Netns netns, final Process daemon) throws InterruptedException
    {
        if (!netns.awaitLog("daemon", daemon, RunCommand.READY, READY_TIMEOUT_MS))
        {
            fail("daemon in " + netns.name() + " did not start:\n" + netns.logText("daemon"));
        }
    }

    static List<String> javaCommand(final String mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(javaExecutable()));
        command.addAll(jvmArgs());
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp",
            System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    static String javaExecutable()
    {
        return ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    static List<String> jvmArgs()
    {
        return List.of("--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector");
    }

    /** Counters of a running daemon, by label, read from its counters file as {@code esp4j stat} would. */
    static Map<String, Long> readCounters(final Path file)
    {
        final Map<String, Long> values = new HashMap<>();
        try (CountersFile counters = CountersFile.open(file))
        {
            final CountersReader reader = counters.newCountersReader();
            reader.forEach((value, id, label) -> values.merge(label, value, Long::sum));
        }
        return values;
    }

    /** What the capture on the UE's veth holds. */
    static final class Capture
    {
        final Map<Long, List<Long>> sequences = new HashMap<>();
        final Map<Long, InetAddress> sources = new HashMap<>();
        final Map<Long, InetAddress> destinations = new HashMap<>();
        final Map<Long, byte[]> firstEsp = new HashMap<>();
        int plainSip;
        int plainProtected;

        static Capture read(final Path file, final boolean udp) throws IOException
        {
            final Capture capture = new Capture();
            try (PcapReader reader = new PcapReader(file))
            {
                final PcapFrame frame = new PcapFrame();
                int frames = 0;
                while (reader.next(frame) && frames++ < 100_000)
                {
                    final int at = frame.networkOffset();
                    if (at >= 0)
                    {
                        capture.add(ByteBuffer.wrap(frame.data(), at, frame.length() - at).slice()
                            .order(ByteOrder.BIG_ENDIAN), udp);
                    }
                }
            }
            return capture;
        }

        private void add(final ByteBuffer ip, final boolean udp) throws IOException
        {
            final int version = (ip.get(0) >> 4) & 0xF;
            final int headerLength;
            final int protocol;
            final byte[] src;
            final byte[] dst;
            if (version == 4)
            {
                headerLength = (ip.get(0) & 0xF) * 4;
                protocol = ip.get(9) & 0xFF;
                src = new byte[4];
                dst = new byte[4];
                ip.get(12, src);
                ip.get(16, dst);
            }
            else if (version == 6)
            {
                headerLength = 40;
                protocol = ip.get(6) & 0xFF;
                src = new byte[16];
                dst = new byte[16];
                ip.get(8, src);
                ip.get(24, dst);
            }
            else
            {
                return;
            }
            int esp = -1;
            if (protocol == 50 && !udp)
            {
                esp = headerLength;
            }
            else if (protocol == 17 || protocol == 6)
            {
                final int sport = ip.getShort(headerLength) & 0xFFFF;
                final int dport = ip.getShort(headerLength + 2) & 0xFFFF;
                if (protocol == 17 && udp && dport == 4500 && ip.limit() >= headerLength + 16)
                {
                    esp = headerLength + 8;
                }
                else if (sport == NetApps.SIP_PORT || dport == NetApps.SIP_PORT)
                {
                    plainSip++;
                }
                else if (isProtectedPort(sport) || isProtectedPort(dport))
                {
                    plainProtected++;
                }
            }
            if (esp < 0)
            {
                return;
            }
            final long spi = ip.getInt(esp) & 0xFFFFFFFFL;
            final long sequence = ip.getInt(esp + 4) & 0xFFFFFFFFL;
            sequences.computeIfAbsent(spi, k -> new ArrayList<>()).add(sequence);
            sources.putIfAbsent(spi, InetAddress.getByAddress(src));
            destinations.putIfAbsent(spi, InetAddress.getByAddress(dst));
            if (!firstEsp.containsKey(spi))
            {
                final byte[] packet = new byte[ip.limit()];
                ip.get(0, packet);
                firstEsp.put(spi, packet);
            }
        }

        private static boolean isProtectedPort(final int port)
        {
            return port == NetApps.UE_PORT_C || port == NetApps.UE_PORT_S || port == NetApps.PCSCF_PORT_S ||
                port == NetApps.PCSCF_PORT_C;
        }
    }
}
