package org.esp4j.cli.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.esp4j.cli.control.ControlClient;
import org.esp4j.cli.Esp4jMain;
import org.esp4j.cli.run.RunCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An unmodified SIP client (and P-CSCF) gets IPsec from the daemon's SIP bridge, over a veth pair between two
 * network namespaces with the IMS trace's addresses.
 * <ul>
 * <li>UE role: the UE daemon ({@code sip.role=ue} with the subscriber's K/OPc) watches the REGISTER / 401 exchange,
 * derives IK with Milenage, installs the four SAs and their policies, and the client's protected REGISTER -- sent
 * the moment the 401 arrives -- leaves as ESP with the P-CSCF's spi-s.</li>
 * <li>Both roles: a P-CSCF daemon ({@code sip.role=pcscf}, no K: it learns IK from the S-CSCF's {@code ck}/{@code ik})
 * and a UE daemon, each in front of a SIP peer that knows nothing of IPsec. After the 401 the protected REGISTER,
 * its 200 OK, the de-REGISTER and its 200 OK cross the veth as ESP with the negotiated SPIs, never in clear on the
 * protected ports, and reach the SIP peers as plaintext; the de-registration removes the P-CSCF's SAs.</li>
 * </ul>
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES) // bounds only: a loaded 2-core CI host needs minutes
class SipBridgeEndToEndTest
{
    static final String UE = "2001::1:d1ae:bb37:d9c9:81d0";
    static final String PCSCF = "2001:0:0:1::2";
    /** The S-CSCF, on the P-CSCF host's loopback: the Mw leg is plain SIP on 5060 the P-CSCF daemon sees. */
    static final String SCSCF = "2001:0:0:2::5";
    /** A clean stop on SIGTERM exits with 0 ({@link RunCommand}). */
    static final int SIGTERM_EXIT = RunCommand.EXIT_OK;
    static final long CAPTURE_FLUSH_TIMEOUT_MS = 30_000;
    private static final String[] SPIS = { "0xa82588f1", "0x0008a239", "0x0008a23a", "0xce28e247" };
    /** The SA selectors' port pairs (source, destination): nothing may cross the wire in clear on them. */
    static final int[][] PROTECTED_FLOWS = {
        { SipPeers.UE_PORT_C, SipPeers.PCSCF_PORT_S }, { SipPeers.PCSCF_PORT_S, SipPeers.UE_PORT_C },
        { SipPeers.PCSCF_PORT_C, SipPeers.UE_PORT_S }, { SipPeers.UE_PORT_S, SipPeers.PCSCF_PORT_C } };

    @RegisterExtension
    final E2eLab lab = new E2eLab("esp4j-sip-e2e-");
    Path work;

    @BeforeEach
    void setUp()
    {
        work = lab.work();
    }

    @Test
    void shouldProtectTheClientsSecondRegisterWithSasLearnedFromTheExchange() throws Exception
    {
        final Netns ueNs = lab.netns("esp4j-sipue");
        final Netns pcNs = lab.netns("esp4j-sippc");
        link(ueNs, pcNs);

        final Path pcap = work.resolve("veth-ue.pcap");
        final WireCapture capture = WireCapture.start(ueNs, "veth-ue", pcap, WireCapture.WHOLE);

        final Process pcscf = pcNs.start("pcscf", javaCommand(SipPeers.class.getName(), "pcscf", PCSCF));
        assertTrue(pcNs.awaitLog("pcscf", pcscf, "PCSCF-READY", 120_000), pcNs.logText("pcscf"));

        // The daemon's sniffer thread is stalled (test hook): the 401 reaches the bridge only when the client's
        // answer, sent the moment the 401 arrived, reaches the TUN -- the race, every time.
        final Path socket = work.resolve("ue.sock");
        final Process daemon = startDaemon(ueNs, "ue", socket, PCSCF, true,
            "--sip-bridge", "ue", "--k", SipPeers.K, "--opc", SipPeers.OPC);
        awaitReady(ueNs, daemon);

        final Process client = ueNs.start("ue", javaCommand(SipPeers.class.getName(), "ue", UE, PCSCF));
        assertTrue(client.waitFor(180, TimeUnit.SECONDS) && client.exitValue() == 0 &&
            ueNs.logText("ue").contains("UE-DONE"), "client: " + ueNs.logText("ue") + "\ndaemon:\n" +
            ueNs.logText("daemon") + "\nP-CSCF:\n" + pcNs.logText("pcscf"));

        // the bridge installs the four SAs one after the other; the client may be done before the last
        final String states = awaitStates(socket, SPIS);
        for (final String spi : SPIS)
        {
            assertTrue(states.contains("spi " + spi), "SA " + spi + " missing:\n" + states + "\ndaemon:\n" +
                ueNs.logText("daemon"));
        }
        assertTrue(!states.contains("f769bcd7"), "keys must stay hidden: " + states);
        assertTrue(xfrm(socket, "policy", "list").contains("dport 50718"));

        capture.stop(PCSCF); // once the last ESP is in the file
        int plainRegisterTo5060 = 0;
        int plainToPortS = 0;
        final List<Long> sequences = new ArrayList<>();
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                final ByteBuffer ip = ipv6(frame);
                if (ip == null)
                {
                    continue;
                }
                final int nextHeader = ip.get(6) & 0xFF;
                if (nextHeader == 50 && (ip.getInt(40) & 0xFFFF_FFFFL) == SipPeers.PCSCF_SPI_S)
                {
                    sequences.add(ip.getInt(44) & 0xFFFF_FFFFL);
                }
                else if (nextHeader == 17)
                {
                    final int dport = ip.getShort(42) & 0xFFFF;
                    plainRegisterTo5060 += dport == 5060 ? 1 : 0;
                    plainToPortS += dport == SipPeers.PCSCF_PORT_S ? 1 : 0;
                }
            }
        }
        assertEquals(1, plainRegisterTo5060, "the first REGISTER goes to 5060 in clear");
        assertEquals(0, plainToPortS, "the protected REGISTER must never be seen in clear");
        assertEquals(List.of(1L, 2L, 3L), sequences, "the REGISTERs to port-s as ESP with spi-s, in sequence");
        final Map<String, Long> counters = TunDaemonEndToEndTest.readCounters(countersFile("ue"));
        assertEquals(0L, counters.getOrDefault("XfrmOutNoStates", 0L), "no REGISTER was held for want of SAs");

        assertEquals(SIGTERM_EXIT, Netns.stop(daemon, 60_000), ueNs.logText("daemon"));
        assertTrue(ueNs.logText("daemon").contains("sip-bridge"), ueNs.logText("daemon"));
    }

    @Test
    void shouldCarryTheRegistrationAsEspBetweenAUeAndAPcscfDaemonAndRemoveThePcscfSasOnDeRegistration()
        throws Exception
    {
        final Netns ueNs = lab.netns("esp4j-sip2ue");
        final Netns pcNs = lab.netns("esp4j-sip2pc");
        link(ueNs, pcNs);
        pcNs.ip().check("-6", "addr", "add", SCSCF + "/128", "dev", "lo", "nodad");

        final Path pcap = work.resolve("veth-pc.pcap");
        final WireCapture capture = WireCapture.start(pcNs, "veth-pc", pcap, WireCapture.WHOLE);
        final Process peers = pcNs.start("pcscf", javaCommand(SipPeers.class.getName(), "pcscf-proxy", PCSCF, SCSCF));
        final Path pcSocket = work.resolve("pc.sock");
        final Path ueSocket = work.resolve("ue.sock");
        // The P-CSCF daemon has no K: its keys can only come from the S-CSCF's ck/ik.
        // Its sniffer thread is stalled (test hook): every message it receives reaches its bridge only when the
        // P-CSCF application's answer reaches the TUN. The UE daemon's sniffer runs as usual.
        final Process pcDaemon = startDaemon(pcNs, "pc", pcSocket, UE, true, "--sip-bridge", "pcscf");
        final Process ueDaemon = startDaemon(ueNs, "ue", ueSocket, PCSCF, false,
            "--sip-bridge", "ue", "--k", SipPeers.K, "--opc", SipPeers.OPC);
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-READY", 120_000), pcNs.logText("pcscf"));
        awaitReady(pcNs, pcDaemon);
        awaitReady(ueNs, ueDaemon);

        final Path go = work.resolve("deregister.go");
        final Process client = ueNs.start("ue", javaCommand(SipPeers.class.getName(), "ue-register", UE, PCSCF,
            go.toString()));
        if (!ueNs.awaitLog("ue", client, "UE-REGISTERED", 180_000))
        {
            fail("not registered:\n" + logs(ueNs, pcNs));
        }

        // registered: both daemons hold the four SAs (that the keys agree, the ICV checks below show), and the
        // P-CSCF's set is established: its 200 OK found the protected REGISTER already drained
        final String pcStates = xfrm(pcSocket, "state", "list");
        final String ueStates = xfrm(ueSocket, "state", "list");
        for (final String spi : SPIS)
        {
            assertTrue(pcStates.contains("spi " + spi), "P-CSCF SA " + spi + " missing:\n" + pcStates);
            assertTrue(ueStates.contains("spi " + spi), "UE SA " + spi + " missing:\n" + ueStates);
        }
        assertTrue(pcNs.logText("daemon").contains("SET_ESTABLISHED: lifetime 600030 s"), pcNs.logText("daemon"));
        assertTrue(xfrm(pcSocket, "policy", "list").contains("sport 50718"));
        // the inbound filter follows the policies the bridge installed: clear packets to the P-CSCF's protected
        // ports are dropped from now on (the daemon started without in-policies, so without a table)
        awaitRuleset(pcNs, ruleset -> ruleset.contains("table inet esp4j_esp4j0") &&
            templateMismatchSet(ruleset).contains(" . udp . 38003 . 50718") &&
            templateMismatchSet(ruleset).contains(" . tcp . 38003 . 50718"));
        // and the packet ring takes the ESP of the P-CSCF's two inbound SAs (and only theirs) from the kernel early
        awaitRuleset(pcNs, ruleset -> ruleset.contains("table inet esp4j_esp_esp4j0") &&
            ruleset.contains("esp spi @spis drop") && ruleset.contains("elements = { 2821032177, 3458785863 }") &&
            !ruleset.contains("565817"));

        Files.createFile(go);
        assertTrue(client.waitFor(180, TimeUnit.SECONDS) && client.exitValue() == 0 &&
            ueNs.logText("ue").contains("UE-DONE"), logs(ueNs, pcNs));
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-DONE", 60_000), logs(ueNs, pcNs));
        // the protected REGISTERs reached the P-CSCF application as plaintext on port-s
        assertTrue(pcNs.logText("pcscf").contains("PCSCF-PROTECTED-REGISTER CSeq: 2 REGISTER Expires: 600000") &&
            pcNs.logText("pcscf").contains("PCSCF-PROTECTED-REGISTER CSeq: 3 REGISTER Expires: 0"),
            pcNs.logText("pcscf"));

        // de-registered: the P-CSCF's SAs are gone (removed once its 200 OK had left, see below); their policies
        // linger 64*T1 = 32 s, so the flows stay blocked (a retransmitted 200 OK is dropped, not sent in clear) and the
        // inbound filter stays; the packet ring has no SA left to take ESP for: no early-drop table
        awaitNoSas(pcSocket, pcNs);
        awaitNoSas(ueSocket, ueNs);
        final String pcPolicies = xfrm(pcSocket, "policy", "list");
        assertTrue(pcPolicies.contains("sport 50718") && pcPolicies.contains("dport 50718"), pcPolicies);
        awaitRuleset(pcNs, ruleset -> templateMismatchSet(ruleset).contains(" . udp . 38003 . 50718") &&
            templateMismatchSet(ruleset).contains(" . tcp . 38003 . 50718") &&
            !ruleset.contains("table inet esp4j_esp_esp4j0"));
        for (final String side : new String[]{ "pc", "ue" })
        {
            final Map<String, Long> counters = TunDaemonEndToEndTest.readCounters(countersFile(side));
            // Both ESP messages each side received passed the ICV check: the P-CSCF, which has no K, keyed its SAs
            // with the S-CSCF's ik, the UE with the IK its Milenage derived -- and they agree.
            assertEquals(2L, counters.getOrDefault("Esp4jInDelivered", 0L), side + ": two ESP messages in " + counters);
            for (final String drop : new String[]{ "XfrmOutNoStates", "XfrmInNoStates", "XfrmInTmplMismatch",
                "XfrmInStateProtoError" })
            {
                assertEquals(0L, counters.getOrDefault(drop, 0L), side + " " + drop + " in " + counters);
            }
        }

        capture.stop(UE); // once the last ESP is in the file
        final List<String> ueToPcscf = new ArrayList<>();
        final List<String> pcscfToUe = new ArrayList<>();
        int clearOnProtectedPorts = 0;
        int registersTo5060 = 0;
        int challengesFrom5060 = 0;
        int challenge = -1;
        int firstEsp = -1;
        String challengeText = "";
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            for (int index = 0; reader.next(frame); index++)
            {
                final ByteBuffer ip = ipv6(frame);
                if (ip == null)
                {
                    continue;
                }
                final int nextHeader = ip.get(6) & 0xFF;
                final boolean fromUe = ip.get(23) == (byte)0xd0; // UE ...:81d0, P-CSCF ...::2
                if (nextHeader == 50)
                {
                    firstEsp = firstEsp < 0 ? index : firstEsp;
                    (fromUe ? ueToPcscf : pcscfToUe).add(Long.toHexString(ip.getInt(40) & 0xFFFF_FFFFL) + "/" +
                        (ip.getInt(44) & 0xFFFF_FFFFL));
                }
                else if (nextHeader == 17 || nextHeader == 6)
                {
                    final int sport = ip.getShort(40) & 0xFFFF;
                    final int dport = ip.getShort(42) & 0xFFFF;
                    for (final int[] flow : PROTECTED_FLOWS)
                    {
                        clearOnProtectedPorts += flow[0] == sport && flow[1] == dport ? 1 : 0;
                    }
                    if (fromUe && dport == 5060)
                    {
                        registersTo5060++;
                    }
                    else if (!fromUe && sport == 5060)
                    {
                        challengesFrom5060++;
                        challenge = index;
                        challengeText = new String(frame.data(), frame.networkOffset() + 48,
                            frame.length() - frame.networkOffset() - 48, StandardCharsets.US_ASCII);
                    }
                }
            }
        }
        assertEquals(0, clearOnProtectedPorts, "nothing in clear on the protected ports");
        assertEquals(1, registersTo5060, "the first REGISTER goes to 5060 in clear");
        assertEquals(1, challengesFrom5060, "and its 401 comes back from 5060 in clear");
        assertTrue(challengeText.startsWith("SIP/2.0 401") && challengeText.contains("Security-Server") &&
            !challengeText.contains("ik="), "the 401 on the wire has the P-CSCF's Security-Server, no keys");
        assertTrue(firstEsp > challenge, "ESP only after the 401");
        assertEquals(List.of("a82588f1/1", "a82588f1/2"), ueToPcscf,
            "REGISTER and de-REGISTER from port-c to port-s as ESP with the P-CSCF's spi-s");
        assertEquals(List.of("8a239/1", "8a239/2"), pcscfToUe,
            "both 200 OKs from port-s to port-c as ESP with the UE's spi-c -- the second sent before the SAs went");

        assertEquals(SIGTERM_EXIT, Netns.stop(pcDaemon, 60_000), pcNs.logText("daemon"));
        assertEquals(SIGTERM_EXIT, Netns.stop(ueDaemon, 60_000), ueNs.logText("daemon"));
        final String pcLog = pcNs.logText("daemon");
        assertTrue(pcLog.contains("NETWORK_KEYS_LEARNT") && pcLog.contains("DEREGISTERED"), pcLog);
        assertTrue(!pcLog.contains(SipPeers.IK) && !pcLog.contains(SipPeers.CK), "keys are never logged");
    }

    /** veth-ue (UE) -- veth-pc (P-CSCF), with the IMS addresses and host routes. */
    static void link(final Netns ueNs, final Netns pcNs) throws IOException
    {
        ueNs.ip().check("link", "add", "veth-ue", "type", "veth", "peer", "name", "veth-pc", "netns", pcNs.name());
        ueNs.ip().check("-6", "addr", "add", UE + "/128", "dev", "veth-ue", "nodad");
        pcNs.ip().check("-6", "addr", "add", PCSCF + "/128", "dev", "veth-pc", "nodad");
        ueNs.ip().check("link", "set", "veth-ue", "up");
        pcNs.ip().check("link", "set", "veth-pc", "up");
        ueNs.ip().check("-6", "route", "add", PCSCF + "/128", "dev", "veth-ue");
        pcNs.ip().check("-6", "route", "add", UE + "/128", "dev", "veth-pc");
    }

    Path countersFile(final String side)
    {
        return lab.countersFile("esp4j-sip-e2e-" + side);
    }

    Process startDaemon(final Netns netns, final String side, final Path socket, final String steer,
        final boolean stalledSniffer, final String... sipArgs) throws IOException
    {
        final Path config = work.resolve(side + ".conf");
        final Path counters = countersFile(side);
        Files.writeString(config, String.join("\n",
            "tun.name=esp4j0",
            "carrier=raw",
            "steer=" + (steer.contains("/") ? steer : steer + "/128"),
            "counters.file=" + counters,
            "control.socket=" + socket,
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

    /** Wait (up to 30 s: the daemon follows the SPD once a second) for the namespace's nftables ruleset to match. */
    /** @return the inbound filter's IPv6 template-mismatch set as {@code nft list ruleset} shows it, or "". */
    private static String templateMismatchSet(final String ruleset)
    {
        final int start = ruleset.indexOf("set mismatch6 {");
        if (start < 0)
        {
            return "";
        }
        final int end = ruleset.indexOf("\n\t}", start); // the set's closing brace, one level in
        return end < 0 ? ruleset.substring(start) : ruleset.substring(start, end);
    }

    private static void awaitRuleset(final Netns netns, final java.util.function.Predicate<String> expected)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String ruleset = "";
        while (System.nanoTime() < deadline)
        {
            ruleset = netns.nft("list", "ruleset");
            if (expected.test(ruleset))
            {
                return;
            }
            Thread.sleep(100);
        }
        fail("nftables ruleset in " + netns.name() + ":\n" + ruleset + "\ndaemon:\n" + netns.logText("daemon"));
    }

    static void awaitReady(final Netns netns, final Process daemon) throws InterruptedException
    {
        if (!netns.awaitLog("daemon", daemon, RunCommand.READY, 120_000))
        {
            fail("daemon in " + netns.name() + " did not start:\n" + netns.logText("daemon"));
        }
    }

    /** @return the SA listing once every SPI is in it, or after 60 s (the caller's assertions then say which). */
    private static String awaitStates(final Path socket, final String... spis) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String states = xfrm(socket, "state", "list");
        while (!containsEverySpi(states, spis) && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(20);
            states = xfrm(socket, "state", "list");
        }
        return states;
    }

    private static boolean containsEverySpi(final String states, final String... spis)
    {
        for (final String spi : spis)
        {
            if (!states.contains("spi " + spi))
            {
                return false;
            }
        }
        return true;
    }

    /** The SAD empties within 30 s (the removals follow the last message by microseconds; the test is slower). */
    static void awaitNoSas(final Path socket, final Netns netns) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String count;
        while (!(count = xfrm(socket, "state", "count")).contains("SAD count 0"))
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail(netns.name() + " still has SAs (" + count.trim() + "):\n" + xfrm(socket, "state", "list") +
                    "\n" + netns.logText("daemon"));
            }
            Thread.sleep(20);
        }
    }

    /** The IPv6 packet of a frame (at least IPv6 + 8 bytes), or null. */
    static ByteBuffer ipv6(final PcapFrame frame)
    {
        final int at = frame.networkOffset();
        if (at < 0 || frame.length() - at < 48 || ((frame.data()[at] >> 4) & 0xF) != 6)
        {
            return null;
        }
        return ByteBuffer.wrap(frame.data(), at, frame.length() - at).slice().order(ByteOrder.BIG_ENDIAN);
    }

    private static String logs(final Netns ueNs, final Netns pcNs)
    {
        return "UE client:\n" + ueNs.logText("ue") + "\nUE daemon:\n" + ueNs.logText("daemon") +
            "\nP-CSCF peers:\n" + pcNs.logText("pcscf") + "\nP-CSCF daemon:\n" + pcNs.logText("daemon");
    }

    static String xfrm(final Path socket, final String... words)
    {
        final List<String> args = new ArrayList<>(List.of(words));
        args.add("--socket");
        args.add(socket.toString());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = ControlClient.runXfrm(args.toArray(new String[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    static List<String> javaCommand(final String mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(TunDaemonEndToEndTest.javaExecutable()));
        command.addAll(TunDaemonEndToEndTest.jvmArgs());
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }
}
