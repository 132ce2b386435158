package org.esp4j.cli.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.PCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SIGTERM_EXIT;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.UE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Unmodified SIPp 3.6 (Debian {@code sip-tester}) registers through both daemon roles with the scenario shipped in
 * {@code examples/sipp/}: REGISTER / 401 with AKAv1-MD5 (SIPp runs Milenage itself and checks AUTN's MAC), the
 * protected REGISTER, two re-registrations and the de-registration over UDP, against the {@link SipPeers}
 * P-CSCF application and S-CSCF. SIPp must report its one call successful, the veth must carry the four protected
 * REGISTERs and their 200 OKs as ESP with the negotiated SPIs (never in clear on the protected ports), and both
 * daemons must be left with no SA.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SippEndToEndTest extends SipLabTest
{
    /** examples/sipp's subscriber: OPc of K a1b2... and OP b1c2... (examples/sipp/milenage-vector.py). */
    private static final String K = "a1b2c3d4e5f6a7b8c9dae1f2a3b4c5d6";
    private static final String OPC = "f64f61a86141a0714bc8eb9082d08726";
    private static final Pattern ONE_SUCCESSFUL_CALL = Pattern.compile("Successful call\\s+\\|\\s+\\d+\\s+\\|\\s+1\\s");

    @Test
    void shouldRegisterReRegisterTwiceAndDeRegisterSippOverUdpThroughBothDaemonRoles() throws Exception
    {
        registerThroughBothDaemons(false);
    }

    /**
     * The same over a slow, lossy veth: each end sends at most 64 kbit/s (tc tbf: a SIP message takes 60-130 ms to
     * leave) and loses SIP and ESP deterministically (nftables on the egress hook, {@code numgen inc mod 3}: the
     * first, fourth, seventh, ... datagram each way). So the first REGISTER and the 401 are lost (SIPp retransmits
     * after T1, the P-CSCF application answers the copy with the same 401 and neither daemon runs AKA twice), and so
     * are a protected REGISTER and a 200 OK, whose retransmissions the daemons protect anew. The P-CSCF's losses stop
     * after its first {@value #PCSCF_LOSSY_BYTES} bytes, before the 200 OK to the de-REGISTER: that one the P-CSCF
     * daemon sends once and then deletes the SAs, so the UE's retransmitted de-REGISTER could not be answered
     * (examples/sipp/README.md). The kernel here has no netem (CONFIG_NET_SCH_NETEM), hence tbf and nftables.
     */
    @Test
    void shouldRegisterSippThroughASlowLossyPathWithBothSidesRetransmitting() throws Exception
    {
        registerThroughBothDaemons(true);
    }

    /**
     * The P-CSCF side loses datagrams among its first this many bytes only (see the lossy test). At its egress the 401
     * is 633 bytes and a 200 OK in ESP 510: the 200 OK to the de-REGISTER follows at least two 401s (the first is
     * lost) and four 200 OKs (one of them lost), 3306 bytes, so it is never lost, while the 401 and the second 200 OK
     * always are.
     */
    static final int PCSCF_LOSSY_BYTES = 3000;

    private void registerThroughBothDaemons(final boolean lossy) throws Exception
    {
        final Path work = fixture.work;
        final Lab lab = lab("sipp");
        final Netns ueNs = lab.ueNs();
        final Netns pcNs = lab.pcNs();
        if (lossy)
        {
            slowAndLossy(ueNs, "veth-ue", 0);
            slowAndLossy(pcNs, "veth-pc", PCSCF_LOSSY_BYTES);
        }

        final Path pcap = work.resolve("veth-pc.pcap");
        final WireCapture capture = WireCapture.start(pcNs, "veth-pc", pcap, WireCapture.HEADERS);
        final List<String> peersCommand = SipBridgeEndToEndTest.javaCommand(SipPeers.class.getName(), "pcscf-proxy", PCSCF, SCSCF);
        peersCommand.addAll(peersCommand.indexOf("-cp"), List.of("-Desp4j.sippeers.vector=sipp", "-Desp4j.sippeers.registers=4"));
        final Process peers = pcNs.start("pcscf", peersCommand);
        final Path pcSocket = lab.pcSocket();
        final Path ueSocket = lab.ueSocket();
        final Process[] daemons = daemons(lab, UE, K, OPC);
        final Process pcDaemon = daemons[0];
        final Process ueDaemon = daemons[1];
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-READY", 60_000), pcNs.logText("pcscf"));

        final Process sipp = ueNs.start("sipp", List.of("sipp", "-sf", scenario().toString(), "-set", "pcscf", PCSCF, "-i", UE, "-p", "38003",
            "[" + PCSCF + "]:5060", "-t", "u1", "-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error"));
        if (!sipp.waitFor(lossy ? 120 : 90, TimeUnit.SECONDS))
        {
            fail("SIPp did not finish:\n" + logs(ueNs, pcNs));
        }
        assertEquals(0, sipp.exitValue(), "SIPp: all calls successful\n" + logs(ueNs, pcNs));
        assertTrue(ONE_SUCCESSFUL_CALL.matcher(ueNs.logText("sipp")).find(), logs(ueNs, pcNs));
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-DONE", 30_000), logs(ueNs, pcNs));

        SipBridgeEndToEndTest.awaitNoSas(pcSocket, pcNs);
        SipBridgeEndToEndTest.awaitNoSas(ueSocket, ueNs);
        for (final String side : new String[]{ "pc", "ue" })
        {
            final Map<String, Long> counters = TunDaemonEndToEndTest.readCounters(fixture.countersFile(side));
            // four ESP messages each way (more only if SIPp's 500 ms timer re-sent one on a busy machine)
            assertTrue(counters.getOrDefault("Esp4jInDelivered", 0L) >= 4L, side + ": ESP delivered in " + counters);
            assertEquals(0L, counters.getOrDefault("XfrmInNoStates", 0L), side + " " + counters);
        }

        capture.stop(UE); // once the last ESP is in the file
        int espUeToPcscf = 0;
        int espPcscfToUe = 0;
        int clearOnProtectedPorts = 0;
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                final ByteBuffer ip = SipBridgeEndToEndTest.ipv6(frame);
                if (ip == null)
                {
                    continue;
                }
                final int nextHeader = ip.get(6) & 0xFF;
                final long spi = ip.getInt(40) & 0xFFFF_FFFFL;
                if (nextHeader == 50)
                {
                    espUeToPcscf += spi == SipPeers.PCSCF_SPI_S ? 1 : 0;
                    espPcscfToUe += spi == SipPeers.UE_SPI_C ? 1 : 0;
                }
                else if (nextHeader == 17 || nextHeader == 6)
                {
                    final int sport = ip.getShort(40) & 0xFFFF;
                    final int dport = ip.getShort(42) & 0xFFFF;
                    // the SA selectors' port pairs (the first REGISTER leaves port-c for 5060 in clear, rightly)
                    for (final int[] flow : SipBridgeEndToEndTest.PROTECTED_FLOWS) // SIPp uses SipPeers' UE ports
                    {
                        clearOnProtectedPorts += flow[0] == sport && flow[1] == dport ? 1 : 0;
                    }
                }
            }
        }
        // at least: a retransmission by SIPp's timer is one more ESP packet with the same SPI
        assertTrue(espUeToPcscf >= 4, "REGISTER, 2 re-REGISTERs, de-REGISTER as ESP with the P-CSCF's spi-s: " + espUeToPcscf);
        assertTrue(espPcscfToUe >= 4, "their 200 OKs as ESP with the UE's spi-c: " + espPcscfToUe);
        assertEquals(0, clearOnProtectedPorts, "nothing in clear on the SAs' port pairs");

        assertEquals(SIGTERM_EXIT, Netns.stop(pcDaemon, 20_000), pcNs.logText("daemon"));
        assertEquals(SIGTERM_EXIT, Netns.stop(ueDaemon, 20_000), ueNs.logText("daemon"));
        assertTrue(ueNs.logText("daemon").contains("LIFETIME_EXTENDED"), ueNs.logText("daemon"));
        if (lossy)
        {
            assertTrue(dropped(ueNs) >= 3 && dropped(pcNs) >= 2, "datagrams lost: UE side " + dropped(ueNs) +
                ", P-CSCF side " + dropped(pcNs));
            final String application = pcNs.logText("pcscf");
            assertTrue(application.contains("PCSCF-RESENT-401") && application.contains("PCSCF-RESENT-200"),
                "the P-CSCF application answered retransmissions:\n" + application);
            for (final Netns netns : new Netns[]{ ueNs, pcNs })
            {
                final String log = netns.logText("daemon");
                assertTrue(!log.contains("AKA_SYNC_FAILURE") && !log.contains("FLOW_CONFLICT") &&
                    !log.contains("REQUEST_REJECTED"), netns.name() + ":\n" + log);
            }
            assertTrue(ueNs.logText("daemon").contains("RETRANSMISSION_IGNORED"), ueNs.logText("daemon"));
        }
    }

    /**
     * A slow, lossy egress: tbf at 64 kbit/s, and an nftables netdev table on the egress hook that drops every third
     * SIP or ESP datagram (the first included), among the first {@code lossyBytes} bytes only when that is not 0.
     */
    private static void slowAndLossy(final Netns netns, final String device, final int lossyBytes) throws Exception
    {
        netns.tc("qdisc", "add", "dev", device, "root", "tbf", "rate", "64kbit", "burst", "1600", "latency", "2s");
        final String quota = lossyBytes == 0 ? "" : "quota until " + lossyBytes + " bytes ";
        netns.nftInput(String.join("\n",
            "table netdev esp4j_loss {",
            "  counter lost { }",
            "  chain egress {",
            "    type filter hook egress device \"" + device + "\" priority 0; policy accept;",
            "    udp dport 9 accept",
            "    meta l4proto { udp, esp } " + quota + "numgen inc mod 3 == 0 counter name lost drop",
            "  }",
            "}", ""));
    }

    /** @return the datagrams the namespace's egress loss dropped so far. */
    private static long dropped(final Netns netns) throws Exception
    {
        final java.util.regex.Matcher packets = Pattern.compile("packets (\\d+)")
            .matcher(netns.nft("list", "counter", "netdev", "esp4j_loss", "lost"));
        return packets.find() ? Long.parseLong(packets.group(1)) : -1;
    }

    /** examples/sipp/uac-register-aka.xml of this checkout (the tests run in a module directory). */
    private static Path scenario()
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            final Path scenario = dir.resolve("examples/sipp/uac-register-aka.xml");
            if (Files.isRegularFile(scenario))
            {
                return scenario;
            }
        }
        throw new IllegalStateException("examples/sipp/uac-register-aka.xml not found above " + Path.of("").toAbsolutePath());
    }

    private static String logs(final Netns ueNs, final Netns pcNs)
    {
        return "SIPp:\n" + ueNs.logText("sipp") + "\nUE daemon:\n" + ueNs.logText("daemon") +
            "\nP-CSCF peers:\n" + pcNs.logText("pcscf") + "\nP-CSCF daemon:\n" + pcNs.logText("daemon");
    }
}
