package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.tun.jna.NativeArea;

import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Writes plaintext packets into a TUN that takes UDP segmentation offload ({@code TUN_F_USO4 | TUN_F_USO6}, Linux
 * 6.2 and later), joining consecutive datagrams of one flow into one GSO packet ({@code VIRTIO_NET_HDR_GSO_UDP_L4},
 * partial checksum): one system call and one pass through the IP receive path for up to {@link #MAX_SEGMENTS}
 * datagrams. The kernel cuts the packet back into the original datagrams before any socket sees it (a socket without
 * {@code UDP_GRO} gets them one by one, with their own lengths and checksums), so the application sees what it
 * would have seen without the daemon.
 * <pre>
 * written: virtio_net_hdr | IP header | UDP header (len = 8 + all payloads) | payload 1 | payload 2 | ... | payload n
 *          gso_size = payload 1's length; payloads 1..n-1 exactly that long, payload n at most that long
 * </pre>
 * Datagrams are joined as the kernel's UDP GRO joins them ({@code udp_gro_receive}, {@code inet_gro_receive}):
 * same addresses and ports, IPv4 TOS, TTL and DF or IPv6 traffic class, flow label and hop limit; no IPv4 options,
 * no IPv6 extension headers, no fragments; every datagram but the last exactly the first one's payload size, at most
 * 64 KiB in all. A shorter datagram ends the train. Each joined datagram's UDP checksum is verified first (IPv4's
 * zero "no checksum" too is written alone), so a corrupt datagram is never hidden under a checksum the kernel
 * computes: it is written on its own and the kernel drops it as it would.
 * <p>
 * Anything else goes to {@code next} (after the pending train is written, so no flow is reordered against itself),
 * which for TCP joins segments ({@link TunWriter}). The caller must call {@link #flush()} whenever it stops
 * feeding packets (end of a receive batch): nothing waits for more traffic. One instance per writing thread;
 * allocates nothing.
 */
public final class UdpCoalescer
{
    /** Largest IP packet the coalescer builds. */
    public static final int MAX_PACKET_LENGTH = 65535;
    /** Most datagrams in one write (the kernel's UDP GSO takes at most 128 segments per packet). */
    public static final int MAX_SEGMENTS = 64;
    private static final int PROTOCOL_UDP = IpProtocol.UDP;
    private static final int UDP_HEADER_LENGTH = UdpHeader.LENGTH;
    private static final int UDP_LENGTH_OFFSET = UdpHeader.LENGTH_OFFSET;
    private static final int UDP_CHECKSUM_OFFSET = UdpHeader.CHECKSUM_OFFSET;
    private static final int IPV4_HEADER_LENGTH = Ipv4Header.MIN_LENGTH;
    private static final int IPV6_HEADER_LENGTH = Ipv6Header.LENGTH;

    /** Where everything that is not a joinable UDP datagram goes. */
    @FunctionalInterface
    public interface Next
    {
        void offer(DirectBuffer buffer, int offset, int length);
    }

    private final TunWriter.FrameWriter writer;
    private final Next next;
    private final AtomicCounter coalescedPackets;
    private final AtomicCounter coalescedSegments;
    private final AtomicCounter writeErrors;
    private final boolean enabled;
    private final int maxSegments;
    private final NativeArea area = new NativeArea(VirtioNetHeader.LENGTH + MAX_PACKET_LENGTH);
    private final UnsafeBuffer out = area.buffer();

    private int pendingSegments;
    private int pendingLength;
    private boolean pendingIpv6;
    private int ipHeaderLength;
    private int segmentSize;

    /**
     * @param writer            the TUN, opened with a virtio-net header and UDP segmentation offload.
     * @param enabled           false: every packet goes to {@code next} unchanged.
     * @param maxSegments       most datagrams joined into one write (1..{@link #MAX_SEGMENTS}; 1: none joined).
     * @param next              takes every packet not joined here.
     * @param coalescedPackets  counts GSO packets written.
     * @param coalescedSegments counts datagrams that went into them.
     * @param writeErrors       counts failed writes.
     */
    public UdpCoalescer(
        final TunWriter.FrameWriter writer,
        final boolean enabled,
        final int maxSegments,
        final Next next,
        final AtomicCounter coalescedPackets,
        final AtomicCounter coalescedSegments,
        final AtomicCounter writeErrors)
    {
        this.writer = writer;
        if (maxSegments < 1 || maxSegments > MAX_SEGMENTS)
        {
            throw new IllegalArgumentException("maxSegments must be 1.." + MAX_SEGMENTS + ": " + maxSegments);
        }
        this.enabled = enabled && maxSegments > 1;
        this.maxSegments = maxSegments;
        this.next = next;
        this.coalescedPackets = coalescedPackets;
        this.coalescedSegments = coalescedSegments;
        this.writeErrors = writeErrors;
    }

    /** Take one whole IP packet: join it to the pending train, or start a new one, or hand it to {@code next}. */
    public void offer(final DirectBuffer buffer, final int offset, final int length)
    {
        final int payloadLength = enabled ? joinablePayload(buffer, offset, length) : -1;
        if (payloadLength <= 0)
        {
            flush();
            next.offer(buffer, offset, length);
            return;
        }
        if (pendingSegments > 0 && follows(buffer, offset, length, payloadLength))
        {
            out.putBytes(VirtioNetHeader.LENGTH + pendingLength, buffer, offset + length - payloadLength, payloadLength);
            pendingLength += payloadLength;
            pendingSegments++;
            if (payloadLength < segmentSize || pendingSegments == maxSegments ||
                pendingLength + segmentSize > MAX_PACKET_LENGTH)
            {
                flush();
            }
            return;
        }
        flush();
        out.putBytes(VirtioNetHeader.LENGTH, buffer, offset, length);
        pendingSegments = 1;
        pendingLength = length;
        pendingIpv6 = Ipv4Header.version(buffer, offset) == Ipv6Header.VERSION;
        ipHeaderLength = pendingIpv6 ? IPV6_HEADER_LENGTH : IPV4_HEADER_LENGTH;
        segmentSize = payloadLength;
    }

    /** Write out the pending train, if any (a train of one is written as the datagram it is). */
    public void flush()
    {
        if (pendingSegments == 0)
        {
            return;
        }
        final int segments = pendingSegments;
        pendingSegments = 0;
        if (segments == 1)
        {
            VirtioNetHeader.putNone(out, 0);
        }
        else
        {
            finishTrain();
        }
        GroHeaders.countWrite(writer.write(area.address(0), VirtioNetHeader.LENGTH + pendingLength), segments, coalescedPackets,
            coalescedSegments, writeErrors);
    }

    /** @return datagrams waiting in the pending train. */
    public int pendingSegments()
    {
        return pendingSegments;
    }

    private void finishTrain()
    {
        final int ip = VirtioNetHeader.LENGTH;
        final int udp = ip + ipHeaderLength;
        final int udpLength = pendingLength - ipHeaderLength;
        if (pendingIpv6)
        {
            Ipv6Header.payloadLength(out, ip, udpLength);
        }
        else
        {
            Ipv4Header.totalLength(out, ip, pendingLength);
            Ipv4Header.updateChecksum(out, ip);
        }
        out.putShort(udp + UDP_LENGTH_OFFSET, (short)udpLength, BIG_ENDIAN);
        // partial checksum: the pseudo-header sum, folded and not complemented; the kernel adds the rest per segment
        final long pseudo = InternetChecksum.pseudoHeaderSum(out, ip, pendingIpv6, PROTOCOL_UDP, udpLength);
        out.putShort(udp + UDP_CHECKSUM_OFFSET, (short)InternetChecksum.fold(pseudo), BIG_ENDIAN);
        VirtioNetHeader.put(out, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_UDP_L4,
            ipHeaderLength + UDP_HEADER_LENGTH, segmentSize, ipHeaderLength, VirtioNetHeader.UDP_CHECKSUM_FIELD);
    }

    /**
     * @return the UDP payload length if the datagram may join a train (plain IPv4/IPv6 + UDP, unfragmented, lengths
     * consistent, a checksum that verifies), else -1.
     */
    static int joinablePayload(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > MAX_PACKET_LENGTH)
        {
            return -1;
        }
        final int headerLength = GroHeaders.joinableIpHeaderLength(buffer, offset, length, PROTOCOL_UDP,
            UDP_HEADER_LENGTH);
        if (headerLength < 0)
        {
            return -1;
        }
        final boolean ipv6 = headerLength == IPV6_HEADER_LENGTH;
        final int udp = offset + headerLength;
        final int udpLength = length - headerLength;
        final int payload = udpLength - UDP_HEADER_LENGTH;
        if ((buffer.getShort(udp + UDP_LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF) != udpLength || payload <= 0 ||
            buffer.getShort(udp + UDP_CHECKSUM_OFFSET, BIG_ENDIAN) == 0 ||
            !InternetChecksum.verifyTransportChecksum(buffer, offset, ipv6, PROTOCOL_UDP, udp, udpLength))
        {
            return -1;
        }
        return payload;
    }

    /** @return true if the datagram continues the pending train. */
    private boolean follows(final DirectBuffer buffer, final int offset, final int length, final int payloadLength)
    {
        final boolean ipv6 = Ipv4Header.version(buffer, offset) == Ipv6Header.VERSION;
        if (ipv6 != pendingIpv6 || payloadLength > segmentSize || length - payloadLength != ipHeaderLength +
            UDP_HEADER_LENGTH || pendingLength + payloadLength > MAX_PACKET_LENGTH)
        {
            return false;
        }
        final int ip = VirtioNetHeader.LENGTH;
        final int udp = offset + ipHeaderLength;
        final boolean sameIp = GroHeaders.sameFlowHeader(buffer, offset, out, ip, ipv6);
        // both ports
        return sameIp && buffer.getInt(udp, BIG_ENDIAN) == out.getInt(ip + ipHeaderLength, BIG_ENDIAN);
    }
}
