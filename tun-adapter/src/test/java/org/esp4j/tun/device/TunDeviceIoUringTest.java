package org.esp4j.tun.device;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.PollFds;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Root test: TUN reads through io_uring ({@link TunDevice#readWithIoUring}) against the real kernel. The host sends
 * UDP datagrams to an address routed into the TUN (a ULA /64 made from this process's id, on the TUN only: nothing
 * leaves it); the test reads them from the TUN and checks each one, their order, and the system calls it took.
 */
class TunDeviceIoUringTest
{
    private static final int UDP_PORT = 9;
    private static final int UDP_HEADER = 8;
    /** What io_uring_setup answers where /proc/sys/kernel/io_uring_disabled forbids it. */
    private static final int EPERM = 1;

    private final String name = "esp4ju" + ProcessHandle.current().pid() % 100000;
    private final String prefix = "fd00:e5b5:" + Long.toHexString(ProcessHandle.current().pid() & 0xFFFF) + "::";

    @BeforeEach
    void root()
    {
        RootAssumptions.assumeRootOrCi();
    }

    @Test
    void shouldReadEveryDatagramInOrderWithOneSystemCallPerBurst() throws Exception
    {
        try (TunDevice tun = open(false); DatagramSocket socket = new DatagramSocket())
        {
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH);
            final int count = 3 * TunDevice.RING_BUFFERS + 5; // more than one ring's worth: the read is re-armed
            drain(tun, area);
            final long entersBefore = tun.ioUringEnters(0);
            for (int i = 0; i < count; i++)
            {
                send(socket, i, 100 + i);
            }
            readDatagrams(tun, area, 0, count);
            assertNull(tun.ioUringUnavailable(0), "io_uring in use");
            final long enters = tun.ioUringEnters(0) - entersBefore;
            assertTrue(enters <= count / 4, count + " datagrams took " + enters + " io_uring_enter calls");
        }
    }

    @Test
    void shouldReadSparseDatagramsWithReadAndQueuedOnesThroughTheRing() throws Exception
    {
        try (TunDevice tun = open(false); DatagramSocket socket = new DatagramSocket())
        {
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH);
            final PollFds poll = new PollFds(1).add(tun.fd(0), LibC.POLLIN);
            drain(tun, area);
            final long entersBefore = tun.ioUringEnters(0);
            int next = 0;
            for (int i = 0; i < 2 * TunDevice.READ_AFTER_SPARSE_ENTERS; i++, next++)
            {
                send(socket, next, 100);
                readAlone(tun, area, poll, next);
            }
            assertEquals(entersBefore, tun.ioUringEnters(0), "lone datagrams: read(2), no io_uring_enter");
            assertFalse(tun.ioUringActive(0));

            final int queued = 3 * TunDevice.RING_BUFFERS;
            for (int i = 0; i < queued; i++)
            {
                send(socket, next + i, 100);
            }
            readDatagrams(tun, area, next, queued);
            next += queued;
            assertTrue(tun.ioUringActive(0), "datagrams queued: read through the ring");
            final long enters = tun.ioUringEnters(0) - entersBefore;
            assertTrue(enters <= queued / 8, queued + " queued datagrams took " + enters + " io_uring_enter calls");

            for (int i = 0; i < 2 * TunDevice.READ_AFTER_SPARSE_ENTERS && tun.ioUringActive(0); i++, next++)
            {
                send(socket, next, 100);
                readAlone(tun, area, poll, next);
            }
            assertFalse(tun.ioUringActive(0), "sparse again: back to read(2)");
            assertEquals(2, tun.ioUringSwitches(0));
            assertNull(tun.ioUringUnavailable(0));
        }
    }

    /** Wait as an idle agent does (poll) for datagram {@code index}, read it, and find nothing after it. */
    private static void readAlone(final TunDevice tun, final NativeArea area, final PollFds poll, final int index)
    {
        assertEquals(1, poll.poll(20_000), "poll on the TUN fd saw no datagram");
        readDatagrams(tun, area, index, 1);
        for (int i = 0; i < 10 && tun.read(0, area.address(0), area.capacity()) > 0; i++)
        {
            // nothing else but what the kernel sends on its own (an MLD report)
        }
    }

    @Test
    void shouldReadWithoutAllocating() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        try (TunDevice tun = open(false); DatagramSocket socket = new DatagramSocket())
        {
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH);
            final long address = area.address(0);
            final int capacity = area.capacity();
            for (int round = 0; round < 3; round++) // the first rounds warm up (class loading, first calls)
            {
                drain(tun, area);
                final int count = 2 * TunDevice.RING_BUFFERS;
                for (int i = 0; i < count; i++)
                {
                    send(socket, i, 200);
                }
                final long before = threads.getCurrentThreadAllocatedBytes();
                int read = 0;
                final long deadline = System.nanoTime() + 30_000_000_000L;
                while (read < count && System.nanoTime() - deadline < 0)
                {
                    if (tun.read(0, address, capacity) > 0)
                    {
                        read++;
                    }
                }
                final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertTrue(read >= count, "read " + read + " of " + count);
                if (round == 2)
                {
                    assertTrue(allocated < 256, count + " reads allocated " + allocated + " bytes");
                }
            }
            assertNull(tun.ioUringUnavailable(0));
        }
    }

    @Test
    void shouldShowAWaitingDatagramToPollOnceTheRingIsEmpty() throws Exception
    {
        try (TunDevice tun = open(false); DatagramSocket socket = new DatagramSocket())
        {
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH);
            drain(tun, area);
            assertEquals(TunDevice.WOULD_BLOCK, tun.read(0, area.address(0), area.capacity()));
            send(socket, 7, 64);
            // an idle agent sleeps in poll(2) on the TUN fd once read answered WOULD_BLOCK: the datagram must wake it
            final PollFds poll = new PollFds(1).add(tun.fd(0), LibC.POLLIN);
            assertEquals(1, poll.poll(20_000), "poll on the TUN fd saw no datagram");
            readDatagrams(tun, area, 7, 1);
            assertNull(tun.ioUringUnavailable(0));
        }
    }

    @Test
    void shouldReadWithReadWhenAnotherThreadThanTheRingsReads() throws Exception
    {
        final ExecutorService other = Executors.newSingleThreadExecutor();
        try (TunDevice tun = open(false); DatagramSocket socket = new DatagramSocket())
        {
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH);
            // the ring belongs to the thread that read first
            CompletableFuture.runAsync(() -> drain(tun, area), other).get(30, TimeUnit.SECONDS);
            final int count = 2 * TunDevice.RING_AFTER_READS + 2; // queued: the reader turns to the ring, which refuses
            for (int i = 0; i < count; i++)
            {
                send(socket, i, 80 + i);
            }
            readDatagrams(tun, area, 0, count);
            assertTrue(tun.ioUringUnavailable(0).startsWith("io_uring_enter"), tun.ioUringUnavailable(0));
        }
        finally
        {
            other.shutdownNow();
        }
    }

    @Test
    void shouldReadEveryDatagramWithReadWhereTheKernelRefusesIoUring() throws Exception
    {
        try (TunDevice tun = TunDevice.open(name, 1, false); DatagramSocket socket = new DatagramSocket())
        {
            tun.readWithIoUring(true);
            tun.ringOpener((fd, bufferCount, bufferSize) ->
            {
                throw new java.io.IOException("io_uring_setup: " + LibC.describe(EPERM));
            });
            configure(tun);
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH);
            drain(tun, area);
            final int count = 3 * TunDevice.RING_BUFFERS; // queued: a reader with a ring would turn to it
            for (int i = 0; i < count; i++)
            {
                send(socket, i, 100 + i);
            }
            readDatagrams(tun, area, 0, count);
            assertEquals("io_uring_setup: " + LibC.describe(EPERM), tun.ioUringUnavailable(0));
            assertEquals(0, tun.ioUringEnters(0), "no ring: no io_uring_enter");
            assertFalse(tun.ioUringActive(0));
            assertEquals(0, tun.ioUringSwitches(0));
        }
    }

    @Test
    void shouldReadDatagramsBehindAVirtioNetHeaderWithOffloads() throws Exception
    {
        try (TunDevice tun = open(true); DatagramSocket socket = new DatagramSocket())
        {
            final NativeArea area = new NativeArea(TunDevice.MAX_READ_LENGTH + tun.vnetHeaderLength());
            drain(tun, area);
            for (int i = 0; i < 40; i++)
            {
                send(socket, i, 1200);
            }
            readDatagrams(tun, area, 0, 40);
            assertNull(tun.ioUringUnavailable(0));
        }
    }

    private TunDevice open(final boolean offload) throws Exception
    {
        final TunDevice tun = TunDevice.open(name, 1, offload);
        tun.readWithIoUring(true);
        configure(tun);
        return tun;
    }

    private void configure(final TunDevice tun) throws Exception
    {
        tun.configure(new IpCommand(), 1500, 1000);
        new IpCommand().check("-6", "addr", "add", prefix + "1/64", "dev", name, "nodad");
        new IpCommand().awaitLocalAddress(prefix + "1", 30_000);
    }

    /** Send a datagram of {@code length} bytes numbered {@code index} from the host to {@code PREFIX::2}. */
    private void send(final DatagramSocket socket, final int index, final int length) throws Exception
    {
        final byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)(index + i);
        }
        payload[0] = (byte)(index >> 8);
        payload[1] = (byte)index;
        socket.send(new DatagramPacket(payload, length,
            new InetSocketAddress(InetAddress.getByName(prefix + "2"), UDP_PORT)));
    }

    /**
     * Read from the TUN until {@code count} datagrams to port 9 came, numbered from {@code first} on in order, each
     * with the payload {@link #send} wrote; other packets (MLD, router solicitations) are skipped.
     */
    private static void readDatagrams(final TunDevice tun, final NativeArea area, final int first, final int count)
    {
        final int ip = tun.vnetHeaderLength();
        final UnsafeBuffer b = area.buffer();
        int next = first;
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (next < first + count)
        {
            assertTrue(System.nanoTime() < deadline, "only " + (next - first) + " of " + count + " datagrams read");
            final int n = tun.read(0, area.address(0), area.capacity());
            if (n == TunDevice.WOULD_BLOCK)
            {
                Thread.onSpinWait();
                continue;
            }
            assertTrue(n > 0, "read failed: " + LibC.describe(-n));
            if (Ipv6Header.nextHeader(b, ip) != LibC.IPPROTO_UDP ||
                (b.getShort(ip + Ipv6Header.LENGTH + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF) != UDP_PORT)
            {
                continue;
            }
            final int payload = ip + Ipv6Header.LENGTH + UDP_HEADER;
            final int length = n - payload;
            assertEquals(next, b.getShort(payload, ByteOrder.BIG_ENDIAN) & 0xFFFF, "datagram out of order");
            for (int i = 2; i < length; i++)
            {
                assertEquals((byte)(next + i), b.getByte(payload + i), "byte " + i + " of datagram " + next);
            }
            next++;
        }
    }

    private static void drain(final TunDevice tun, final NativeArea area)
    {
        for (int i = 0; i < 1000 && tun.read(0, area.address(0), area.capacity()) > 0; i++)
        {
            // router solicitations, MLD reports
        }
    }
}
