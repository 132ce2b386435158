package org.esp4j.cli.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.esp4j.cli.Esp4jMain;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.inboundAccounted;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.outboundAccounted;
import static org.esp4j.cli.e2e.TunDaemonEndToEndTest.readCounters;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fail closed in the P-CSCF role, as root (issue 11 (a) and (b), issue 12 "fail-closed on every negotiated flow"):
 * a P-CSCF daemon ({@code sip.role=pcscf}, keys from the S-CSCF's ck/ik, sniffer stalled so the 401 and the keys
 * reach its bridge only when the P-CSCF application's 401 reaches the TUN) and a UE daemon, one lab for 20
 * registrations, each ended by a de-registration. Meanwhile the UE's namespace sends forged clear datagrams on the
 * protected port pair UE:port-c -> P-CSCF:port-s past its daemon, one a millisecond. Shows that
 * <ul>
 *   <li>not one forged datagram sent after the first 401 reached the UE gets to the P-CSCF application: the P-CSCF
 *   daemon holds that 401 on the TUN until the inbound filter drops the new flow, and after each de-registration
 *   the policies linger (64*T1), so the filter still drops it;</li>
 *   <li>nothing leaves the P-CSCF in clear on the protected port pairs, also not the 200 OK to each de-REGISTER that
 *   the application retransmits after the SAs went (dropped, XfrmOutNoStates);</li>
 *   <li>the counters conserve on both daemons.</li>
 * </ul>
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PcscfInjectionEndToEndTest
{
    private static final String UE = "2001::1:d1ae:bb37:d9c9:81d0";
    private static final String PCSCF = "2001:0:0:1::2";
    private static final String SCSCF = "2001:0:0:2::5";
    private static final int REGISTRATIONS = 20;
    private static final int[] PCSCF_PORTS = { SipPeers.PCSCF_PORT_S, SipPeers.PCSCF_PORT_C };
    private static final Pattern FORGED = Pattern.compile("PCSCF-FORGED (\\d+)");
    private static final Pattern FIRST_401 = Pattern.compile("UE-401-AT (\\d+)");

    @RegisterExtension
    final E2eLab lab = new E2eLab("esp4j-inject-");
    private Path work;

    @BeforeEach
    void setUp()
    {
        work = lab.work();
    }

    @Test
    void shouldLetNoForgedClearDatagramThroughAfterThe401AndSendNothingInClearAtDeRegistration() throws Exception
    {
        final Netns ueNs = lab.netns("esp4j-injue");
        final Netns pcNs = lab.netns("esp4j-injpc");
        SipBridgeEndToEndTest.link(ueNs, pcNs);
        pcNs.ip().check("-6", "addr", "add", SCSCF + "/128", "dev", "lo", "nodad");

        final Path pcap = work.resolve("veth-pc.pcap");
        final WireCapture capture = WireCapture.start(pcNs, "veth-pc", pcap, WireCapture.HEADERS);
        final Process peers = pcNs.start("pcscf", javaCommand(SipPeers.class.getName(), "pcscf-proxy-loop", PCSCF,
            SCSCF, Integer.toString(REGISTRATIONS)));
        final Process pcDaemon = startDaemon(pcNs, "pc", UE, true, "--sip-bridge", "pcscf");
        final Process ueDaemon = startDaemon(ueNs, "ue", PCSCF, false,
            "--sip-bridge", "ue", "--k", SipPeers.K, "--opc", SipPeers.OPC);
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-READY", 60_000), pcNs.logText("pcscf"));
        TunDaemonEndToEndTest.awaitReady(pcNs, pcDaemon);
        TunDaemonEndToEndTest.awaitReady(ueNs, ueDaemon);

        // one forged datagram a millisecond (at most 60 s), from just before the first REGISTER to after the last:
        // the UE is up before the flood starts, since the P-CSCF daemon's stalled sniffer takes what its sockets
        // queued (the first REGISTER among the forged datagrams) only when the 401 reaches its TUN, and its 4 MiB
        // socket buffers hold a few seconds of forged datagrams: a REGISTER after that would be lost
        final Path go = work.resolve("ue.go");
        final Process client = ueNs.start("ue", javaCommand(SipPeers.class.getName(), "ue-register-loop", UE, PCSCF,
            Integer.toString(REGISTRATIONS), go.toString()));
        assertTrue(ueNs.awaitLog("ue", client, "UE-READY", 60_000), ueNs.logText("ue"));
        final Process injector = ueNs.start("inject", javaCommand(NetApps.class.getName(), "inject-flow", UE, PCSCF,
            "60000", "1", "0x4500"));
        assertTrue(ueNs.awaitLog("inject", injector, "INJECTING", 60_000), ueNs.logText("inject"));
        Files.createFile(go);
        assertTrue(client.waitFor(120, TimeUnit.SECONDS) && client.exitValue() == 0 &&
            ueNs.logText("ue").contains("UE-DONE"), logs(ueNs, pcNs));
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-DONE", 30_000), logs(ueNs, pcNs));
        injector.destroy();
        capture.stop(UE); // once the last 200 OK is in the file

        // forged datagrams sent after the first 401 was on the wire: none reached the application
        final Matcher first401 = FIRST_401.matcher(ueNs.logText("ue"));
        assertTrue(first401.find(), ueNs.logText("ue"));
        final long firstChallengeNs = Long.parseLong(first401.group(1));
        int forgedBefore = 0;
        final List<Long> forgedAfter = new ArrayList<>();
        final Matcher forged = FORGED.matcher(pcNs.logText("pcscf"));
        while (forged.find())
        {
            final long sentNs = Long.parseLong(forged.group(1));
            if (sentNs - firstChallengeNs > 0)
            {
                forgedAfter.add((sentNs - firstChallengeNs) / 1_000_000);
            }
            else
            {
                forgedBefore++;
            }
        }
        assertEquals(List.of(), forgedAfter, "forged datagrams reached the P-CSCF application, ms after the 401");
        assertTrue(forgedBefore > 0, "the injector ran before the first 401 (the flow was open then)");

        // nothing from the P-CSCF in clear on its protected ports, and the retransmitted 200 OKs were there to leak
        int clear = 0;
        int esp = 0;
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                final int at = frame.networkOffset();
                if (at < 0 || frame.length() - at < 48 || ((frame.data()[at] >> 4) & 0xF) != 6)
                {
                    continue;
                }
                final ByteBuffer ip = ByteBuffer.wrap(frame.data(), at, frame.length() - at).slice()
                    .order(ByteOrder.BIG_ENDIAN);
                final int nextHeader = ip.get(6) & 0xFF;
                final boolean fromPcscf = ip.get(23) == 0x02; // P-CSCF ...::2, UE ...:81d0
                esp += nextHeader == 50 && fromPcscf ? 1 : 0;
                if (fromPcscf && (nextHeader == 17 || nextHeader == 6))
                {
                    final int sport = ip.getShort(40) & 0xFFFF;
                    for (final int port : PCSCF_PORTS)
                    {
                        clear += sport == port ? 1 : 0;
                    }
                }
            }
        }
        assertEquals(0, clear, "packets from the P-CSCF's protected ports in clear on the wire");
        assertEquals(2 * REGISTRATIONS, esp, "the two 200 OKs of each registration as ESP");
        assertEquals(REGISTRATIONS, count(pcNs.logText("pcscf"), "PCSCF-RETRANSMITTED-200"));

        // The filter's drops reach the daemon's counters when its conductor reads the nft counters, every 2 s: a
        // lab of 20 fast registrations can end before the first read after the first drop.
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, Long> pc = readCounters(countersFile("pc"));
        while (pc.getOrDefault("XfrmInTmplMismatch", 0L) == 0 && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(50);
            pc = readCounters(countersFile("pc"));
        }
        assertTrue(pc.getOrDefault("XfrmOutNoStates", 0L) >= REGISTRATIONS,
            "each retransmitted 200 OK was dropped for want of SAs, not sent in clear: " + pc);
        assertTrue(pc.getOrDefault("XfrmInTmplMismatch", 0L) > 0, "the filter dropped the forged datagrams (within 10 s " +
            "of the end): " + pc);
        assertEquals(0L, pc.getOrDefault("XfrmInStateSeqError", 0L), "no internal duplicate taken as replay: " + pc);
        for (final String side : new String[]{ "pc", "ue" })
        {
            final Map<String, Long> c = readCounters(countersFile(side));
            assertEquals(c.get("TunPacketsRead"), outboundAccounted(c), side + " outbound conserves: " + c);
            assertEquals(c.get("TunCarrierPacketsRead") + c.getOrDefault("TunInFilterDropped", 0L),
                inboundAccounted(c), side + " inbound conserves: " + c);
        }
    }

    private Path countersFile(final String side)
    {
        return lab.countersFile("esp4j-inject-e2e-" + side);
    }

    private Process startDaemon(final Netns netns, final String side, final String steer,
        final boolean stalledSniffer, final String... sipArgs) throws IOException
    {
        final Path config = work.resolve(side + ".conf");
        final Path counters = countersFile(side);
        Files.writeString(config, String.join("\n",
            "tun.name=esp4j0",
            "carrier=raw",
            "steer=" + steer + "/128",
            "inbound.filter=on",
            "counters.file=" + counters,
            "control.socket=" + work.resolve(side + ".sock"),
            ""));
        final List<String> args = new ArrayList<>(List.of("run", "--config", config.toString()));
        args.addAll(List.of(sipArgs));
        final List<String> command = javaCommand(Esp4jMain.class.getName(), args.toArray(new String[0]));
        if (stalledSniffer)
        {
            command.add(command.indexOf("-cp"), "-Desp4j.sip.sniffer.stalled=true");
        }
        return netns.start("daemon", command);
    }

    private static List<String> javaCommand(final String mainClass, final String... args)
    {
        return TunDaemonEndToEndTest.javaCommand(mainClass, args);
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

    /** What a failure shows: the logs, and each daemon's counters (a held 401 dropped: TunSipHoldNotInForce). */
    private String logs(final Netns ueNs, final Netns pcNs)
    {
        return "UE client:\n" + ueNs.logText("ue") + "\nUE daemon:\n" + ueNs.logText("daemon") +
            "\nP-CSCF peers:\n" + pcNs.logText("pcscf") + "\nP-CSCF daemon:\n" + pcNs.logText("daemon") +
            "\ninjector:\n" + ueNs.logText("inject") +
            "\nP-CSCF daemon counters: " + readCounters(countersFile("pc")) +
            "\nUE daemon counters: " + readCounters(countersFile("ue"));
    }
}
