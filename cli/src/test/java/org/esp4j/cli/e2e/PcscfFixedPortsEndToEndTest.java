package org.esp4j.cli.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.PCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SIGTERM_EXIT;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.UE;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.javaCommand;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.xfrm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two UEs behind one P-CSCF daemon ({@code --sip-bridge pcscf}) whose P-CSCF application uses the fixed port-c/port-s
 * 50717/50718 for everyone and fixed SPIs per UE (it draws none), across two namespaces: both register at the same
 * time and both are protected. A third UE, to which the application (misconfigured) hands the first UE's SPIs, gets
 * a {@code FLOW_CONFLICT} event and a {@code TunSipFlowConflicts} count from the P-CSCF daemon, which installs none of
 * its SAs or policies: the two registrations keep theirs, and the third UE's protected REGISTER never reaches the
 * application.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PcscfFixedPortsEndToEndTest extends SipLabTest
{
    private static final String UE2 = "2001::1:d1ae:bb37:d9c9:81d1";
    private static final String UE3 = "2001::1:d1ae:bb37:d9c9:81d2";
    /** The three UEs, one route and one steering prefix on the P-CSCF side. */
    private static final String UE_PREFIX = "2001::1:d1ae:bb37:d9c9:81d0/126";
    private static final long UE2_SPI_C = 3458785865L;
    private static final long UE2_SPI_S = 2821032179L;

    @Test
    void shouldProtectTwoUesOnTheApplicationsFixedPortsAndReportAThirdOnTheFirstsSpisAsAConflict() throws Exception
    {
        final Path work = fixture.work;
        final Lab lab = lab("fix");
        final Netns ueNs = lab.ueNs();
        final Netns pcNs = lab.pcNs();
        for (final String ue : new String[]{ UE2, UE3 })
        {
            ueNs.ip().check("-6", "addr", "add", ue + "/128", "dev", "veth-ue", "nodad");
        }
        pcNs.ip().check("-6", "route", "add", UE_PREFIX, "dev", "veth-pc");

        final Path pcap = work.resolve("veth-pc.pcap");
        final WireCapture capture = WireCapture.start(pcNs, "veth-pc", pcap, WireCapture.WHOLE);
        final List<String> peersCommand = javaCommand(SipPeers.class.getName(), "pcscf-proxy-n", PCSCF, SCSCF, "2");
        // fixed SPIs per UE; the third UE gets the first one's (the conflict)
        peersCommand.add(peersCommand.indexOf("-cp"), "-Desp4j.sippeers.spis=" + UE2 + "=" + UE2_SPI_C + "/" + UE2_SPI_S +
            "," + UE3 + "=" + SipPeers.PCSCF_SPI_C + "/" + SipPeers.PCSCF_SPI_S);
        final Process peers = pcNs.start("pcscf", peersCommand);
        final Path pcSocket = lab.pcSocket();
        final Process[] daemons = daemons(lab, UE_PREFIX, SipPeers.K, SipPeers.OPC);
        final Process pcDaemon = daemons[0];
        final Process ueDaemon = daemons[1];
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-READY", 60_000), pcNs.logText("pcscf"));

        // both UEs registered at the same time, each over its own four SAs
        final Process first = register(ueNs, "ue1", UE, work.resolve("ue1.go"));
        awaitRegistered(ueNs, "ue1", first, pcNs);
        final Process second = register(ueNs, "ue2", UE2, work.resolve("ue2.go"));
        awaitRegistered(ueNs, "ue2", second, pcNs);
        final String pcStates = xfrm(pcSocket, "state", "list");
        for (final long spi : new long[]{ SipPeers.PCSCF_SPI_S, SipPeers.PCSCF_SPI_C, UE2_SPI_S, UE2_SPI_C })
        {
            assertTrue(pcStates.contains("spi 0x" + String.format("%08x", spi)), "P-CSCF SA " + spi + ":\n" + pcStates);
        }
        assertTrue(count(pcSocket).contains("SAD count 8"), pcStates);
        final String pcPolicies = xfrm(pcSocket, "policy", "list");
        assertTrue(pcPolicies.contains("sport 50718") && mentions(pcPolicies, UE) && mentions(pcPolicies, UE2), pcPolicies);

        // the third UE: the application's 401 hands it the first UE's SPIs
        final Process third = register(ueNs, "ue3", UE3, work.resolve("ue3.go"));
        awaitLog(pcNs, "daemon", pcDaemon, "FLOW_CONFLICT", ueNs, pcNs);
        assertTrue(pcNs.logText("daemon").contains("already in use by"), pcNs.logText("daemon"));
        // the counters file follows within a second or so
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counters("pc").getOrDefault("TunSipFlowConflicts", 0L) == 0L && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(50);
        }
        assertEquals(1L, counters("pc").getOrDefault("TunSipFlowConflicts", 0L), counters("pc").toString());
        assertTrue(count(pcSocket).contains("SAD count 8"), "nothing of the third set installed:\n" +
            xfrm(pcSocket, "state", "list"));
        final String policies = xfrm(pcSocket, "policy", "list");
        assertFalse(mentions(policies, UE3), "no policy for the third UE:\n" + policies);
        Netns.stop(third, 5_000); // its protected REGISTER found no SA at the P-CSCF: it would wait for its timeout

        // both de-register over their SAs; the P-CSCF daemon is left with none
        Files.createFile(work.resolve("ue1.go"));
        Files.createFile(work.resolve("ue2.go"));
        for (final String ue : new String[]{ "ue1", "ue2" })
        {
            final Process client = "ue1".equals(ue) ? first : second;
            assertTrue(client.waitFor(60, TimeUnit.SECONDS) && client.exitValue() == 0 &&
                ueNs.logText(ue).contains("UE-DONE"), logs(ueNs, pcNs));
        }
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-DONE", 30_000), logs(ueNs, pcNs));
        SipBridgeEndToEndTest.awaitNoSas(pcSocket, pcNs);
        final String application = pcNs.logText("pcscf");
        for (final String ue : new String[]{ UE, UE2 })
        {
            final String from = " from " + InetAddress.getByName(ue).getHostAddress();
            assertTrue(application.contains("CSeq: 2 REGISTER Expires: 600000" + from) &&
                application.contains("CSeq: 3 REGISTER Expires: 0" + from), application);
        }
        assertFalse(application.contains("REGISTER Expires: 600000 from " + InetAddress.getByName(UE3).getHostAddress()),
            "the third UE's protected REGISTER never reached the application:\n" + application);

        capture.stop(UE);
        final Map<String, Integer> esp = new java.util.TreeMap<>();
        final int[] clearToPortS = { 0 };
        eachIpv6(pcap, (frame, ip) ->
        {
            final int nextHeader = ip.get(6) & 0xFF;
            if (nextHeader == 50)
            {
                esp.merge(String.format("%02x", ip.get(23) & 0xFF) + "/" + (ip.getInt(40) & 0xFFFF_FFFFL), 1, Integer::sum);
            }
            else if ((nextHeader == 17 || nextHeader == 6) && (ip.getShort(42) & 0xFFFF) == SipPeers.PCSCF_PORT_S)
            {
                clearToPortS[0]++;
            }
        });
        assertEquals(0, clearToPortS[0], "nothing to port-s in clear");
        assertTrue(esp.getOrDefault("d0/" + SipPeers.PCSCF_SPI_S, 0) >= 2 && esp.getOrDefault("d1/" + UE2_SPI_S, 0) >= 2,
            "each UE's REGISTER and de-REGISTER as ESP with its own spi-s: " + esp);

        assertEquals(SIGTERM_EXIT, Netns.stop(pcDaemon, 20_000), pcNs.logText("daemon"));
        assertEquals(SIGTERM_EXIT, Netns.stop(ueDaemon, 20_000), ueNs.logText("daemon"));
    }

    private Process register(final Netns ueNs, final String name, final String ue, final Path go) throws IOException
    {
        return ueNs.start(name, javaCommand(SipPeers.class.getName(), "ue-register", ue, PCSCF, go.toString()));
    }

    private static void awaitRegistered(final Netns ueNs, final String name, final Process client, final Netns pcNs)
        throws InterruptedException
    {
        if (!ueNs.awaitLog(name, client, "UE-REGISTERED", 60_000))
        {
            fail(name + " not registered:\n" + ueNs.logText(name) + "\n" + logs(ueNs, pcNs));
        }
    }

    private static void awaitLog(final Netns netns, final String log, final Process process, final String text,
        final Netns ueNs, final Netns pcNs) throws InterruptedException
    {
        if (!netns.awaitLog(log, process, text, 60_000))
        {
            fail("no " + text + " in " + netns.name() + "'s " + log + ":\n" + logs(ueNs, pcNs));
        }
    }

    /** The address in either text form: RFC 5952 (the daemon's) or Java's. */
    private static boolean mentions(final String text, final String address) throws IOException
    {
        return text.contains(address) || text.contains(InetAddress.getByName(address).getHostAddress());
    }

    private static String count(final Path socket)
    {
        return xfrm(socket, "state", "count").trim();
    }

    private Map<String, Long> counters(final String side) throws IOException
    {
        return TunDaemonEndToEndTest.readCounters(fixture.countersFile(side));
    }

    private static String logs(final Netns ueNs, final Netns pcNs)
    {
        final StringBuilder text = new StringBuilder();
        for (final String name : Arrays.asList("ue1", "ue2", "ue3", "daemon"))
        {
            text.append("UE side ").append(name).append(":\n").append(ueNs.logText(name)).append('\n');
        }
        return text + "P-CSCF application:\n" + pcNs.logText("pcscf") + "\nP-CSCF daemon:\n" + pcNs.logText("daemon");
    }
}
