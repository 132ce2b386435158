package org.esp4j.cli.control;

import org.esp4j.tun.control.ControlEvents;
import org.esp4j.tun.control.DaemonControlEndpoint;
import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.spd.SpdEventListener;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmStateParser;
import org.esp4j.tun.daemon.DaemonConductor;
import org.esp4j.tun.daemon.DaemonConfig;
import org.esp4j.tun.daemon.DaemonControl;
import org.esp4j.tun.daemon.DaemonCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon hook, against a stand-in {@link DaemonControl} (the real daemon needs root for its TUN). */
class DaemonControlEndpointTest
{
    @TempDir
    Path dir;

    @Test
    void servesTheDaemonsDatabasesFollowsItsEventsAndCleansUp() throws Exception
    {
        final FakeDaemon daemon = new FakeDaemon();
        final Path socket = dir.resolve("esp4j0.sock");
        final AutoCloseable endpoint = new DaemonControlEndpoint().start(daemon, socket);
        try
        {
            assertEquals(1, daemon.subscribers.size(), "subscribed to the daemon's events");
            final ControlEvents events = (ControlEvents)daemon.subscribers.get(0);

            assertEquals(0, xfrm(socket, "policy", "add", "src", "2001:db8::1/128", "dst", "2001:db8::2/128",
                "dir", "out", "tmpl", "proto", "esp", "mode", "transport"));
            assertEquals(1, daemon.spd.size());
            assertEquals(1, daemon.applied.get(), "the command ran through the daemon's apply (its conductor)");
            assertEquals(1, daemon.policySubscribers.size(), "subscribed to the daemon's policy events");

            daemon.sad.add(XfrmStateParser.parseAdd("src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x1000 " +
                "auth hmac(sha1) 0xf769bcd751044604127672711c6d344100000000 enc cipher_null \"\""));
            try (SocketChannel monitor = SocketChannel.open(StandardProtocolFamily.UNIX))
            {
                monitor.connect(UnixDomainSocketAddress.of(socket));
                monitor.write(ByteBuffer.wrap("xfrm monitor\n".getBytes(StandardCharsets.US_ASCII)));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!events.isMonitoring() && System.nanoTime() < deadline)
                {
                    Thread.sleep(5);
                }
                // As the daemon's SAD delivers an event to its subscribers:
                events.onSaEvent(SaEventType.ADDED, daemon.sad.list().get(0));
                final BufferedReader lines = new BufferedReader(
                    new InputStreamReader(Channels.newInputStream(monitor), StandardCharsets.UTF_8));
                assertEquals("src 2001:db8::1 dst 2001:db8::2", lines.readLine());
                assertEquals("\tproto esp spi 0x00001000 reqid 0 mode transport", lines.readLine());
            }
        }
        finally
        {
            endpoint.close();
        }
        assertTrue(daemon.subscribers.isEmpty(), "unsubscribed at close");
        assertTrue(daemon.policySubscribers.isEmpty(), "unsubscribed from policy events at close");
        assertFalse(Files.exists(socket), "socket removed at close");
    }

    private static int xfrm(final Path socket, final String... args)
    {
        final String[] words = new String[args.length + 2];
        words[0] = "--socket";
        words[1] = socket.toString();
        System.arraycopy(args, 0, words, 2, args.length);
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        return ControlClient.runXfrm(words, new PrintStream(sink, true, StandardCharsets.UTF_8),
            new PrintStream(sink, true, StandardCharsets.UTF_8));
    }

    private static final class FakeDaemon implements DaemonControl
    {
        private final XfrmCounters counters = XfrmCounters.inMemory();
        private final SecurityAssociationDatabase sad =
            new SecurityAssociationDatabase(counters, new CachedNanoClock(), null);
        private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        private final List<SpdEventListener> subscribers = new CopyOnWriteArrayList<>();
        private final AtomicInteger applied = new AtomicInteger();
        private final List<DaemonConductor.PolicyEventListener> policySubscribers = new CopyOnWriteArrayList<>();

        public DaemonConfig config()
        {
            return null;
        }

        public String tunName()
        {
            return "esp4j0";
        }

        public int tunMtu()
        {
            return 1400;
        }

        public int pathMtu()
        {
            return 1500;
        }

        public SecurityAssociationDatabase sad()
        {
            return sad;
        }

        public SecurityPolicyDatabase spd()
        {
            return spd;
        }

        public XfrmCounters counters()
        {
            return counters;
        }

        public DaemonCounters daemonCounters()
        {
            return null;
        }

        public Path countersFile()
        {
            return null;
        }

        public AutoCloseable subscribe(final SpdEventListener listener)
        {
            subscribers.add(listener);
            return () -> subscribers.remove(listener);
        }

        public <T> T apply(final Supplier<T> change)
        {
            applied.incrementAndGet();
            return change.get();
        }

        public AutoCloseable subscribePolicyEvents(final DaemonConductor.PolicyEventListener listener)
        {
            policySubscribers.add(listener);
            return () -> policySubscribers.remove(listener);
        }

        public void requestShutdown()
        {
        }
    }
}
