package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.NetnsFixture;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.SockAddr;
import org.esp4j.tun.jna.Sockets;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.esp4j.tun.offload.TcpPackets.ACK;
import static org.esp4j.tun.offload.TcpPackets.PSH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Root test against the kernel's own TCP through a TUN opened with offloads ({@code IFF_VNET_HDR}, CSUM, TSO4/6).
 * Everything runs in a network namespace of its own: one test thread joins it with {@code setns(2)} and creates the
 * TUN and the socket there, so no packet can leave it. The test plays the far end of a TCP connection through the
 * TUN ({@link KernelTcpPeer}):
 * <ul>
 *   <li>the kernel's TSO: 200 KB written on the socket come out of the TUN as super-packets ({@code gso_type}
 *   TCPV4/TCPV6, {@code gso_size} at most the MSS) that {@link TcpSegmenter} cuts into segments whose checksums
 *   verify and whose payload is what the socket wrote;</li>
 *   <li>the kernel's GRO side: a train of segments joined by {@link TunWriter} and written as one GSO packet is
 *   taken by the kernel's TCP as one: the socket reads the whole train in one read, and the only ACK of it covers it
 *   all.</li>
 *   <li>UDP, where the kernel takes UDP segmentation offload on a TUN (Linux 6.2 and later): datagrams joined by
 *   {@link UdpCoalescer} into one write reach a plain UDP socket as the datagrams they were; and what a socket sends
 *   with {@code UDP_SEGMENT} comes out of the TUN as one super-packet ({@code GSO_UDP_L4}) that {@link UdpSegmenter}
 *   cuts into the datagrams the socket meant, each with a checksum that verifies.</li>
 * </ul>
 * Skipped (with the reason) when not root, unless {@code CI=true}, where it must run.
 */
class TunOffloadKernelTest
{
    private static final int MTU = 1500;
    private static final long TEST_DEADLINE_MS = 30_000;

    private static final byte[] V4_LOCAL = {(byte)198, 18, (byte)0xE5, 1};
    private static final byte[] V4_PEER = {(byte)198, 18, (byte)0xE5, 2};
    private static final byte[] V6_LOCAL = {0x20, 0x01, 0x0d, (byte)0xb8, (byte)0xe5, (byte)0xb4, 0x0f, 0x0f,
        0, 0, 0, 0, 0, 0, 0, 1};
    private static final byte[] V6_PEER = {0x20, 0x01, 0x0d, (byte)0xb8, (byte)0xe5, (byte)0xb4, 0x0f, 0x0f,
        0, 0, 0, 0, 0, 0, 0, 2};

    private final long pid = ProcessHandle.current().pid();
    @RegisterExtension
    final NetnsFixture netns = new NetnsFixture("offload");
    private final String tunName = "esp4jo" + pid % 100_000;
    private final Random random = new Random();

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60)
    void shouldReadKernelTsoSuperPacketsAndCutThemIntoSegmentsCarryingWhatTheSocketWrote(final boolean ipv6)
        throws Exception
    {
        runInNamespace(() ->
        {
            try (TunDevice tun = openTun(ipv6); SocketChannel socket = SocketChannel.open())
            {
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TEST_DEADLINE_MS);
                final KernelTcpPeer peer = connect(tun, socket, ipv6, deadline);
                final byte[] data = new byte[200 * 1024];
                random.nextBytes(data);
                final ByteBuffer toSend = ByteBuffer.wrap(data);
                final byte[] received = new byte[data.length];
                final long dataStart = peer.receiveNext;
                int contiguous = 0;
                final List<KernelTcpPeer.Frame> superPackets = new ArrayList<>();
                int segmentsInSuperPackets = 0;
                final int maxSegmentPayload = MTU - (ipv6 ? 40 : 20) - 20 - 12; // timestamps in every segment

                while (contiguous < data.length)
                {
                    assertTrue(System.nanoTime() < deadline, "timed out: " + contiguous + " of " + data.length +
                        " bytes received, " + superPackets.size() + " super-packets");
                    if (toSend.hasRemaining())
                    {
                        socket.write(toSend);
                    }
                    final KernelTcpPeer.Frame frame = peer.read(toSend.hasRemaining() ? 1 : 50);
                    if (frame == null || !peer.fromSocket(frame.packet()))
                    {
                        continue;
                    }
                    final List<byte[]> segments = peer.segments(frame);
                    if (frame.gso())
                    {
                        superPackets.add(frame);
                        segmentsInSuperPackets += segments.size();
                        assertEquals(ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4,
                            frame.gsoType() & ~VirtioNetHeader.GSO_ECN, frame.toString());
                        assertTrue(frame.gsoSize() > 0 && frame.gsoSize() <= maxSegmentPayload, frame.toString());
                        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, frame.flags() & VirtioNetHeader.F_NEEDS_CSUM);
                        assertEquals(ipv6 ? 40 : 20, frame.csumStart(), frame.toString());
                        assertEquals(VirtioNetHeader.TCP_CHECKSUM_FIELD, frame.csumOffset(), frame.toString());
                        for (int i = 0; i < segments.size() - 1; i++)
                        {
                            assertEquals(frame.gsoSize(), TcpPackets.payload(segments.get(i)).length);
                        }
                    }
                    for (final byte[] segment : segments)
                    {
                        assertTrue(segment.length <= MTU, "segment of " + segment.length + " bytes");
                        final byte[] payload = TcpPackets.payload(segment);
                        final long offset = (TcpPackets.seq(segment) - dataStart) & 0xFFFF_FFFFL;
                        if (payload.length == 0 || offset > contiguous)
                        {
                            continue; // an ACK, or after a hole: the kernel will send it again
                        }
                        final int from = (int)offset;
                        assertTrue(from + payload.length <= data.length, "more data than the socket wrote");
                        System.arraycopy(payload, 0, received, from, payload.length);
                        contiguous = Math.max(contiguous, from + payload.length);
                        assertArrayEquals(Arrays.copyOfRange(data, from, from + payload.length), payload,
                            "payload at stream offset " + from);
                    }
                    peer.receiveNext = (dataStart + contiguous) & 0xFFFF_FFFFL;
                    peer.ack();
                }

                assertArrayEquals(data, received);
                assertFalse(superPackets.isEmpty(), "no TSO super-packet read from the TUN");
                assertTrue(segmentsInSuperPackets > superPackets.size(), "super-packets of one segment only");
                System.out.printf("ipv6=%s: %d super-packets, %d segments in them, gso_size %d%n", ipv6,
                    superPackets.size(), segmentsInSuperPackets, superPackets.get(0).gsoSize());
            }
            return null;
        });
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60)
    void shouldHaveTheKernelTcpTakeACoalescedTrainAsOneAndAcknowledgeItAtOnce(final boolean ipv6) throws Exception
    {
        runInNamespace(() ->
        {
            try (TunDevice tun = openTun(ipv6); SocketChannel socket = SocketChannel.open())
            {
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TEST_DEADLINE_MS);
                final KernelTcpPeer peer = connect(tun, socket, ipv6, deadline);
                // the kernel's ACK of our SYN-ACK
                peer.await(f -> TcpPackets.payload(f.packet()).length == 0, "the handshake's last ACK", deadline);

                final int segmentCount = 16;
                final int mss = 1400;
                final byte[] data = new byte[segmentCount * mss];
                random.nextBytes(data);
                final long start = peer.sendNext;
                final TunFrames written = new TunFrames(true);
                final TunWriter coalescer = new TunWriter((address, length) ->
                {
                    final int n = tun.write(0, address, length);
                    if (n >= 0)
                    {
                        written.write(address, length);
                    }
                    return n;
                }, tun.vnetHeaderLength(), true, written.packets, written.segments, written.errors);
                final TcpPackets.Builder flow = peer.builder(); // one timestamp for the whole train
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
                for (int i = 0; i < segmentCount; i++)
                {
                    final byte[] segment = flow.copy().seq(start + (long)i * mss)
                        .flags(i == segmentCount - 1 ? ACK | PSH : ACK)
                        .payload(Arrays.copyOfRange(data, i * mss, (i + 1) * mss)).build();
                    buffer.putBytes(0, segment);
                    coalescer.offer(buffer, 0, segment.length);
                }
                coalescer.flush();
                peer.sendNext = (start + data.length) & 0xFFFF_FFFFL;

                assertEquals(0, written.errors.get(), "the kernel refused the coalesced write");
                assertEquals(1, written.frames.size(), "the train was not written as one packet");
                assertEquals(1, written.packets.get());
                assertEquals(segmentCount, written.segments.get());
                final UnsafeBuffer header = written.header(0);
                assertEquals(ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4,
                    VirtioNetHeader.gsoType(header, 0));
                assertEquals(mss, VirtioNetHeader.gsoSize(header, 0));

                final ByteBuffer readBuffer = ByteBuffer.allocate(256 * 1024);
                int firstRead = 0;
                while (firstRead == 0)
                {
                    assertTrue(System.nanoTime() < deadline, "the socket got nothing of the coalesced train");
                    firstRead = socket.read(readBuffer);
                    assertTrue(firstRead >= 0, "connection closed");
                    if (firstRead == 0)
                    {
                        Thread.sleep(1);
                    }
                }
                assertEquals(data.length, firstRead, "the whole train in one read");
                assertArrayEquals(data, Arrays.copyOf(readBuffer.array(), firstRead));

                final long end = peer.sendNext;
                boolean acknowledged = false;
                while (!acknowledged)
                {
                    final KernelTcpPeer.Frame frame = peer.await(f -> (TcpPackets.tcpFlags(f.packet()) & ACK) != 0,
                        "the ACK of the train", deadline);
                    for (final byte[] segment : peer.segments(frame))
                    {
                        final long acked = (TcpPackets.ack(segment) - start) & 0xFFFF_FFFFL;
                        if (acked == 0)
                        {
                            continue; // nothing of the train yet (a window update, say)
                        }
                        assertEquals(data.length, acked, "the kernel acknowledged part of the train only");
                        assertEquals(end, TcpPackets.ack(segment));
                        acknowledged = true;
                    }
                }
            }
            return null;
        });
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60)
    void shouldDeliverEveryDatagramOfACoalescedUdpTrainToAPlainSocket(final boolean ipv6) throws Exception
    {
        runInNamespace(() ->
        {
            try (TunDevice tun = openTun(ipv6); DatagramChannel socket = DatagramChannel.open())
            {
                assumeTrue(tun.udpOffload(), "this kernel has no UDP segmentation offload on TUN (Linux < 6.2)");
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TEST_DEADLINE_MS);
                final byte[] local = ipv6 ? V6_LOCAL : V4_LOCAL;
                final byte[] peer = ipv6 ? V6_PEER : V4_PEER;
                socket.bind(new InetSocketAddress(InetAddress.getByAddress(local), UdpPackets.DESTINATION_PORT));
                socket.configureBlocking(false);
                final TunFrames counters = new TunFrames(true);
                final UdpCoalescer coalescer = new UdpCoalescer((address, length) -> tun.write(0, address, length),
                    true, UdpCoalescer.MAX_SEGMENTS, (b, o, l) -> fail("nothing to hand on"), counters.packets, counters.segments, counters.errors);
                final List<byte[]> payloads = new ArrayList<>();
                final UnsafeBuffer input = new UnsafeBuffer(new byte[2048]);
                for (final int size : new int[] {1200, 1200, 1200, 1200, 1200, 500})
                {
                    final byte[] payload = new byte[size];
                    random.nextBytes(payload);
                    payloads.add(payload);
                    final byte[] datagram = UdpPackets.datagram(peer, local, UdpPackets.SOURCE_PORT,
                        UdpPackets.DESTINATION_PORT, payload);
                    input.putBytes(0, datagram);
                    coalescer.offer(input, 0, datagram.length);
                }
                coalescer.flush();
                assertEquals(0, counters.errors.get(), "the TUN refused the write");
                assertEquals(1, counters.packets.get(), "one write");
                assertEquals(6, counters.segments.get());

                final ByteBuffer received = ByteBuffer.allocate(65536);
                for (final byte[] payload : payloads)
                {
                    InetSocketAddress from = null;
                    while (from == null)
                    {
                        assertTrue(System.nanoTime() < deadline, "the socket got " +
                            payloads.indexOf(payload) + " of " + payloads.size() + " datagrams");
                        received.clear();
                        from = (InetSocketAddress)socket.receive(received);
                        if (from == null)
                        {
                            Thread.sleep(1);
                        }
                    }
                    received.flip();
                    assertArrayEquals(payload, Arrays.copyOf(received.array(), received.limit()),
                        "datagram " + payloads.indexOf(payload));
                    assertEquals(UdpPackets.SOURCE_PORT, from.getPort());
                    assertArrayEquals(peer, from.getAddress().getAddress());
                }
            }
            return null;
        });
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60)
    void shouldReadAUdpGsoSuperPacketAndCutItIntoTheDatagramsTheSocketSent(final boolean ipv6) throws Exception
    {
        runInNamespace(() ->
        {
            try (TunDevice tun = openTun(ipv6))
            {
                assumeTrue(tun.udpOffload(), "this kernel has no UDP segmentation offload on TUN (Linux < 6.2)");
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TEST_DEADLINE_MS);
                final int gsoSize = 1000;
                final byte[] data = new byte[3 * gsoSize + 321];
                random.nextBytes(data);
                final int fd = Sockets.socket(ipv6 ? LibC.AF_INET6 : LibC.AF_INET, LibC.SOCK_DGRAM, 0);
                try
                {
                    Sockets.setInt(fd, LibC.SOL_UDP, LibC.UDP_SEGMENT, gsoSize);
                    final NativeArea area = new NativeArea(data.length + SockAddr.STORAGE_LENGTH);
                    area.buffer().putBytes(0, data);
                    final int addressLength = SockAddr.put(area.buffer(), data.length,
                        InetAddress.getByAddress(ipv6 ? V6_PEER : V4_PEER), UdpPackets.DESTINATION_PORT);
                    assertEquals(data.length, LibC.sendto(fd, area.address(0), data.length, 0,
                        area.address(data.length), addressLength), () -> "sendto: " + LibC.describe(LibC.errno()));
                }
                finally
                {
                    LibC.close(fd);
                }

                final NativeArea frame = new NativeArea(VirtioNetHeader.LENGTH + 70_000);
                int n;
                do
                {
                    assertTrue(System.nanoTime() < deadline, "no UDP super-packet came out of the TUN");
                    n = tun.read(0, frame.address(0), frame.capacity());
                    if (n == TunDevice.WOULD_BLOCK)
                    {
                        Thread.sleep(1);
                    }
                }
                while (n <= 0 || VirtioNetHeader.gsoType(frame.buffer(), 0) != VirtioNetHeader.GSO_UDP_L4);
                assertEquals(gsoSize, VirtioNetHeader.gsoSize(frame.buffer(), 0));

                final UdpSegmenter segmenter = new UdpSegmenter();
                assertEquals(4, segmenter.prepare(frame.buffer(), VirtioNetHeader.LENGTH, n - VirtioNetHeader.LENGTH,
                    gsoSize));
                final UnsafeBuffer out = new UnsafeBuffer(new byte[2048]);
                for (int i = 0; i < 4; i++)
                {
                    final int length = segmenter.segment(i, out, 0);
                    final byte[] datagram = new byte[length];
                    out.getBytes(0, datagram);
                    assertTrue(UdpPackets.checksumValid(datagram), "checksum of datagram " + i);
                    assertArrayEquals(Arrays.copyOfRange(data, i * gsoSize, Math.min(data.length, (i + 1) * gsoSize)),
                        UdpPackets.payload(datagram), "datagram " + i);
                    assertEquals(UdpPackets.DESTINATION_PORT, TcpPackets.destinationPort(datagram));
                }
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ helpers

    /** Run {@code task} on the thread that has joined the test's namespace. */
    private void runInNamespace(final Callable<Void> task) throws Exception
    {
        netns.call(task, TEST_DEADLINE_MS + 20_000);
    }

    /** Create the TUN with offloads in the namespace, MTU 1500, up, with an address whose prefix routes into it. */
    private TunDevice openTun(final boolean ipv6) throws IOException
    {
        final TunDevice tun = TunDevice.open(tunName, 1, true);
        try
        {
            assertEquals(VirtioNetHeader.LENGTH, tun.vnetHeaderLength());
            final IpCommand ip = netns.ip();
            ip.check("link", "set", "lo", "up");
            tun.configure(ip, MTU);
            if (ipv6)
            {
                ip.check("-6", "addr", "add", "2001:db8:e5b4:f0f::1/64", "dev", tun.name(), "nodad");
                ip.awaitLocalAddress("2001:db8:e5b4:f0f::1", TEST_DEADLINE_MS);
            }
            else
            {
                ip.check("addr", "add", "198.18.229.1/24", "dev", tun.name());
                ip.awaitLocalAddress("198.18.229.1", TEST_DEADLINE_MS);
            }
            return tun;
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            tun.close();
            throw ex;
        }
    }

    /** Connect the socket to the peer behind the TUN: the SYN comes out of the TUN, the SYN-ACK goes in. */
    private KernelTcpPeer connect(
        final TunDevice tun, final SocketChannel socket, final boolean ipv6, final long deadline) throws Exception
    {
        final KernelTcpPeer peer = new KernelTcpPeer(tun, ipv6, ipv6 ? V6_LOCAL : V4_LOCAL, ipv6 ? V6_PEER : V4_PEER);
        socket.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
        socket.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        socket.configureBlocking(false);
        final boolean connected = socket.connect(new InetSocketAddress(
            InetAddress.getByAddress(ipv6 ? V6_PEER : V4_PEER), KernelTcpPeer.PEER_PORT));
        assertFalse(connected, "connected without a handshake");
        peer.acceptSyn(deadline, random.nextInt() & 0xFFFF_FFFFL);
        while (!socket.finishConnect())
        {
            if (System.nanoTime() > deadline)
            {
                fail("the socket did not take the SYN-ACK");
            }
            Thread.sleep(1);
        }
        return peer;
    }
}
