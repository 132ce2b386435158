package org.esp4j.tun.control;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.cli.control.ControlClient;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmAddresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control socket end to end, in-process and without root: a {@link ControlServer} on a socket in a temporary
 * directory, driven through {@link ControlClient}'s CLI entry points and through raw channels.
 */
class ControlServerTest
{
    private static final String SPI_DECIMAL = "3458785863";
    private static final String SPI_HEX = "0xce28e247";
    private static final String AUTH_KEY = "0xf769bcd751044604127672711c6d344100000000";
    private static final String ENC_KEY = "0xb40ba9a3c58b2a05bbf0d987b21bf8cb";

    @TempDir
    Path dir;

    private Path socket;
    private final CachedNanoClock clock = new CachedNanoClock();
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final ControlEvents events = new ControlEvents();
    private final AtomicInteger policyChanges = new AtomicInteger();
    private SecurityAssociationDatabase sad;
    private SecurityPolicyDatabase spd;
    private ControlServer server;

    @BeforeEach
    void start() throws IOException
    {
        clock.update(1_000_000_000L);
        socket = dir.resolve("run").resolve("esp4j.sock");
        sad = new SecurityAssociationDatabase(counters, clock, events);
        spd = new SecurityPolicyDatabase();
        server = new ControlServer(socket, sad, spd, counters, events)
            .policyChangeListener(policyChanges::incrementAndGet)
            .start();
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    @Test
    void socketIsOwnerOnlyInOwnerOnlyDirectoryAndRemovedAtClose()
    {
        assertEquals("rw-------", permissions(socket));
        assertEquals("rwx------", permissions(socket.getParent()));
        server.close();
        assertFalse(Files.exists(socket));
    }

    @Test
    void stateAddListGetCountDeleteRoundTrip()
    {
        assertEquals(0, xfrm("state", "add", "src", "2001:db8::1", "dst", "2001:db8::2", "proto", "esp", "spi",
            SPI_DECIMAL, "reqid", "7", "mode", "transport", "auth-trunc", "hmac(sha1)", AUTH_KEY, "96",
            "enc", "cbc(aes)", ENC_KEY).status);
        assertEquals(1, sad.size());

        final Result list = xfrm("state", "list");
        assertEquals(0, list.status);
        assertTrue(list.out.startsWith("src 2001:db8::1 dst 2001:db8::2\n"), list.out);
        assertTrue(list.out.contains("\tproto esp spi " + SPI_HEX + " reqid 7 mode transport\n"), list.out);
        assertTrue(list.out.contains("<<Keys hidden>>"), list.out);
        assertFalse(list.out.contains("f769bcd7"), "keys must be hidden by default");

        final Result withKeys = xfrm("state", "list", "--keys");
        assertTrue(withKeys.out.contains("auth-trunc hmac(sha1) " + AUTH_KEY + " 96"), withKeys.out);
        assertTrue(withKeys.out.contains("enc cbc(aes) " + ENC_KEY), withKeys.out);

        final Result get = xfrm("state", "get", "dst", "2001:db8::2", "proto", "esp", "spi", SPI_HEX);
        assertEquals(0, get.status);
        assertEquals(list.out, get.out);

        final Result getStats = xfrm("state", "get", "dst", "2001:db8::2", "proto", "esp", "spi", SPI_HEX, "-s");
        assertTrue(getStats.out.contains("spi " + SPI_HEX + "(" + SPI_DECIMAL + ")"), getStats.out);
        assertTrue(getStats.out.contains("lifetime current:"), getStats.out);

        assertEquals("\t SAD count 1\n", xfrm("state", "count").out);

        // iproute2's abbreviations work: "ip x s del ..."
        assertEquals(0, xfrm("s", "del", "src", "2001:db8::1", "dst", "2001:db8::2", "proto", "esp", "spi",
            SPI_HEX).status);
        assertEquals(0, sad.size());
        assertEquals("\t SAD count 0\n", xfrm("state", "count").out);

        final Result gone = xfrm("state", "get", "dst", "2001:db8::2", "proto", "esp", "spi", SPI_HEX);
        assertEquals(1, gone.status);
        assertTrue(gone.err.contains("no such SA: dst 2001:db8::2 proto esp spi " + SPI_HEX), gone.err);
    }

    @Test
    void stateUpdateFlushAndFilteredList()
    {
        addSa("2001:db8::1", "2001:db8::2", "0x1000");
        addSa("2001:db8::2", "2001:db8::1", "0x2000");
        // As in Linux, update changes an SA's lifetime in place; other changes are refused, not silently dropped.
        assertEquals(0, xfrm("state", "update", "src", "2001:db8::1", "dst", "2001:db8::2", "proto", "esp", "spi",
            "0x1000", "auth", "hmac(sha1)", AUTH_KEY, "enc", "cipher_null", "", "limit", "packet-hard", "1000").status);
        assertEquals(1000, sad.get(0x1000, XfrmAddresses.parse("2001:db8::2")).lifetime().packetsHardLimit());
        final Result reqidChange = xfrm("state", "update", "src", "2001:db8::1", "dst", "2001:db8::2", "proto", "esp",
            "spi", "0x1000", "reqid", "9", "auth", "hmac(sha1)", AUTH_KEY, "enc", "cipher_null", "");
        assertEquals(1, reqidChange.status);
        assertTrue(reqidChange.err.contains("reqid"), reqidChange.err);

        final Result filtered = xfrm("state", "list", "spi", "0x2000");
        assertTrue(filtered.out.contains("spi 0x00002000") && !filtered.out.contains("spi 0x00001000"),
            filtered.out);

        final Result duplicate = xfrm("state", "add", "src", "2001:db8::2", "dst", "2001:db8::1", "proto", "esp",
            "spi", "0x2000", "auth", "hmac(sha1)", AUTH_KEY, "enc", "cipher_null", "");
        assertEquals(1, duplicate.status);
        assertTrue(duplicate.err.contains("SA exists"), duplicate.err);

        assertEquals(0, xfrm("state", "deleteall", "dst", "2001:db8::1").status);
        assertEquals(1, sad.size());
        assertEquals(0, xfrm("state", "flush").status);
        assertEquals(0, sad.size());
        assertEquals("", xfrm("state", "list").out);
    }

    @Test
    void policyAddListGetCountDeleteFlushRoundTrip()
    {
        final String[] selector = {"src", "2001:db8::1/128", "dst", "2001:db8::2/128", "proto", "udp",
            "sport", "5060", "dport", "5062"};
        final List<String> add = new ArrayList<>(List.of("policy", "add"));
        add.addAll(List.of(selector));
        add.addAll(List.of("dir", "out", "priority", "100", "tmpl", "src", "2001:db8::1", "dst", "2001:db8::2",
            "proto", "esp", "reqid", "7", "mode", "transport"));
        assertEquals(0, xfrm(add.toArray(String[]::new)).status);
        assertEquals(1, spd.size());
        assertEquals(1, policyChanges.get());

        final Result list = xfrm("policy", "list");
        assertTrue(list.out.startsWith("src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062"),
            list.out);
        assertTrue(list.out.contains("\tdir out priority 100"), list.out);
        assertTrue(list.out.contains("proto esp reqid 7 mode transport"), list.out);
        assertEquals("", xfrm("policy", "list", "dir", "in").out);

        final List<String> get = new ArrayList<>(List.of("policy", "get"));
        get.addAll(List.of(selector));
        get.addAll(List.of("dir", "out"));
        assertEquals(list.out, xfrm(get.toArray(String[]::new)).out);

        assertEquals("\t SPD IN  0 OUT 1 FWD 0\n", xfrm("policy", "count").out);

        final SecurityPolicy installed = spd.list().get(0);
        assertEquals(0, xfrm("policy", "delete", "index", Integer.toString(installed.index()), "dir", "out").status);
        assertEquals(0, spd.size());
        assertEquals(2, policyChanges.get());

        final List<String> missing = new ArrayList<>(List.of("policy", "delete"));
        missing.addAll(List.of(selector));
        missing.addAll(List.of("dir", "out"));
        final Result gone = xfrm(missing.toArray(String[]::new));
        assertEquals(1, gone.status);
        assertTrue(gone.err.contains("no such policy"), gone.err);

        assertEquals(0, xfrm("policy", "add", "src", "2001:db8::/32", "dst", "::/0", "dir", "in",
            "action", "block").status);
        assertEquals(0, xfrm("policy", "flush").status);
        assertEquals(0, spd.size());
    }

    @Test
    void malformedCommandsAreRefusedByNameAndChangeNothing()
    {
        addSa("2001:db8::1", "2001:db8::2", "0x1000");

        final Result badAlgorithm = xfrm("state", "add", "src", "2001:db8::1", "dst", "2001:db8::3", "proto", "esp",
            "spi", "0x3000", "auth-trunc", "hmac(sha2)", AUTH_KEY, "96", "enc", "cipher_null", "");
        assertEquals(1, badAlgorithm.status);
        assertTrue(badAlgorithm.err.contains("'hmac(sha2)': unknown auth algorithm"), badAlgorithm.err);
        assertFalse(badAlgorithm.err.contains("f769bcd7"), "a key must never be echoed");

        final Result unsupported = xfrm("state", "add", "src", "2001:db8::1", "dst", "2001:db8::3", "proto", "esp",
            "spi", "0x3000", "mode", "tunnel", "auth", "hmac(sha1)", AUTH_KEY, "enc", "cipher_null", "");
        assertEquals(1, unsupported.status);
        assertTrue(unsupported.err.contains("mode tunnel is not supported"), unsupported.err);

        final Result unknownOption = xfrm("state", "list", "--bogus");
        assertEquals(1, unknownOption.status);
        assertTrue(unknownOption.err.contains("'--bogus': unexpected argument"), unknownOption.err);

        final Result unknownVerb = xfrm("state", "frobnicate");
        assertEquals(1, unknownVerb.status);
        assertTrue(unknownVerb.err.contains("Command \"frobnicate\" is unknown"), unknownVerb.err);

        final Result unknownObject = xfrm("route");
        assertEquals(1, unknownObject.status);
        assertTrue(unknownObject.err.contains("Object \"route\" is unknown"), unknownObject.err);

        final Result flushExtra = xfrm("state", "flush", "now");
        assertEquals(1, flushExtra.status);

        assertEquals(1, sad.size(), "no refused command may change the SAD");
        assertEquals("\t SAD count 1\n", xfrm("state", "count").out);
    }

    @Test
    void oversizedRequestIsRefusedAndTheServerServesTheNextClient() throws Exception
    {
        final byte[] huge = new byte[ControlProtocol.MAX_REQUEST_BYTES + 5000];
        java.util.Arrays.fill(huge, (byte)'x');
        final List<String> response = rawRequest(huge);
        assertEquals(List.of("error: request longer than 65536 bytes: refused"), response);

        // A request line with a broken UTF-8 byte is refused too, without harm.
        assertEquals(List.of("error: request is not valid UTF-8"),
            rawRequest(new byte[]{'x', 'f', 'r', 'm', ' ', (byte)0xC3, '\n'}));

        addSa("2001:db8::1", "2001:db8::2", "0x1000");
        assertEquals("\t SAD count 1\n", xfrm("state", "count").out);

        // The client refuses to send what the server would refuse.
        final Result tooLong = xfrm("state", "add", "x".repeat(ControlProtocol.MAX_REQUEST_BYTES));
        assertEquals(2, tooLong.status);
        assertTrue(tooLong.err.contains("longer than"), tooLong.err);
    }

    @Test
    void idleConnectionsMakeRoomAndOnlyBusyOnesRefuseANewClient() throws Exception
    {
        final Path smallSocket = dir.resolve("small").resolve("esp4j.sock");
        final List<SocketChannel> clients = new ArrayList<>();
        try (ControlServer small = new ControlServer(smallSocket, sad, spd, counters, events).maxConnections(4))
        {
            small.start();
            for (int i = 0; i < 4; i++)
            {
                clients.add(connect(smallSocket));
            }
            // idle connections do not lock out a client with a request: the oldest idle one is closed for it
            assertEquals("\t SAD count 0\n", run(smallSocket, "state", "count").out);
            assertEquals(List.of("error: closed: no request sent, and the control socket is full (4 connections)"),
                readAll(clients.get(0)));
            assertEquals(1, small.evictedIdleClients());

            // busy connections (monitors) are not closed: a new client is refused, in one line
            for (final SocketChannel idle : clients)
            {
                idle.close();
            }
            clients.clear();
            for (int i = 0; i < 4; i++)
            {
                final SocketChannel monitor = connect(smallSocket);
                monitor.write(ByteBuffer.wrap("xfrm monitor\n".getBytes(StandardCharsets.US_ASCII)));
                clients.add(monitor);
            }
            waitFor(() -> 4 == small.monitorCount(), "four monitors are registered");
            final Result refused = run(smallSocket, "state", "count");
            assertEquals(1, refused.status);
            assertTrue(refused.err.contains("too many control connections (4, all busy): try again"), refused.err);
        }
        finally
        {
            for (final SocketChannel channel : clients)
            {
                channel.close();
            }
        }
    }

    @Test
    void clientsThatDoNotReadAndIdleMonitorsAndConnectionsDoNotLockOutACommand() throws Exception
    {
        final int saCount = 3000;
        final byte[] authKey = new byte[20];
        for (int i = 0; i < saCount; i++)
        {
            sad.add(org.esp4j.core.sa.SaConfig.builder()
                .source(InetAddress.getByName("2001:db8::1")).destination(InetAddress.getByName("2001:db8::2"))
                .spi(0x1000 + i).integrity(org.esp4j.core.crypto.IntegrityAlgorithm.HMAC_SHA1_96, authKey)
                .encryption(org.esp4j.core.crypto.EncryptionAlgorithm.NULL, new byte[0]).build());
        }
        final List<SocketChannel> clients = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
        {
            try
            {
                for (int i = 0; i < 66; i++) // each asks for ~1 MB and never reads it
                {
                    clients.add(request("xfrm state list --keys\n"));
                }
                for (int i = 0; i < ControlServer.MAX_MONITORS; i++) // monitors that never read
                {
                    clients.add(request("xfrm monitor\n"));
                }
                for (int i = 0; i < 200; i++) // connections that never send a request
                {
                    clients.add(connect(socket));
                }
                assertEquals("\t SAD count " + saCount + "\n", xfrm("state", "count").out);

                // one monitor too many is refused, and the others' slots stay theirs
                try (SocketChannel extra = request("xfrm monitor\n"))
                {
                    assertEquals(List.of("error: too many monitors (64): try again"), readAll(extra));
                }
                // the clients that do not read are dropped with the output they hold, and commands go on
                waitFor(() -> server.droppedSlowClients() >= 1, "a client that does not read is dropped");
                assertEquals("\t SAD count " + saCount + "\n", xfrm("state", "count").out);
            }
            finally
            {
                for (final SocketChannel channel : clients)
                {
                    channel.close();
                }
            }
        });
    }

    @Test
    void bareHexKeyInAnyPositionIsNotEchoedInAnError()
    {
        final String key = AUTH_KEY.substring(2);
        final Result wrongWord = xfrm("state", key);
        assertEquals(1, wrongWord.status);
        assertTrue(wrongWord.err.contains("<redacted hex, 40 digits>"), wrongWord.err);
        assertFalse(wrongWord.err.contains(key.substring(0, 16)), wrongWord.err);

        final Result wrongCommand = run(socket, key, "state", "count");
        assertFalse(wrongCommand.err.contains(key.substring(0, 16)), wrongCommand.err);
    }

    @Test
    void requestWithoutLineEndIsTakenAtEndOfStream() throws Exception
    {
        final List<String> response = rawRequest("xfrm state count".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of("\t SAD count 0", "ok"), response);
    }

    @Test
    void monitorStreamsAddDeleteAndExpireEventsLikeIpXfrmMonitor() throws Exception
    {
        try (Monitor monitor = new Monitor("xfrm monitor\n"))
        {
            addSa("2001:db8::1", "2001:db8::2", SPI_DECIMAL, "limit", "time-soft", "10", "limit", "time-hard", "20");
            assertEquals("src 2001:db8::1 dst 2001:db8::2", monitor.next());
            assertEquals("\tproto esp spi " + SPI_HEX + " reqid 0 mode transport", monitor.next());
            monitor.skipUntil(line -> line.startsWith("\tsel "));

            clock.advance(TimeUnit.SECONDS.toNanos(11));
            sad.poll();
            assertEquals("Expired src 2001:db8::1 dst 2001:db8::2", monitor.next());
            final String softEnd = monitor.skipUntil(line -> line.startsWith("\thard "));
            assertEquals("\thard 0", softEnd);

            clock.advance(TimeUnit.SECONDS.toNanos(10));
            sad.poll();
            assertEquals("Expired src 2001:db8::1 dst 2001:db8::2", monitor.next());
            assertEquals("\thard 1", monitor.skipUntil(line -> line.startsWith("\thard ")));

            assertEquals(0, xfrm("state", "delete", "dst", "2001:db8::2", "proto", "esp", "spi", SPI_HEX).status);
            assertEquals("Deleted src 2001:db8::1 dst 2001:db8::2", monitor.next());
            final String keys = monitor.skipUntil(line -> line.startsWith("\tenc "));
            assertEquals("\tenc ecb(cipher_null) <<Keys hidden>>", keys);
        }
        waitFor(() -> !events.isMonitoring(), "the server notices the monitor left");
    }

    @Test
    void monitorShowsAcquiresAndFiltersGroups() throws Exception
    {
        assertEquals(0, xfrm("policy", "add", "src", "2001:db8::1/128", "dst", "2001:db8::2/128", "proto", "udp",
            "dir", "out", "tmpl", "proto", "esp", "mode", "transport").status);
        final SecurityPolicy policy = spd.list().get(0);
        try (Monitor monitor = new Monitor("xfrm monitor acquire\n"))
        {
            addSa("2001:db8::1", "2001:db8::2", "0x1000"); // not an acquire: filtered out
            final InetAddress src = XfrmAddresses.parse("2001:db8::1");
            final InetAddress dst = XfrmAddresses.parse("2001:db8::2");
            events.onAcquire(policy, IpAddressBits.high(src), IpAddressBits.low(src), IpAddressBits.high(dst),
                IpAddressBits.low(dst), 17, 5060, 5062);
            assertEquals("acquire proto esp ", monitor.next());
            assertEquals("  sel src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062 ",
                monitor.next());
            assertTrue(monitor.next().startsWith("  policy src 2001:db8::1/128 dst 2001:db8::2/128"));
        }
    }

    @Test
    void monitorIsToldWhenTheDaemonStops() throws Exception
    {
        try (Monitor monitor = new Monitor("xfrm monitor\n"))
        {
            server.close();
            assertEquals("error: daemon stopping", monitor.next());
        }
    }

    @Test
    void monitorCommandPrintsLinesAsTheyComeAndExitsOneWhenTheDaemonStops() throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final AtomicInteger status = new AtomicInteger(-1);
        final Thread cli = new Thread(() -> status.set(ControlClient.runXfrm(
            new String[]{"--socket", socket.toString(), "monitor"}, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8))));
        cli.start();
        waitFor(events::isMonitoring, "the monitor is registered");
        addSa("2001:db8::1", "2001:db8::2", "0x1000");
        waitFor(() -> out.toString(StandardCharsets.UTF_8).contains("proto esp spi 0x00001000"),
            "the monitor printed the new SA while still running");
        server.close();
        cli.join(10_000);
        assertEquals(1, status.get());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("daemon stopping"), err.toString());
    }

    @Test
    void statReadsTheCountersFileWhenTheDaemonIsDown() throws Exception
    {
        server.close();
        final Path file = dir.resolve("esp4j.counters");
        try (org.esp4j.core.counters.CountersFile countersFile =
            org.esp4j.core.counters.CountersFile.create(file, 256))
        {
            final org.agrona.concurrent.status.CountersManager manager = countersFile.newCountersManager();
            final XfrmCounters fileCounters = new XfrmCounters(manager);
            fileCounters.increment(XfrmCounter.XfrmInStateSeqError);
            final org.esp4j.tun.daemon.DaemonCounters daemonCounters = new org.esp4j.tun.daemon.DaemonCounters(manager);
            daemonCounters.add(org.esp4j.tun.daemon.DaemonCounters.Counter.TunGsoSegments, 45);
            final SecurityAssociationDatabase fileSad = new SecurityAssociationDatabase(fileCounters, clock, null);
            final SecurityAssociation sa = fileSad.add(org.esp4j.core.xfrm.XfrmStateParser.parseAdd(
                "src 192.0.2.1 dst 192.0.2.2 proto esp spi " + SPI_DECIMAL + " auth hmac(sha1) " + AUTH_KEY +
                " enc cipher_null \"\""));
            sa.onPacket(1400, clock.nanoTime());
            sa.counters().onIntegrityFailure();

            final Result down = stat();
            assertEquals(2, down.status);
            assertTrue(down.err.contains(socket.toString()), down.err);

            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int status = ControlClient.runStat(new String[]{"--counters", file.toString(), "--sa"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            final String text = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, status, err.toString());
            for (final XfrmCounter counter : XfrmCounter.values())
            {
                assertTrue(text.contains(counter.name()), counter.name());
            }
            assertTrue(text.contains("XfrmInStateSeqError     \t1\n"), text);
            assertTrue(text.contains("spi " + SPI_HEX + " dst 192.0.2.2\n"), text);
            assertTrue(text.contains("\t  1400(bytes), 1(packets)\n"), text);
            assertTrue(text.contains("replay 0 failed 1"), text);
            // the daemon's own counters follow, in the same form, and are not mistaken for an SA's
            assertTrue(text.contains("TunGsoSegments          \t45\n"), text);
            assertEquals(1, text.split("\tlifetime current:").length - 1, "one SA only: " + text);
        }

        final Result missing = stat("--counters", dir.resolve("absent.counters").toString());
        assertEquals(2, missing.status);
    }

    @Test
    void statShowsEveryXfrmCounterAndPerSaLines()
    {
        counters.increment(XfrmCounter.XfrmInNoStates);
        counters.increment(XfrmCounter.XfrmInNoStates);
        addSa("2001:db8::1", "2001:db8::2", SPI_DECIMAL);
        final SecurityAssociation sa = sad.lookupBySpi(Long.parseLong(SPI_DECIMAL));
        sa.onPacket(100, clock.nanoTime());
        sa.counters().onReplayDrop();

        final Result stat = stat();
        assertEquals(0, stat.status, stat.err);
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            assertTrue(stat.out.contains(counter.name() + " ".repeat(Math.max(0, 24 - counter.name().length())) + "\t"),
                counter.name());
        }
        assertTrue(stat.out.contains("XfrmInNoStates          \t2\n"), stat.out);
        assertTrue(stat.out.startsWith("XfrmInError             \t0\n"), stat.out);
        assertFalse(stat.out.contains("lifetime current"), stat.out);

        final Result perSa = stat("--sa");
        assertTrue(perSa.out.contains("spi " + SPI_HEX + "(" + SPI_DECIMAL + ")"), perSa.out);
        assertTrue(perSa.out.contains("\tlifetime current:\n\t  100(bytes), 1(packets)\n"), perSa.out);
        assertTrue(perSa.out.contains("\tstats:\n\t  replay-window+replay 1 failed 0\n"), perSa.out);
        assertFalse(perSa.out.contains("f769bcd7"));
    }

    @Test
    void statWatchRefreshesTheGivenNumberOfTimes()
    {
        final Result watch = stat("--watch", "0.1", "--count", "3");
        assertEquals(0, watch.status, watch.err);
        assertEquals(3, watch.out.split("XfrmInError ", -1).length - 1, watch.out);
    }

    @Test
    void spiAboveTwoToTheThirtyOneIsPrintedUnsigned()
    {
        addSa("192.0.2.1", "192.0.2.2", SPI_DECIMAL);
        final Result list = xfrm("state", "list");
        assertTrue(list.out.contains("spi " + SPI_HEX + " "), list.out);
        assertFalse(list.out.contains("spi -") || list.out.contains("spi 0x-"), list.out);
        assertEquals(0, xfrm("state", "get", "dst", "192.0.2.2", "proto", "esp", "spi", SPI_HEX).status);
        assertEquals(0, xfrm("state", "delete", "dst", "192.0.2.2", "proto", "esp", "spi", SPI_DECIMAL).status);
    }

    @Test
    void concurrentClientsAreAllAnswered()
    {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () ->
        {
            final int threads = 4;
            final int commandsPerThread = 200;
            final ExecutorService executor = Executors.newFixedThreadPool(threads);
            try
            {
                final List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++)
                {
                    final int thread = t;
                    results.add(executor.submit(() ->
                    {
                        int answered = 0;
                        for (int i = 0; i < commandsPerThread; i++)
                        {
                            final String spi = Integer.toString(0x10000 + thread * commandsPerThread + i);
                            final int status = switch (i % 4)
                            {
                                case 0 -> addSaQuietly("2001:db8::" + (thread + 1), "2001:db8::ff", spi);
                                case 1 -> xfrm("state", "count").status;
                                case 2 -> xfrm("state", "get", "dst", "2001:db8::ff", "proto", "esp", "spi",
                                    Integer.toString(0x10000 + thread * commandsPerThread + i - 2)).status;
                                default -> xfrm("state", "delete", "dst", "2001:db8::ff", "proto", "esp", "spi",
                                    Integer.toString(0x10000 + thread * commandsPerThread + i - 3)).status;
                            };
                            if (status == 0)
                            {
                                answered++;
                            }
                        }
                        return answered;
                    }));
                }
                for (final Future<Integer> result : results)
                {
                    assertEquals(commandsPerThread, result.get().intValue());
                }
                assertEquals(0, sad.size(), "every SA added was deleted again");
            }
            finally
            {
                executor.shutdownNow();
            }
        });
    }

    @Test
    void peersOfAnotherUserArePermissionDenied() throws Exception
    {
        server.close();
        final ControlServer strict = new ControlServer(socket, sad, spd, counters, events)
            .trustedUser(FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("nobody"))
            .start();
        try
        {
            sad.add(org.esp4j.core.xfrm.XfrmStateParser.parseAdd("src 2001:db8::1 dst 2001:db8::2 proto esp " +
                "spi 0x1000 auth hmac(sha1) " + AUTH_KEY + " enc cipher_null \"\""));
            final Result refused = xfrm("state", "flush");
            assertEquals(1, refused.status);
            assertTrue(refused.err.contains("permission denied"), refused.err);
            assertEquals(1, strict.refusedPeers());
            assertEquals(1, sad.size(), "a refused peer's request is never carried out");
        }
        finally
        {
            strict.close();
        }
    }

    @Test
    void staleSocketIsReplacedButALiveDaemonIsNot() throws Exception
    {
        final IOException live = assertThrows(IOException.class,
            () -> new ControlServer(socket, sad, spd, counters, new ControlEvents()).start());
        assertTrue(live.getMessage().contains("another esp4j daemon answers on " + socket), live.getMessage());
        assertEquals(0, xfrm("state", "count").status, "the running server is untouched");

        final Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale), "closing a channel leaves its socket file behind");
        final ControlServer second = new ControlServer(stale, sad, spd, counters, new ControlEvents()).start();
        try
        {
            assertEquals(0, run(stale, "state", "count").status);
        }
        finally
        {
            second.close();
        }

        final Path regular = dir.resolve("regular.sock");
        Files.writeString(regular, "not a socket");
        assertThrows(IOException.class,
            () -> new ControlServer(regular, sad, spd, counters, new ControlEvents()).start());
        assertTrue(Files.exists(regular), "a file that is not a socket is never removed");
    }

    @Test
    void cannotConnectExitsTwoNamingTheSocket()
    {
        final Path nowhere = dir.resolve("nowhere.sock");
        final Result result = run(nowhere, "state", "list");
        assertEquals(2, result.status);
        assertTrue(result.err.contains(nowhere.toString()) && result.err.contains("./esp4j run"), result.err);
    }

    @Test
    void socketFromEnvironmentUnlessGivenAsOption()
    {
        final Map<String, String> env = Map.of("ESP4J_SOCKET", "/x.sock");
        assertEquals(Path.of("/x.sock"), ControlClient.socketPath(null, null, env, dir));
        assertEquals(Path.of("/y.sock"), ControlClient.socketPath("/y.sock", null, env, dir));
        assertEquals(Path.of("/run/esp4j/lab1.sock"),
            ControlClient.socketPath(null, "lab1", env, Path.of("/run/esp4j")));

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = ControlClient.runXfrm(new String[]{"state", "count"}, new PrintStream(out),
            new PrintStream(err), Map.of("ESP4J_SOCKET", socket.toString()));
        assertEquals(0, status, err.toString());
        assertEquals("\t SAD count 0\n", out.toString());
    }

    // ---------------------------------------------------------------- helpers

    private void addSa(final String src, final String dst, final String spi, final String... extra)
    {
        final List<String> words = new ArrayList<>(List.of("state", "add", "src", src, "dst", dst, "proto", "esp",
            "spi", spi, "auth", "hmac(sha1)", AUTH_KEY, "enc", "cipher_null", ""));
        words.addAll(List.of(extra));
        final Result result = xfrm(words.toArray(String[]::new));
        assertEquals(0, result.status, result.err);
    }

    private int addSaQuietly(final String src, final String dst, final String spi)
    {
        return xfrm("state", "add", "src", src, "dst", dst, "proto", "esp", "spi", spi, "auth", "hmac(sha1)",
            AUTH_KEY, "enc", "cipher_null", "").status;
    }

    private Result xfrm(final String... args)
    {
        return run(socket, args);
    }

    private static Result run(final Path socketPath, final String... args)
    {
        final List<String> words = new ArrayList<>(List.of("--socket", socketPath.toString()));
        words.addAll(List.of(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = ControlClient.runXfrm(words.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Result stat(final String... args)
    {
        final List<String> words = new ArrayList<>(List.of("--socket", socket.toString()));
        words.addAll(List.of(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = ControlClient.runStat(words.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private List<String> rawRequest(final byte[] request) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            try
            {
                channel.write(ByteBuffer.wrap(request));
                channel.shutdownOutput();
            }
            catch (final IOException ex)
            {
                // The server may stop reading (and close) before all of an oversized request is written.
            }
            return readAll(channel);
        }
    }

    private static SocketChannel connect(final Path socketPath) throws IOException
    {
        final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socketPath));
        return channel;
    }

    /** @return a connection that has sent the request and reads nothing (yet). */
    private SocketChannel request(final String request) throws IOException
    {
        final SocketChannel channel = connect(socket);
        channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
        return channel;
    }

    private static List<String> readAll(final SocketChannel channel) throws IOException
    {
        final List<String> lines = new ArrayList<>();
        final BufferedReader reader = new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null)
        {
            lines.add(line);
        }
        return lines;
    }

    private static String permissions(final Path path)
    {
        try
        {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void waitFor(final java.util.function.BooleanSupplier condition, final String what)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private record Result(int status, String out, String err)
    {
    }

    /** An {@code xfrm monitor} connection whose lines a reader thread collects. */
    private final class Monitor implements AutoCloseable
    {
        private final SocketChannel channel;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Thread reader;

        Monitor(final String request) throws Exception
        {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            reader = new Thread(() ->
            {
                try
                {
                    final BufferedReader in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
                    String line;
                    while ((line = in.readLine()) != null)
                    {
                        lines.add(line);
                    }
                }
                catch (final IOException ignore)
                {
                    // closed by the test
                }
            });
            reader.setDaemon(true);
            reader.start();
            // Subscribed once the server has switched event queuing on.
            waitFor(events::isMonitoring, "the monitor is registered");
        }

        String next() throws InterruptedException
        {
            final String line = lines.poll(10, TimeUnit.SECONDS);
            assertNotNull(line, "no monitor line within 10 s");
            return line;
        }

        String skipUntil(final java.util.function.Predicate<String> wanted) throws InterruptedException
        {
            String line = next();
            while (!wanted.test(line))
            {
                line = next();
            }
            return line;
        }

        public void close() throws IOException
        {
            channel.close();
            try
            {
                reader.join(5000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
