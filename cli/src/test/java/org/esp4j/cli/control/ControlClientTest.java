package org.esp4j.cli.control;

import org.esp4j.tun.control.ControlEvents;
import org.esp4j.tun.control.ControlServer;
import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.tun.daemon.DaemonCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code esp4j xfrm} and {@code esp4j stat} commands: which daemon they talk to ({@code --tun}, the only socket
 * in the run directory, a one-line error naming the sockets otherwise), every counter through the socket, and
 * one-line errors with the command's prefix. In-process, without root: a {@link ControlServer} on a socket in a
 * temporary directory standing for {@code /run/esp4j}.
 */
class ControlClientTest
{
    @TempDir
    Path run;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @Test
    void shouldUseTheOnlyDaemonSocketInTheRunDirectory() throws IOException
    {
        try (ControlServer server = server(run.resolve("lab1.sock"), XfrmCounters.inMemory()))
        {
            assertEquals(0, xfrm("state", "count"), stderr.toString());
            assertEquals("\t SAD count 0\n", stdout.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldUseTheSocketOfTheTunGivenWithTunAmongSeveral() throws IOException
    {
        try (ControlServer lab1 = server(run.resolve("lab1.sock"), XfrmCounters.inMemory());
            ControlServer lab2 = server(run.resolve("lab2.sock"), XfrmCounters.inMemory()))
        {
            lab2.close();
            assertEquals(0, xfrm("--tun", "lab1", "state", "count"), stderr.toString());
            assertEquals(0, stat("--tun", "lab1"), stderr.toString());
        }
    }

    @Test
    void shouldNameTheSocketsAndTheOptionsWhenSeveralDaemonsRun() throws IOException
    {
        try (ControlServer lab1 = server(run.resolve("lab1.sock"), XfrmCounters.inMemory());
            ControlServer lab2 = server(run.resolve("lab2.sock"), XfrmCounters.inMemory()))
        {
            assertEquals(ControlClient.EXIT_USAGE, xfrm("state", "list"));
            assertEquals("esp4j xfrm: 2 daemon sockets in " + run + " (lab1.sock, lab2.sock): pick one with " +
                "--tun NAME or --socket PATH\n", stderr.toString(StandardCharsets.UTF_8));
            stderr.reset();
            assertEquals(ControlClient.EXIT_USAGE, stat());
            assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j stat: 2 daemon sockets in "),
                stderr.toString());
            assertEquals(1, stderr.toString(StandardCharsets.UTF_8).lines().count(), stderr.toString());
        }
    }

    @Test
    void shouldSayHowToStartOrNameADaemonWhenNoneRuns()
    {
        assertEquals(ControlClient.EXIT_USAGE, xfrm("policy", "list"));
        assertEquals("esp4j xfrm: no esp4j daemon socket in " + run + ": start one with ./esp4j run, or name it " +
            "with --tun NAME, --socket PATH or $ESP4J_SOCKET\n", stderr.toString(StandardCharsets.UTF_8));
        stderr.reset();
        // stat also points at the counters file
        assertEquals(ControlClient.EXIT_USAGE, stat());
        assertTrue(stderr.toString(StandardCharsets.UTF_8).contains("esp4j stat --counters PATH"), stderr.toString());
        stderr.reset();
        // a run directory that does not exist is as empty
        assertEquals(ControlClient.EXIT_USAGE, ControlClient.runXfrm(new String[]{"state", "list"}, out(), err(),
            Map.of(), run.resolve("absent")));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j xfrm: no esp4j daemon socket in "));
    }

    @Test
    void shouldRefuseATunNameThatIsNoInterfaceName()
    {
        assertEquals(ControlClient.EXIT_USAGE, xfrm("--tun", "../etc/x", "state", "list"));
        assertEquals("esp4j xfrm: --tun '../etc/x' is not an interface name (1 to 15 letters, digits, '_', '.', " +
            "'-')\n", stderr.toString(StandardCharsets.UTF_8));
    }

    /** README tells users to read the Tun* counters: stat through the socket shows them, as stat --counters does. */
    @Test
    void shouldShowTheDaemonsOwnCountersThroughTheSocketAsFromTheCountersFile() throws IOException
    {
        final XfrmCounters counters = XfrmCounters.inMemory();
        final DaemonCounters daemonCounters = new DaemonCounters(counters.countersManager());
        daemonCounters.add(DaemonCounters.Counter.TunInFilterDropped, 3);
        daemonCounters.add(DaemonCounters.Counter.TunGsoSegments, 45);
        counters.increment(XfrmCounter.XfrmInNoStates);
        try (ControlServer server = server(run.resolve("esp4j0.sock"), counters))
        {
            assertEquals(0, stat(), stderr.toString());
        }
        final String text = stdout.toString(StandardCharsets.UTF_8);
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            assertTrue(text.contains(counter.name() + " ".repeat(Math.max(0, 24 - counter.name().length())) + "\t"),
                counter.name() + " in\n" + text);
        }
        for (final DaemonCounters.Counter counter : DaemonCounters.Counter.values())
        {
            assertTrue(text.contains(counter.name() + " ".repeat(Math.max(0, 24 - counter.name().length())) + "\t"),
                counter.name() + " in\n" + text);
        }
        assertTrue(text.contains("XfrmInNoStates          \t1\n"), text);
        assertTrue(text.contains("TunInFilterDropped      \t3\n"), text);
        assertTrue(text.contains("TunGsoSegments          \t45\n"), text);
        assertTrue(text.indexOf("XfrmInNoStates") < text.indexOf("TunInFilterDropped"), "xfrm_stat's first: " + text);
    }

    @Test
    void shouldGiveOneLineForACountersPathThatIsADirectory() throws IOException
    {
        assertEquals(ControlClient.EXIT_USAGE, stat("--counters", run.toString()));
        assertEquals("esp4j stat: " + run + " is a directory, not a counters file (the daemon's counters.file, by " +
            "default /dev/shm/esp4j-TUN.counters)\n", stderr.toString(StandardCharsets.UTF_8));
        stderr.reset();
        final Path notCounters = Files.writeString(run.resolve("notes.txt"), "not counters, long enough to map ".repeat(8));
        assertEquals(ControlClient.EXIT_USAGE, stat("--counters", notCounters.toString()));
        assertEquals(1, stderr.toString(StandardCharsets.UTF_8).lines().count(), stderr.toString());
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j stat: cannot read counters file "));
    }

    @Test
    void shouldPrintHelpOnStandardOutputWithStatusZero()
    {
        assertEquals(0, xfrm("--help"));
        assertTrue(stdout.toString(StandardCharsets.UTF_8).contains("--tun NAME"), stdout.toString());
        stdout.reset();
        assertEquals(0, stat("--help"));
        final String usage = stdout.toString(StandardCharsets.UTF_8);
        for (final String option : new String[]{ "--tun", "--socket", "--counters", "--count", "--watch", "--sa" })
        {
            assertTrue(usage.contains(option), option + " in " + usage);
        }
        assertEquals("", stderr.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrefixUsageErrorsWithTheCommand()
    {
        assertEquals(ControlClient.EXIT_USAGE, stat("--bogus"));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j stat: unknown argument '--bogus'\n"),
            stderr.toString());
        stderr.reset();
        assertEquals(ControlClient.EXIT_USAGE, xfrm("state", "list", "--socket"));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j xfrm: --socket needs a PATH\n"),
            stderr.toString());
        assertFalse(stderr.toString(StandardCharsets.UTF_8).contains("Exception"), stderr.toString());
    }

    private ControlServer server(final Path socket, final XfrmCounters counters) throws IOException
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final ControlEvents events = new ControlEvents();
        return new ControlServer(socket, new SecurityAssociationDatabase(counters, clock, events),
            new SecurityPolicyDatabase(), counters, events).start();
    }

    private int xfrm(final String... args)
    {
        return ControlClient.runXfrm(args, out(), err(), Map.of(), run);
    }

    private int stat(final String... args)
    {
        return ControlClient.runStat(args, out(), err(), Map.of(), run);
    }

    private PrintStream out()
    {
        return new PrintStream(stdout, true, StandardCharsets.UTF_8);
    }

    private PrintStream err()
    {
        return new PrintStream(stderr, true, StandardCharsets.UTF_8);
    }
}
