package org.esp4j.cli.e2e;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.awaitReady;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.inboundAccounted;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.javaCommand;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.outboundAccounted;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.readCounters;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.startDaemon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 under traffic, as root (issue 11): two namespaces and daemons as in {@link TunDaemonEndToEndTest}, a steady
 * protected UDP flow UE:38003 -> P-CSCF:50718 ({@link NetApps} {@code flow}), and the UE's daemon killed with
 * SIGKILL in the middle of it, then started again with the same preloaded SAs while the flow goes on. Shows that
 * <ul>
 *   <li>no datagram of the protected flow leaves in clear on the veth, before, during (the blackhole route of the
 *   daemon's table holds the steered lookups when the TUN is gone) or after the restart;</li>
 *   <li>after the restart the flow works again: the restarted daemon continues its outbound sequence numbers above
 *   its reservation, so the P-CSCF, which kept its SAs, accepts them (XfrmInStateSeqError 0);</li>
 *   <li>the counters conserve on both sides.</li>
 * </ul>
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonCrashEndToEndTest
{
    private static final String UE = "2001::1:d1ae:bb37:d9c9:81d0";
    private static final String PCSCF = "2001:0:0:1::2";
    private static final long BLOCK = 1L << 20; // SequenceReservations.BLOCK
    private static final Pattern FLOW = Pattern.compile("FLOW sent=(\\d+) echoed=(\\d+) refused=(\\d+)");

    @RegisterExtension
    final E2eLab lab = new E2eLab("esp4j-crash-");
    private Path work;

    @BeforeEach
    void setUp()
    {
        work = lab.work();
    }

    @Test
    void shouldSendNothingInClearWhenKilledUnderTrafficAndCarryOnAfterTheRestart() throws Exception
    {
        final Netns ueNs = lab.netns("esp4j-uekill");
        final Netns pcNs = lab.netns("esp4j-pckill");
        SipBridgeEndToEndTest.link(ueNs, pcNs); // the trace's addresses on veth-ue / veth-pc, host routes

        final Path pcap = work.resolve("veth-kill.pcap");
        final WireCapture capture = WireCapture.start(ueNs, "veth-ue", pcap, WireCapture.HEADERS);

        final Path ueCounters = lab.countersFile("esp4j-e2e-uekill");
        final Path pcCounters = lab.countersFile("esp4j-e2e-pckill");
        final String uePreload = TraceSas.preload(UE, PCSCF, true, false);
        final Process first = startDaemon(work, ueNs, uePreload, false, ueCounters, "");
        final Process pcDaemon = startDaemon(work, pcNs, TraceSas.preload(UE, PCSCF, false, false), false,
            pcCounters, "");
        awaitReady(ueNs, first);
        awaitReady(pcNs, pcDaemon);
        final Process server = pcNs.start("echo", javaCommand(NetApps.class.getName(), "echo-server", PCSCF,
            Integer.toString(NetApps.PCSCF_PORT_S), ""));
        assertTrue(pcNs.awaitLog("echo", server, "ECHO-READY", 60_000), pcNs.logText("echo"));

        // the flow: 2000 datagrams, one per 5 ms (at least 10 s), across the kill and the restart
        final Process flow = ueNs.start("flow", javaCommand(NetApps.class.getName(), "flow", UE, PCSCF, "2000", "5"));
        assertTrue(ueNs.awaitLog("flow", flow, "FLOW-ECHOED", 20_000), "the flow never worked: " +
            ueNs.logText("flow") + ueNs.logText("daemon"));

        first.destroyForcibly(); // SIGKILL
        assertTrue(first.waitFor(10, TimeUnit.SECONDS));
        assertFalse(ueNs.ip().run("link", "show", "esp4j0").ok(), "the TUN went with the process");
        final String table = ueNs.ip().check("-6", "route", "show", "table", "4500").output();
        assertTrue(table.contains("blackhole default"), "the blackhole route outlives the TUN: " + table);
        assertTrue(flow.isAlive(), "the flow goes on while the daemon is down");

        Files.deleteIfExists(ueNs.log("daemon"));
        final Process second = startDaemon(work, ueNs, uePreload, false, ueCounters, "");
        awaitReady(ueNs, second);
        assertTrue(ueNs.logText("daemon").contains("continue their outbound sequence numbers"),
            ueNs.logText("daemon"));
        assertTrue(flow.isAlive(), "the restart happened under traffic; make the flow longer if this fails");
        assertTrue(flow.waitFor(60, TimeUnit.SECONDS), ueNs.logText("flow"));

        // after the restart the flow works again: a second flow, all of it under the restarted daemon
        final Process again = ueNs.start("again", javaCommand(NetApps.class.getName(), "flow", UE, PCSCF, "50", "5"));
        assertTrue(again.waitFor(30, TimeUnit.SECONDS), ueNs.logText("again"));
        final Matcher afterRestart = FLOW.matcher(ueNs.logText("again"));
        assertTrue(afterRestart.find(), ueNs.logText("again"));
        assertTrue(Integer.parseInt(afterRestart.group(2)) >= 45, "echoes after the restart: " +
            afterRestart.group() + "\n" + pcNs.logText("daemon"));

        capture.stop(PCSCF); // once the last ESP is in the file
        final TunDaemonEndToEndTest.Capture packets = TunDaemonEndToEndTest.Capture.read(pcap, false);
        assertEquals(0, packets.plainProtected, "protected ports seen in clear on the wire");
        final List<Long> sequences = packets.sequences.get(TraceSas.SPI_UE_TO_PCSCF_C);
        assertNotNull(sequences, "no ESP of the flow captured");
        assertTrue(sequences.get(0) < BLOCK, "the capture starts before the kill: " + sequences.get(0));
        assertTrue(sequences.get(sequences.size() - 1) > BLOCK,
            "the capture holds the packets after the restart (it was flushed)");
        for (int i = 1; i < sequences.size(); i++)
        {
            assertTrue(sequences.get(i) > sequences.get(i - 1), "no sequence number sent twice: " +
                sequences.get(i - 1) + " then " + sequences.get(i));
        }

        final Map<String, Long> pc = readCounters(pcCounters);
        assertEquals(0L, pc.getOrDefault("XfrmInStateSeqError", 0L), "the P-CSCF took nothing as a replay: " + pc);
        assertEquals(pc.get("TunCarrierPacketsRead") + pc.getOrDefault("TunInFilterDropped", 0L),
            inboundAccounted(pc), "P-CSCF inbound conserves: " + pc);
        final Map<String, Long> ue = readCounters(ueCounters);
        assertEquals(ue.get("TunPacketsRead"), outboundAccounted(ue), "restarted UE outbound conserves: " + ue);
        assertEquals(ue.get("TunCarrierPacketsRead") + ue.getOrDefault("TunInFilterDropped", 0L),
            inboundAccounted(ue), "restarted UE inbound conserves: " + ue);
    }

    /**
     * AES-GCM across a restart: the same preloaded key in two daemon runs (the first killed with SIGKILL), and no
     * (key, IV) pair on the wire twice. The IVs are those of the ESP packets in a capture of both runs.
     */
    @Test
    void shouldNeverRepeatAGcmIvUnderOneKeyAcrossAKillAndARestart() throws Exception
    {
        final Netns ns = lab.netns("esp4j-gcm");
        ns.ip().check("link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b");
        ns.ip().check("-6", "addr", "add", UE + "/128", "dev", "veth-a", "nodad");
        ns.ip().check("link", "set", "veth-a", "up");
        ns.ip().check("link", "set", "veth-b", "up");
        ns.ip().check("-6", "route", "add", PCSCF + "/128", "dev", "veth-a");
        ns.ip().check("-6", "neigh", "add", PCSCF, "lladdr", "02:00:00:00:00:02", "dev", "veth-a");
        final Path pcap = work.resolve("gcm.pcap");
        final WireCapture capture = WireCapture.start(ns, "veth-a", pcap, WireCapture.HEADERS);

        final Path counters = lab.countersFile("esp4j-e2e-gcm");
        final String preload = "state add src " + UE + " dst " + PCSCF + " proto esp spi 0x00001000 mode transport " +
            "aead 'rfc4106(gcm(aes))' 0x00112233445566778899aabbccddeeff01020304 128\n" +
            "policy add src " + UE + "/128 dst " + PCSCF + "/128 proto udp sport " + NetApps.UE_PORT_C + " dport " +
            NetApps.PCSCF_PORT_S + " dir out tmpl src " + UE + " dst " + PCSCF + " proto esp spi 0x00001000 " +
            "mode transport\n";
        for (int run = 0; run < 2; run++)
        {
            Files.deleteIfExists(ns.log("daemon"));
            final Process daemon = startDaemon(work, ns, preload, false, counters, "");
            awaitReady(ns, daemon);
            final Process flow = ns.start("flow" + run, javaCommand(NetApps.class.getName(), "flow", UE, PCSCF,
                "100", "1"));
            assertTrue(flow.waitFor(30, TimeUnit.SECONDS), ns.logText("flow" + run));
            awaitCounter(counters, "Esp4jOutProtected", 100);
            // and in the capture: a packet is counted before its batch leaves (one sendmmsg at the end of the duty
            // cycle), and SIGKILL must not take the last batch along before the capture has it
            final int wanted = 100 * (run + 1);
            assertEquals(wanted, capture.awaitFrames(WireCapture.ipProtocol(50), wanted, 20_000),
                "ESP captured by the end of run " + run + ": " + ns.logText("tcpdump"));
            daemon.destroyForcibly(); // SIGKILL: no clean stop, as in a crash
            assertTrue(daemon.waitFor(10, TimeUnit.SECONDS));
        }
        capture.stop();

        final java.util.Set<String> ivs = new java.util.HashSet<>();
        int packets = 0;
        int firstRun = 0;
        int secondRun = 0;
        try (org.esp4j.core.pcap.PcapReader reader = new org.esp4j.core.pcap.PcapReader(pcap))
        {
            final org.esp4j.core.pcap.PcapFrame frame = new org.esp4j.core.pcap.PcapFrame();
            while (reader.next(frame))
            {
                final int at = frame.networkOffset();
                if (at < 0 || (frame.data()[at + 6] & 0xFF) != 50)
                {
                    continue;
                }
                packets++;
                final long sequence = java.nio.ByteBuffer.wrap(frame.data(), at + 44, 4).getInt() & 0xFFFF_FFFFL;
                firstRun += sequence <= 100 ? 1 : 0;
                secondRun += sequence > BLOCK ? 1 : 0;
                // ESP: SPI (4), sequence number (4), then the 8-byte IV (RFC 4106 §3.1)
                final String iv = java.util.HexFormat.of().formatHex(frame.data(), at + 40 + 8, at + 40 + 16);
                assertTrue(ivs.add(iv), "IV " + iv + " sent twice under one key");
            }
        }
        assertTrue(firstRun == 100 && secondRun == 100 && packets == 200,
            "ESP of both runs captured: " + firstRun + " + " + secondRun + " of " + packets);
    }

    private static void awaitCounter(final Path counters, final String name, final long atLeast)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long value = 0;
        while (System.nanoTime() - deadline < 0 && (value = readCounters(counters).getOrDefault(name, 0L)) < atLeast)
        {
            Thread.sleep(20);
        }
        assertEquals(atLeast, value, name);
    }
}
