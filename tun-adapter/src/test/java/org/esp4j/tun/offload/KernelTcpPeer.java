package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.PollFds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import static org.esp4j.tun.offload.TcpPackets.ACK;
import static org.esp4j.tun.offload.TcpPackets.SYN;
import static org.esp4j.tun.offload.TcpPackets.transportOffset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helper: the far end of a kernel TCP connection, played through a TUN opened with offloads. It reads what
 * the kernel sends (virtio-net header first; super-packets are cut with {@link TcpSegmenter}, partial checksums
 * completed with {@link VirtioNetHeader#completePartialChecksum}; every segment's checksums checked with the
 * reference in {@link TcpPackets}) and writes hand-made packets with an all-zero virtio-net header. Timestamps and window scaling
 * are negotiated in the SYN-ACK so that segments carry the 12 option bytes Linux uses.
 */
final class KernelTcpPeer
{
    /** One frame read from the TUN. */
    record Frame(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset, byte[] packet)
    {
        boolean gso()
        {
            return gsoType != VirtioNetHeader.GSO_NONE;
        }
    }

    static final int PEER_PORT = 5001;
    static final int WINDOW_SHIFT = 7;
    static final int PEER_MSS_OPTION = 1460;

    private final TunDevice tun;
    private final boolean ipv6;
    private final byte[] local;
    private final byte[] peer;
    private final NativeArea in = new NativeArea(VirtioNetHeader.LENGTH + 65_600);
    private final NativeArea out = new NativeArea(VirtioNetHeader.LENGTH + 65_600);
    private final PollFds pollFds;
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final UnsafeBuffer segmentBuffer = new UnsafeBuffer(new byte[65_600]);

    int localPort;
    long localIss;
    /** Next sequence number expected from the kernel. */
    long receiveNext;
    /** Next sequence number the peer sends. */
    long sendNext;
    long lastLocalTimestamp;
    private final long timestampBase = System.nanoTime();

    KernelTcpPeer(final TunDevice tun, final boolean ipv6, final byte[] local, final byte[] peer)
    {
        this.tun = tun;
        this.ipv6 = ipv6;
        this.local = local;
        this.peer = peer;
        pollFds = new PollFds(1).add(tun.fd(0), LibC.POLLIN);
    }

    /** @return the next frame, or null if none came within {@code timeoutMs}. */
    Frame read(final int timeoutMs)
    {
        int n = tun.read(0, in.address(0), in.capacity());
        if (n == TunDevice.WOULD_BLOCK)
        {
            if (timeoutMs <= 0 || pollFds.poll(timeoutMs) <= 0)
            {
                return null;
            }
            n = tun.read(0, in.address(0), in.capacity());
            if (n == TunDevice.WOULD_BLOCK)
            {
                return null;
            }
        }
        assertTrue(n > VirtioNetHeader.LENGTH, "TUN read: " + (n < 0 ? LibC.describe(-n) : n + " bytes"));
        final UnsafeBuffer b = in.buffer();
        final byte[] packet = new byte[n - VirtioNetHeader.LENGTH];
        b.getBytes(VirtioNetHeader.LENGTH, packet);
        return new Frame(VirtioNetHeader.flags(b, 0), VirtioNetHeader.gsoType(b, 0), VirtioNetHeader.hdrLen(b, 0),
            VirtioNetHeader.gsoSize(b, 0), VirtioNetHeader.csumStart(b, 0), VirtioNetHeader.csumOffset(b, 0), packet);
    }

    /** @return true if the packet is TCP from the kernel's socket to the peer (router solicitations etc. are not). */
    boolean fromSocket(final byte[] p)
    {
        if (TcpPackets.version(p) != (ipv6 ? 6 : 4) || (p[ipv6 ? 6 : 9] & 0xFF) != 6)
        {
            return false;
        }
        final int addressLength = ipv6 ? 16 : 4;
        final int sourceOffset = ipv6 ? 8 : 12;
        return Arrays.equals(p, sourceOffset, sourceOffset + addressLength, local, 0, addressLength) &&
            Arrays.equals(p, sourceOffset + addressLength, sourceOffset + 2 * addressLength, peer, 0, addressLength) &&
            TcpPackets.destinationPort(p) == PEER_PORT;
    }

    /** Read frames (dropping others) until one from the socket matches; fail at the deadline. */
    Frame await(final Predicate<Frame> what, final String description, final long deadlineNanos)
    {
        while (System.nanoTime() < deadlineNanos)
        {
            final Frame frame = read(20);
            if (frame != null && fromSocket(frame.packet()) && what.test(frame))
            {
                return frame;
            }
        }
        return fail("timed out waiting for " + description);
    }

    /**
     * The segments a frame carries, as they would go on the wire: a super-packet cut by the segmenter (which must
     * accept it), a plain packet with its partial checksum completed. Each one's checksums must verify.
     */
    List<byte[]> segments(final Frame frame)
    {
        final List<byte[]> segments = new ArrayList<>();
        final byte[] p = frame.packet();
        final boolean partial = (frame.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0;
        if (frame.gso())
        {
            final int count = segmenter.prepare(new UnsafeBuffer(p), 0, p.length, frame.gsoType(), frame.gsoSize(),
                partial ? frame.csumStart() : 0);
            assertTrue(count > 0, "segmenter refused a kernel super-packet: " + frame);
            for (int i = 0; i < count; i++)
            {
                final int length = segmenter.segment(i, segmentBuffer, 0);
                segments.add(Arrays.copyOf(segmentBuffer.byteArray(), length));
            }
        }
        else
        {
            final byte[] copy = p.clone();
            if (partial)
            {
                assertTrue(frame.csumStart() + frame.csumOffset() + 2 <= copy.length, frame.toString());
                VirtioNetHeader.completePartialChecksum(new UnsafeBuffer(copy), frame.csumStart(), copy.length,
                    frame.csumOffset());
            }
            segments.add(copy);
        }
        for (final byte[] s : segments)
        {
            assertTrue(TcpPackets.tcpChecksumValid(s), "TCP checksum of a segment from the kernel");
            if (!ipv6)
            {
                assertTrue(TcpPackets.ipv4HeaderChecksumValid(s), "IPv4 header checksum of a segment");
            }
            noteTimestamp(s);
        }
        return segments;
    }

    /** Take the SYN the kernel sent when the socket connected and answer it with a SYN-ACK. */
    void acceptSyn(final long deadlineNanos, final long peerIss)
    {
        final Frame syn = await(f -> (TcpPackets.tcpFlags(f.packet()) & (SYN | ACK)) == SYN, "the SYN",
            deadlineNanos);
        final byte[] p = segments(syn).get(0);
        localPort = TcpPackets.sourcePort(p);
        localIss = TcpPackets.seq(p);
        assertTrue(lastLocalTimestamp != 0, "the kernel's SYN has no timestamp option");
        receiveNext = (localIss + 1) & 0xFFFF_FFFFL;
        sendNext = peerIss;
        final byte[] options = {
            2, 4, (byte)(PEER_MSS_OPTION >> 8), (byte)PEER_MSS_OPTION,
            1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,
            1, 3, 3, WINDOW_SHIFT};
        final long timestamp = peerTimestamp();
        TcpPackets.putInt(options, 8, timestamp);
        TcpPackets.putInt(options, 12, lastLocalTimestamp);
        write(builder().seq(sendNext).ack(receiveNext).flags(SYN | ACK).window(65535).options(options).build());
        sendNext = (sendNext + 1) & 0xFFFF_FFFFL;
    }

    /** @return a packet builder from the peer to the socket, with the flow's ports, timestamps and window. */
    TcpPackets.Builder builder()
    {
        return TcpPackets.tcp().ipv6(ipv6).addresses(peer, local).ports(PEER_PORT, localPort)
            .options(TcpPackets.timestamps(peerTimestamp(), lastLocalTimestamp)).window(65535).flags(ACK)
            .seq(sendNext).ack(receiveNext);
    }

    /** Acknowledge everything received so far. */
    void ack()
    {
        write(builder().build());
    }

    /** Write one packet into the TUN behind an all-zero virtio-net header. */
    void write(final byte[] packet)
    {
        final UnsafeBuffer b = out.buffer();
        VirtioNetHeader.putNone(b, 0);
        b.putBytes(VirtioNetHeader.LENGTH, packet);
        final int length = VirtioNetHeader.LENGTH + packet.length;
        final int n = tun.write(0, out.address(0), length);
        assertEquals(length, n, "TUN write: " + (n < 0 ? LibC.describe(-n) : n + " bytes"));
    }

    private long peerTimestamp()
    {
        return 1_000_000 + (System.nanoTime() - timestampBase) / 1_000_000;
    }

    private void noteTimestamp(final byte[] segment)
    {
        final int t = transportOffset(segment);
        final int end = t + TcpPackets.tcpHeaderLength(segment);
        int i = t + 20;
        while (i < end)
        {
            final int kind = segment[i] & 0xFF;
            if (kind == 0)
            {
                break;
            }
            if (kind == 1)
            {
                i++;
                continue;
            }
            final int length = segment[i + 1] & 0xFF;
            if (length < 2)
            {
                break;
            }
            if (kind == 8 && length == 10)
            {
                lastLocalTimestamp = TcpPackets.getInt(segment, i + 2);
            }
            i += length;
        }
    }
}
