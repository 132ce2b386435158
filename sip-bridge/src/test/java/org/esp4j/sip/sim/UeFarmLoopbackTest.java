package org.esp4j.sip.sim;

import org.esp4j.sip.message.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A UE farm against the P-CSCF farm in one JVM over loopback sockets, without IPsec: the UEs on 127.1.0.1.. (all of
 * 127/8 is the host's), every UE with its own derived subscriber, so each AKA challenge is checked with that
 * subscriber's keys on both sides.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UeFarmLoopbackTest
{
    private static final int UES = 40;

    @Test
    void shouldRegisterReregisterAndDeregisterEveryUeOfTheFarmFromOneThread() throws Exception
    {
        final Run run = run(0, 10, 1, false);
        assertTrue(run.ok, run.out);
        assertTrue(run.out.contains("farm: " + UES + " UEs in"), run.out);
        assertTrue(run.out.contains(UES + " registered, " + UES + " re-registrations, " + UES + " de-registered, 0 failed"),
            run.out);
        assertTrue(run.out.contains("time-to-200 p50"), run.out);
        System.out.println(run.out);
        assertEquals("0 registered, " + 2 * UES + " registrations, " + UES + " de-registrations, 0 warnings, 0 unparsable",
            run.pcscf, "the P-CSCF side: every UE registered twice and de-registered once");
    }

    @Test
    void shouldDeregisterTheRegisteredUesWhenStoppedBeforeAllStarted() throws Exception
    {
        final Run run = run(20, 2, 0, true);
        assertTrue(run.ok, run.out);
        assertTrue(run.out.contains("(stopped)"), run.out);
        final java.util.regex.Matcher summary = java.util.regex.Pattern
            .compile("(\\d+) registered, 0 re-registrations, (\\d+) de-registered, 0 failed").matcher(run.out);
        assertTrue(summary.find(), run.out);
        assertTrue(Integer.parseInt(summary.group(1)) > 0 && Integer.parseInt(summary.group(1)) < UES, run.out);
        assertEquals(summary.group(1), summary.group(2), "every registered UE de-registered");
        assertTrue(run.pcscf.startsWith("0 registered, "), "nothing left registered: " + run.pcscf);
        System.out.println(run.out);
    }

    @Test
    void shouldServeEveryUeOnceWhenTheFarmRunsInShards(@TempDir final Path times) throws Exception
    {
        final Run run = run(0, 5, 0, false, 3, times, 0, 0);
        assertTrue(run.ok, run.out);
        // 40 in shards of 13, 13, 14: every UE of the whole farm exactly once, with its own subscriber and address
        assertEquals(2, count(run.out, "farm: 13 UEs in"), run.out);
        assertEquals(1, count(run.out, "farm: 14 UEs in"), run.out);
        assertEquals(2, count(run.out, "13 registered, 0 re-registrations, 13 de-registered, 0 failed"), run.out);
        assertEquals(1, count(run.out, "14 registered, 0 re-registrations, 14 de-registered, 0 failed"), run.out);
        assertEquals("0 registered, " + UES + " registrations, " + UES + " de-registrations, 0 warnings, 0 unparsable",
            run.pcscf, "the P-CSCF side (which knows nothing of shards): each of the " + UES + " subscribers once");
        int samples = 0;
        for (int number = 1; number <= 3; number++)
        {
            final List<String> lines = Files.readAllLines(times.resolve("times-" + number));
            final long first = Long.parseLong(lines.get(1).substring("first ".length()));
            final long registered = Long.parseLong(lines.get(2).substring("registered ".length()));
            assertTrue(first > 0 && registered >= first, lines.toString());
            for (final String line : lines.subList(3, lines.size()))
            {
                assertTrue(Long.parseLong(line) > 0, line);
                samples++;
            }
        }
        assertEquals(UES, samples, "one time-to-200 per UE over the shards' files");
    }

    @Test
    void shouldRegisterEveryUeAgainAndAgainUnderSustainedLoadThenDeregisterAll() throws Exception
    {
        final Run run = run(0, 10, 0, false, 1, null, 0, 2_000);
        assertTrue(run.ok, run.out);
        final java.util.regex.Matcher summary = java.util.regex.Pattern
            .compile("farm: " + UES + " UEs in [0-9.]+ s: (\\d+) registered, 0 re-registrations, " + UES +
                " de-registered, 0 failed").matcher(run.out);
        assertTrue(summary.find(), run.out);
        final long registrations = Long.parseLong(summary.group(1));
        assertTrue(registrations > UES, "some UEs registered more than once: " + run.out);
        assertTrue(run.out.contains("farm: sustained " + registrations + " registrations in "), run.out);
        assertTrue(java.util.regex.Pattern.compile("farm: .* \\d+ registrations at \\d{13}").matcher(run.out).find(),
            "the progress line carries the registrations so far and the wall clock: " + run.out);
        final java.util.regex.Matcher first = java.util.regex.Pattern.compile("(?m)^farm: first REGISTER at (\\d{13})$")
            .matcher(run.out);
        assertTrue(first.find(), "the farm's own start, where its sustained load begins: " + run.out);
        assertFalse(first.find(), "printed once: " + run.out);
        // each registration was a new one on the P-CSCF side (AKA), and each was de-registered: in the cycle or at the end
        assertEquals("0 registered, " + registrations + " registrations, " + registrations +
            " de-registrations, 0 warnings, 0 unparsable", run.pcscf, "the P-CSCF side");
        System.out.println(run.out);
    }

    @Test
    void shouldVisitOnlyUesWithSomethingDueWhileTheFarmHolds() throws Exception
    {
        // held 2 s after the last registration: a tick over every UE would be ~100 ticks x 40 UEs = 4,000 visits in
        // the hold alone; visiting only what is due, a UE costs a visit per message, timer and step, whatever the hold
        final Run run = run(0, 10, 0, false, 1, null, 2_000, 0);
        assertTrue(run.ok, run.out);
        assertTrue(run.out.contains(UES + " registered, 0 re-registrations, " + UES + " de-registered, 0 failed"),
            run.out);
        final java.util.regex.Matcher retransmissions =
            java.util.regex.Pattern.compile("retransmissions (\\d+)").matcher(run.out);
        assertTrue(retransmissions.find(), run.out);
        final long bound = 12L * UES + 2 * Long.parseLong(retransmissions.group(1));
        assertTrue(run.visits <= bound, run.visits + " visits, more than " + bound + ": " + run.out);
        System.out.println(run.out + "farm: " + run.visits + " visits");
    }

    private static int count(final String text, final String part)
    {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1))
        {
            n++;
        }
        return n;
    }

    private record Run(boolean ok, String out, String pcscf, long visits)
    {
    }

    private static Run run(final double rate, final int concurrency, final int reregistrations, final boolean stopEarly)
        throws Exception
    {
        return run(rate, concurrency, reregistrations, stopEarly, 1, null, 0, 0);
    }

    /**
     * The P-CSCF farm of all UES subscribers, and the UE farm in {@code shards} shards at once, each on its thread,
     * holding {@code holdMs} after the last registration (0: none), or under sustained load for {@code sustainMs}
     * (0: none).
     */
    private static Run run(
        final double rate,
        final int concurrency,
        final int reregistrations,
        final boolean stopEarly,
        final int shards,
        final Path times,
        final long holdMs,
        final long sustainMs)
        throws Exception
    {
        final InetAddress pcscfAddress = InetAddress.getByName("127.0.0.1");
        final int[] ports = SimLoopbackTest.freePorts(5);
        final SubscriberSet subscribers = SubscriberSet.derived(Subscriber.testSet1(), UES);
        final PcscfSimConfig pcscfConfig = PcscfSimConfig.seed(pcscfAddress).withPorts(ports[0], ports[1], ports[2])
            .withTransport(Transport.UDP);
        final UeSimConfig template = UeSimConfig.seed(ue(0), pcscfAddress).withPorts(ports[0], ports[3], ports[4])
            .withTransport(Transport.UDP);
        final AtomicBoolean running = new AtomicBoolean(true);
        final String[] pcscfStatus = new String[1];
        final Thread pcscf;
        try (SocketSimTransport pcscfSockets = new SocketSimTransport(pcscfAddress))
        {
            pcscfSockets.listen(ports[0], true).listen(ports[2], true).listen(ports[1], false);
            final PcscfFarm pcscfFarm = new PcscfFarm(pcscfConfig, subscribers, pcscfSockets, System.out);
            pcscf = new Thread(() ->
            {
                try
                {
                    while (running.get())
                    {
                        pcscfSockets.poll(5, pcscfFarm);
                        pcscfFarm.doWork(TimeUnit.NANOSECONDS.toMillis(System.nanoTime()));
                    }
                    pcscfStatus[0] = pcscfFarm.status();
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            }, "pcscf-farm");
            pcscf.start();
            final ByteArrayOutputStream text = new ByteArrayOutputStream();
            boolean ok = true;
            long visits = 0;
            final java.util.concurrent.ScheduledExecutorService stopper =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            final java.util.concurrent.ExecutorService processes = java.util.concurrent.Executors.newCachedThreadPool();
            try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8))
            {
                final List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
                final List<UeFarm> farms = new ArrayList<>();
                for (int number = 1; number <= shards; number++)
                {
                    // each shard as its own process would run it: its own sockets and thread, its slice of the UEs
                    final FarmShard shard = FarmShard.of(number, shards, UES);
                    final SocketSimTransport ueSockets = new SocketSimTransport(ue(shard.first()));
                    final UeFarm farm = new UeFarm(new UeFarm.Settings(template, subscribers, shard.first(),
                        shard.count(), UeFarmLoopbackTest::ue, rate, concurrency, reregistrations, 0, holdMs, null, 30_000,
                        sustainMs),
                        ueSockets, out);
                    farms.add(farm);
                    if (stopEarly)
                    {
                        // Ctrl-C while the farm is still starting UEs (at 20/s, a few are registered by then)
                        stopper.schedule(farm::stop, 400, TimeUnit.MILLISECONDS);
                    }
                    results.add(processes.submit(() ->
                    {
                        try (ueSockets)
                        {
                            final boolean done = farm.run();
                            if (times != null)
                            {
                                farm.writeTimes(times.resolve("times-" + shard.number()));
                            }
                            return done;
                        }
                    }));
                }
                for (final java.util.concurrent.Future<Boolean> result : results)
                {
                    ok &= result.get();
                }
                for (final UeFarm farm : farms)
                {
                    visits += farm.visits();
                }
            }
            finally
            {
                stopper.shutdownNow();
                processes.shutdownNow();
                running.set(false);
                pcscf.join();
            }
            return new Run(ok, text.toString(StandardCharsets.UTF_8), pcscfStatus[0], visits);
        }
    }

    private static InetAddress ue(final int index)
    {
        try
        {
            final int host = index + 1;
            return InetAddress.getByAddress(new byte[]{ 127, 1, (byte)(host >>> 8), (byte)host });
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
