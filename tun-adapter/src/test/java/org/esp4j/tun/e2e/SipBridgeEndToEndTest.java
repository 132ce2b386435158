package org.esp4j.tun.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.control.ControlClient;
import org.esp4j.tun.daemon.DaemonMain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An unmodified SIP client gets IPsec from the daemon's SIP bridge: the UE daemon ({@code sip.role=ue} with the
 * subscriber's K/OPc) watches the REGISTER / 401 exchange, derives IK with Milenage, installs the four SAs and
 * their policies, and the client's protected REGISTER from port-c to port-s leaves as ESP with the P-CSCF's spi-s.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SipBridgeEndToEndTest
{
    private static final String UE = "2001::1:d1ae:bb37:d9c9:81d0";
    private static final String PCSCF = "2001:0:0:1::2";
    private static final int SIGTERM_EXIT = 143;

    private final long pid = ProcessHandle.current().pid();
    private final List<Netns> namespaces = new ArrayList<>();
    private Path work;

    @BeforeEach
    void setUp() throws IOException
    {
        RootAssumptions.assumeRootOrCi();
        work = Files.createTempDirectory("esp4j-sip-e2e-");
    }

    @AfterEach
    void tearDown() throws IOException
    {
        namespaces.forEach(Netns::close);
        namespaces.clear();
        if (work != null && !Boolean.getBoolean("esp4j.e2e.keep"))
        {
            try (java.util.stream.Stream<Path> files = Files.walk(work))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void shouldProtectTheClientsSecondRegisterWithSasLearnedFromTheExchange() throws Exception
    {
        final Netns ueNs = Netns.create("esp4j-sipue-" + pid, work);
        namespaces.add(ueNs);
        final Netns pcNs = Netns.create("esp4j-sippc-" + pid, work);
        namespaces.add(pcNs);
        ueNs.ip().check("link", "add", "veth-ue", "type", "veth", "peer", "name", "veth-pc", "netns", pcNs.name());
        ueNs.ip().check("-6", "addr", "add", UE + "/128", "dev", "veth-ue", "nodad");
        pcNs.ip().check("-6", "addr", "add", PCSCF + "/128", "dev", "veth-pc", "nodad");
        ueNs.ip().check("link", "set", "veth-ue", "up");
        pcNs.ip().check("link", "set", "veth-pc", "up");
        ueNs.ip().check("-6", "route", "add", PCSCF + "/128", "dev", "veth-ue");
        pcNs.ip().check("-6", "route", "add", UE + "/128", "dev", "veth-pc");

        final Path pcap = work.resolve("veth-ue.pcap");
        final Process tcpdump = ueNs.start("tcpdump", List.of("tcpdump", "-i", "veth-ue", "-w", pcap.toString(), "-U",
            "--immediate-mode", "-n", "-s", "0", "-Z", "root"));
        assertTrue(ueNs.awaitLog("tcpdump", tcpdump, "listening on", 10_000), ueNs.logText("tcpdump"));

        final Process pcscf = pcNs.start("pcscf", javaCommand(SipPeers.class.getName(), "pcscf", PCSCF));
        assertTrue(pcNs.awaitLog("pcscf", pcscf, "PCSCF-READY", 20_000), pcNs.logText("pcscf"));

        final Path socket = work.resolve("ue.sock");
        final Path config = work.resolve("ue.conf");
        Files.writeString(config, String.join("\n",
            "tun.name=esp4j0",
            "carrier=raw",
            "steer=" + PCSCF + "/128",
            "counters.file=/dev/shm/esp4j-sip-e2e-" + pid + ".counters",
            "control.socket=" + socket,
            ""));
        final List<String> daemonCommand = javaCommand(DaemonMain.class.getName(), "--config", config.toString(),
            "--sip-bridge", "ue", "--k", SipPeers.K, "--opc", SipPeers.OPC);
        final Process daemon = ueNs.start("daemon", daemonCommand);
        if (!ueNs.awaitLog("daemon", daemon, DaemonMain.READY, 30_000))
        {
            fail("daemon did not start:\n" + ueNs.logText("daemon"));
        }

        final Process client = ueNs.start("ue", javaCommand(SipPeers.class.getName(), "ue", UE, PCSCF));
        assertTrue(client.waitFor(60, TimeUnit.SECONDS) && client.exitValue() == 0 &&
            ueNs.logText("ue").contains("UE-DONE"), "client: " + ueNs.logText("ue") + "\ndaemon:\n" +
            ueNs.logText("daemon") + "\nP-CSCF:\n" + pcNs.logText("pcscf"));

        final String states = xfrm(socket, "state", "list");
        for (final String spi : new String[]{ "0xa82588f1", "0x0008a239", "0x0008a23a", "0xce28e247" })
        {
            assertTrue(states.contains("spi " + spi), "SA " + spi + " missing:\n" + states + "\ndaemon:\n" +
                ueNs.logText("daemon"));
        }
        assertTrue(!states.contains("f769bcd7"), "keys must stay hidden: " + states);
        assertTrue(xfrm(socket, "policy", "list").contains("dport 50718"));

        Thread.sleep(500);
        Netns.stop(tcpdump, 10_000);
        int plainRegisterTo5060 = 0;
        int plainToPortS = 0;
        final List<Long> sequences = new ArrayList<>();
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

        assertEquals(SIGTERM_EXIT, Netns.stop(daemon, 20_000), ueNs.logText("daemon"));
        assertTrue(ueNs.logText("daemon").contains("sip-bridge"), ueNs.logText("daemon"));
    }

    private static String xfrm(final Path socket, final String... words)
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

    private static List<String> javaCommand(final String mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(TunDaemonEndToEndTest.javaExecutable()));
        command.addAll(TunDaemonEndToEndTest.jvmArgs());
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }
}
