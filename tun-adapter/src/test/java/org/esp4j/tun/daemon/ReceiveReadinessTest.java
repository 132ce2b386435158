package org.esp4j.tun.daemon;

import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.PollFds;
import org.esp4j.tun.jna.Sockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Against real {@code poll(2)} on two non-blocking UDP sockets on loopback (no root needed). */
class ReceiveReadinessTest
{
    private final int[] fds = {-1, -1};
    private final int[] ports = new int[2];
    private PollFds pollFds;

    @BeforeEach
    void openSockets() throws IOException
    {
        pollFds = new PollFds(2);
        for (int i = 0; i < 2; i++)
        {
            fds[i] = Sockets.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK, 0);
            ports[i] = bindToFreePort(fds[i]);
            pollFds.add(fds[i], LibC.POLLIN);
        }
    }

    @AfterEach
    void closeSockets()
    {
        for (final int fd : fds)
        {
            Sockets.closeQuietly(fd);
        }
    }

    @Test
    void shouldReadOnlyTheSocketThatPollReportedReadableAndOnlyOnce() throws IOException
    {
        final ReceiveReadiness readiness = new ReceiveReadiness(pollFds, 0, 0, 2);
        readiness.beginCycle();
        assertFalse(readiness.shouldRead(0), "nothing reported yet");
        assertFalse(readiness.shouldRead(1), "nothing reported yet");

        send(ports[1]);
        assertEquals(1, pollFds.poll(5_000), "poll should report the socket with a datagram");
        readiness.beginCycle();
        assertFalse(readiness.shouldRead(0));
        assertTrue(readiness.shouldRead(1));
        readiness.read(1, false);

        readiness.beginCycle();
        assertFalse(readiness.shouldRead(1), "read already: the next poll says whether there is more");
    }

    @Test
    void shouldFindItsReceiversAfterTheDescriptorsPolledBeforeThem() throws IOException
    {
        // one agent for both directions polls the TUN first: here socket 0 plays it, socket 1 is receiver 0
        final ReceiveReadiness readiness = new ReceiveReadiness(pollFds, 1, 0, 1);
        send(ports[0]);
        assertEquals(1, pollFds.poll(5_000));
        readiness.beginCycle();
        assertFalse(readiness.shouldRead(0), "the descriptor before the receivers is not receiver 0");

        send(ports[1]);
        waitForBoth();
        readiness.beginCycle();
        assertTrue(readiness.shouldRead(0));
        readiness.read(0, false);
        assertEquals(0, pollFds.revents(1), "receiver 0's report is cleared");
        assertTrue(pollFds.revents(0) != 0, "the other descriptor's report is left alone");
    }

    @Test
    void shouldReadAgainNextCycleAfterAFullBurst()
    {
        final ReceiveReadiness readiness = new ReceiveReadiness(pollFds, 0, 0, 2);
        readiness.beginCycle();
        readiness.read(0, true);
        readiness.beginCycle();
        assertTrue(readiness.shouldRead(0));
        assertFalse(readiness.shouldRead(1));
        readiness.read(0, false);
        readiness.beginCycle();
        assertFalse(readiness.shouldRead(0));
    }

    @Test
    void shouldAlwaysReadTheReceiversThatCostNoSystemCall()
    {
        final ReceiveReadiness readiness = new ReceiveReadiness(pollFds, 0, 1, 2);
        for (int i = 0; i < 10; i++)
        {
            readiness.beginCycle();
            assertTrue(readiness.shouldRead(0));
            assertFalse(readiness.shouldRead(1));
        }
    }

    @Test
    void shouldReadEverySocketOnceEverySweepWithoutAPoll()
    {
        final ReceiveReadiness readiness = new ReceiveReadiness(pollFds, 0, 0, 2);
        int firstSweep = 0;
        for (int cycle = 1; cycle <= 2 * ReceiveReadiness.SWEEP_CYCLES && firstSweep == 0; cycle++)
        {
            readiness.beginCycle();
            if (readiness.shouldRead(0))
            {
                assertTrue(readiness.shouldRead(1), "a sweep reads every socket");
                firstSweep = cycle;
            }
        }
        assertEquals(ReceiveReadiness.SWEEP_CYCLES, firstSweep);
    }

    @Test
    void shouldReadEverythingWithoutPollFds()
    {
        final ReceiveReadiness readiness = new ReceiveReadiness(null, 0, 0, 2);
        readiness.beginCycle();
        assertTrue(readiness.shouldRead(0));
        assertTrue(readiness.shouldRead(1));
        readiness.read(0, false);
    }

    private void waitForBoth()
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (pollFds.poll(100) < 2 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertEquals(2, pollFds.poll(0), "both sockets should be readable");
    }

    private static int bindToFreePort(final int fd) throws IOException
    {
        for (int attempt = 0; ; attempt++)
        {
            final int port;
            try (DatagramChannel probe = DatagramChannel.open())
            {
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                port = ((InetSocketAddress)probe.getLocalAddress()).getPort();
            }
            try
            {
                Sockets.bind(fd, LibC.AF_INET, InetAddress.getLoopbackAddress(), port);
                return port;
            }
            catch (final IOException ex)
            {
                if (attempt == 10)
                {
                    throw ex;
                }
            }
        }
    }

    private static void send(final int port) throws IOException
    {
        try (DatagramChannel channel = DatagramChannel.open())
        {
            channel.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }
}
