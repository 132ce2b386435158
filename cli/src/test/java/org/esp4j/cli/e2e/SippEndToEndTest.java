package org.esp4j.cli.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
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
class SippEndToEndTest
{
    /** examples/sipp's subscriber: OPc of K a1b2... and OP b1c2... (examples/sipp/milenage-vector.py). */
    private static final String K = "a1b2c3d4e5f6a7b8c9dae1f2a3b4c5d6";
    private static final String OPC = "f64f61a86141a0714bc8eb9082d08726";
    private static final Pattern ONE_SUCCESSFUL_CALL = Pattern.compile("Successful call\\s+\\|\\s+\\d+\\s+\\|\\s+1\\s");

    /** The namespaces, work directory and daemons of the SIP bridge's end-to-end test, reused as they are. */
    private final SipBridgeEndToEndTest fixture = new SipBridgeEndToEndTest();
    private final long pid = ProcessHandle.current().pid();

    @BeforeEach
    void setUp() throws IOException
    {
        fixture.setUp();
    }

    @AfterEach
    void tearDown() throws IOException
    {
        fixture.tearDown();
    }

    @Test
    void shouldRegisterReRegisterTwiceAndDeRegisterSippOverUdpThroughBothDaemonRoles() throws Exception
    {
        final Path work = fixture.work;
        final Netns ueNs = Netns.create("esp4j-sippue-" + pid, work);
        fixture.namespaces.add(ueNs);
        final Netns pcNs = Netns.create("esp4j-sipppc-" + pid, work);
        fixture.namespaces.add(pcNs);
        SipBridgeEndToEndTest.link(ueNs, pcNs);
        pcNs.ip().check("-6", "addr", "add", SCSCF + "/128", "dev", "lo", "nodad");

        final Path pcap = work.resolve("veth-pc.pcap");
        final Process tcpdump = SipBridgeEndToEndTest.capture(pcNs, "veth-pc", pcap);
        final List<String> peersCommand = SipBridgeEndToEndTest.javaCommand(SipPeers.class.getName(), "pcscf-proxy", PCSCF, SCSCF);
        peersCommand.addAll(peersCommand.indexOf("-cp"), List.of("-Desp4j.sippeers.vector=sipp", "-Desp4j.sippeers.registers=4"));
        final Process peers = pcNs.start("pcscf", peersCommand);
        final Path pcSocket = work.resolve("pc.sock");
        final Path ueSocket = work.resolve("ue.sock");
        final Process pcDaemon = fixture.startDaemon(pcNs, "pc", pcSocket, UE, false, "--sip-bridge", "pcscf");
        final Process ueDaemon = fixture.startDaemon(ueNs, "ue", ueSocket, PCSCF, false,
            "--sip-bridge", "ue", "--k", K, "--opc", OPC);
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-READY", 20_000), pcNs.logText("pcscf"));
        SipBridgeEndToEndTest.awaitReady(pcNs, pcDaemon);
        SipBridgeEndToEndTest.awaitReady(ueNs, ueDaemon);

        final Process sipp = ueNs.start("sipp", List.of("sipp", "-sf", scenario().toString(), "-set", "pcscf", PCSCF, "-i", UE, "-p", "38003",
            "[" + PCSCF + "]:5060", "-t", "u1", "-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error"));
        if (!sipp.waitFor(90, TimeUnit.SECONDS))
        {
            fail("SIPp did not finish:\n" + logs(ueNs, pcNs));
        }
        assertEquals(0, sipp.exitValue(), "SIPp: all calls successful\n" + logs(ueNs, pcNs));
        assertTrue(ONE_SUCCESSFUL_CALL.matcher(ueNs.logText("sipp")).find(), logs(ueNs, pcNs));
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-DONE", 10_000), logs(ueNs, pcNs));

        SipBridgeEndToEndTest.awaitNoSas(pcSocket, pcNs);
        SipBridgeEndToEndTest.awaitNoSas(ueSocket, ueNs);
        for (final String side : new String[]{ "pc", "ue" })
        {
            final Map<String, Long> counters = TunDaemonEndToEndTest.readCounters(fixture.countersFile(side));
            // four ESP messages each way (more only if SIPp's 500 ms timer re-sent one on a busy machine)
            assertTrue(counters.getOrDefault("Esp4jInDelivered", 0L) >= 4L, side + ": ESP delivered in " + counters);
            assertEquals(0L, counters.getOrDefault("XfrmInNoStates", 0L), side + " " + counters);
        }

        Thread.sleep(500); // let the last ESP reach the capture
        Netns.stop(tcpdump, 10_000);
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
