package org.esp4j.tun.e2e;

import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.esp4j.tun.e2e.TunDaemonEndToEndTest.awaitReady;
import static org.esp4j.tun.e2e.TunDaemonEndToEndTest.inboundAccounted;
import static org.esp4j.tun.e2e.TunDaemonEndToEndTest.javaCommand;
import static org.esp4j.tun.e2e.TunDaemonEndToEndTest.outboundAccounted;
import static org.esp4j.tun.e2e.TunDaemonEndToEndTest.readCounters;
import static org.esp4j.tun.e2e.TunDaemonEndToEndTest.startDaemon;
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

    private final long pid = ProcessHandle.current().pid();
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private Path work;

    @BeforeEach
    void setUp() throws IOException
    {
        RootAssumptions.assumeRootOrCi();
        work = Files.createTempDirectory("esp4j-crash-");
    }

    @AfterEach
    void tearDown() throws IOException
    {
        E2eCleanup.cleanUp(namespaces, files, work);
    }

    @Test
    void shouldSendNothingInClearWhenKilledUnderTrafficAndCarryOnAfterTheRestart() throws Exception
    {
        final Netns ueNs = Netns.create("esp4j-uekill-" + pid, work);
        namespaces.add(ueNs);
        final Netns pcNs = Netns.create("esp4j-pckill-" + pid, work);
        namespaces.add(pcNs);
        ueNs.ip().check("link", "add", "veth-ue", "type", "veth", "peer", "name", "veth-pc", "netns", pcNs.name());
        ueNs.ip().check("-6", "addr", "add", UE + "/128", "dev", "veth-ue", "nodad");
        pcNs.ip().check("-6", "addr", "add", PCSCF + "/128", "dev", "veth-pc", "nodad");
        ueNs.ip().check("link", "set", "veth-ue", "up");
        pcNs.ip().check("link", "set", "veth-pc", "up");
        ueNs.ip().check("-6", "route", "add", PCSCF + "/128", "dev", "veth-ue");
        pcNs.ip().check("-6", "route", "add", UE + "/128", "dev", "veth-pc");

        final Path pcap = work.resolve("veth-kill.pcap");
        final Process tcpdump = ueNs.start("tcpdump", List.of("tcpdump", "-i", "veth-ue", "-w", pcap.toString(),
            "-U", "--immediate-mode", "-n", "-s", "0", "-Z", "root"));
        assertTrue(ueNs.awaitLog("tcpdump", tcpdump, "listening on", 10_000), ueNs.logText("tcpdump"));

        final Path ueCounters = Path.of("/dev/shm/esp4j-e2e-uekill-" + pid + ".counters");
        final Path pcCounters = Path.of("/dev/shm/esp4j-e2e-pckill-" + pid + ".counters");
        for (final Path counters : List.of(ueCounters, pcCounters))
        {
            files.add(counters);
            files.add(counters.resolveSibling(counters.getFileName() + ".seq"));
        }
        final String uePreload = TraceSas.preload(UE, PCSCF, true, false);
        final Process first = startDaemon(work, ueNs, uePreload, false, ueCounters, "");
        final Process pcDaemon = startDaemon(work, pcNs, TraceSas.preload(UE, PCSCF, false, false), false,
            pcCounters, "");
        awaitReady(ueNs, first);
        awaitReady(pcNs, pcDaemon);
        final Process server = pcNs.start("echo", javaCommand(NetApps.class.getName(), "echo-server", PCSCF,
            Integer.toString(NetApps.PCSCF_PORT_S), ""));
        assertTrue(pcNs.awaitLog("echo", server, "ECHO-READY", 20_000), pcNs.logText("echo"));

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

        Netns.stop(tcpdump, 10_000); // SIGTERM: tcpdump writes out what it holds, then exits
        final TunDaemonEndToEndTest.Capture capture = TunDaemonEndToEndTest.Capture.read(pcap, false);
        assertEquals(0, capture.plainProtected, "protected ports seen in clear on the wire");
        final List<Long> sequences = capture.sequences.get(TraceSas.SPI_UE_TO_PCSCF_C);
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
}
