package org.esp4j.sip.sim;

import org.esp4j.sip.message.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private record Run(boolean ok, String out, String pcscf)
    {
    }

    private static Run run(final double rate, final int concurrency, final int reregistrations, final boolean stopEarly)
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
            final boolean ok;
            try (SocketSimTransport ueSockets = new SocketSimTransport(ue(0));
                PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8))
            {
                final UeFarm farm = new UeFarm(new UeFarm.Settings(template, subscribers, UES,
                    UeFarmLoopbackTest::ue, rate, concurrency, reregistrations, 0, 0, null, 30_000), ueSockets, out);
                final java.util.concurrent.ScheduledExecutorService stopper =
                    java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
                if (stopEarly)
                {
                    // Ctrl-C while the farm is still starting UEs (at 20/s, a few are registered by then)
                    stopper.schedule(farm::stop, 400, TimeUnit.MILLISECONDS);
                }
                ok = farm.run();
                stopper.shutdownNow();
            }
            finally
            {
                running.set(false);
                pcscf.join();
            }
            return new Run(ok, text.toString(StandardCharsets.UTF_8), pcscfStatus[0]);
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
