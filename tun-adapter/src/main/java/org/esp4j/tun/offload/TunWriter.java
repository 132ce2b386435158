package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.tun.jna.NativeArea;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_TOTAL_LENGTH_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_HEADER_LENGTH;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_PAYLOAD_LENGTH_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.PROTOCOL_TCP;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_ACK;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_CHECKSUM_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_DATA_OFFSET_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_FLAGS_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_MIN_HEADER_LENGTH;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_PSH;
import static org.esp4j.tun.offload.TcpSegmenter.TCP_SEQUENCE_OFFSET;

/**
 * Writes plaintext packets into a TUN opened with {@code IFF_VNET_HDR}, joining consecutive TCP segments of one
 * flow into one GSO packet ({@code VIRTIO_NET_HDR_GSO_TCPV4/TCPV6} with a partial checksum), which the kernel's TCP
 * then receives as one, the way a NIC with GRO/LRO hands them up. Fewer, bigger writes: one system call, one pass
 * through the IP/TCP receive path and one ACK per train instead of per segment.
 * <p>
 * Segments are joined under the rules of the kernel's own GRO ({@code tcp_gro_receive}, {@code inet_gro_receive}):
 * same addresses, ports, IPv4 TOS/TTL/DF or IPv6 traffic class/flow label/hop limit; no IPv4 options, no IPv6
 * extension headers, no fragments; only ACK (and PSH) set; same acknowledgement number, window and TCP options;
 * each sequence number following the last; every segment but the last exactly the first one's payload size, and at
 * most 64 KiB in all. A PSH or a short segment ends the train. Each joined segment's checksums are verified first:
 * the written packet carries a partial checksum the kernel will trust, so a corrupt inner segment is never hidden in
 * it (it is written on its own and the kernel drops it as it would).
 * <p>
 * Anything else is written as it is (after writing out the pending train, so no flow is reordered). The caller
 * must call {@link #flush()} whenever it stops feeding packets (end of a receive batch): nothing waits for more
 * traffic. One instance per writing thread; allocates nothing.
 */
public final class TunWriter
{
    /** Largest IP packet the coalescer builds. */
    public static final int MAX_PACKET_LENGTH = 65535;

    /** Writes {@code length} bytes at a native address into the TUN (virtio-net header first). */
    @FunctionalInterface
    public interface FrameWriter
    {
        /**
         * @return bytes written or {@code -errno}.
         */
        int write(long address, int length);
    }

    private final FrameWriter writer;
    private final AtomicCounter coalescedPackets;
    private final AtomicCounter coalescedSegments;
    private final AtomicCounter writeErrors;
    private final boolean enabled;
    private final int header;
    private final NativeArea area = new NativeArea(VirtioNetHeader.LENGTH + MAX_PACKET_LENGTH);
    private final UnsafeBuffer out = area.buffer();

    private int pendingSegments;
    private int pendingLength;
    private boolean pendingIpv6;
    private int pendingIpHeaderLength;
    private int pendingTcpHeaderLength;
    private int segmentSize;
    private long nextSequence;
    private boolean pendingPush;

    /**
     * @param writer            the TUN.
     * @param vnetHeaderLength  {@link VirtioNetHeader#LENGTH} if the TUN takes a virtio-net header first, or 0: then
     *                          every packet is written on its own, as it is.
     * @param enabled           false: write every packet on its own (with a header that says nothing).
     * @param coalescedPackets  counts GSO packets written.
     * @param coalescedSegments counts segments that went into them.
     * @param writeErrors       counts failed writes.
     */
    public TunWriter(
        final FrameWriter writer,
        final int vnetHeaderLength,
        final boolean enabled,
        final AtomicCounter coalescedPackets,
        final AtomicCounter coalescedSegments,
        final AtomicCounter writeErrors)
    {
        this.writer = writer;
        if (vnetHeaderLength != 0 && vnetHeaderLength != VirtioNetHeader.LENGTH)
        {
            throw new IllegalArgumentException("virtio-net header length must be 0 or " + VirtioNetHeader.LENGTH);
        }
        this.header = vnetHeaderLength;
        this.enabled = enabled && vnetHeaderLength > 0;
        this.coalescedPackets = coalescedPackets;
        this.coalescedSegments = coalescedSegments;
        this.writeErrors = writeErrors;
    }

    /**
     * Take one whole IP packet: join it to the pending train, or write out the train and start a new one, or write
     * it on its own.
     */
    public void offer(final DirectBuffer buffer, final int offset, final int length)
    {
        final int payloadLength = enabled ? joinablePayload(buffer, offset, length) : -1;
        if (payloadLength <= 0)
        {
            flush();
            writeAlone(buffer, offset, length);
            return;
        }
        final int flags = buffer.getByte(offset + ipHeaderLengthOf(buffer, offset) + TCP_FLAGS_OFFSET) & 0xFF;
        if (pendingSegments > 0 && follows(buffer, offset, length, payloadLength))
        {
            out.putBytes(header + pendingLength, buffer, offset + length - payloadLength, payloadLength);
            pendingLength += payloadLength;
            pendingSegments++;
            nextSequence = (nextSequence + payloadLength) & 0xFFFF_FFFFL;
            if ((flags & TCP_PSH) != 0 || payloadLength < segmentSize ||
                pendingLength + segmentSize > MAX_PACKET_LENGTH)
            {
                pendingPush = (flags & TCP_PSH) != 0;
                flush();
            }
            return;
        }
        flush();
        if ((flags & TCP_PSH) != 0)
        {
            writeAlone(buffer, offset, length);
            return;
        }
        out.putBytes(header, buffer, offset, length);
        pendingSegments = 1;
        pendingLength = length;
        pendingIpv6 = ((buffer.getByte(offset) >> 4) & 0xF) == 6;
        pendingIpHeaderLength = ipHeaderLengthOf(buffer, offset);
        pendingTcpHeaderLength = length - payloadLength - pendingIpHeaderLength;
        segmentSize = payloadLength;
        nextSequence = ((buffer.getInt(offset + pendingIpHeaderLength + TCP_SEQUENCE_OFFSET, BIG_ENDIAN) &
            0xFFFF_FFFFL) + payloadLength) & 0xFFFF_FFFFL;
        pendingPush = false;
    }

    /** Write out the pending train, if any. */
    public void flush()
    {
        if (pendingSegments == 0)
        {
            return;
        }
        if (pendingSegments == 1)
        {
            putNoOffload();
        }
        else
        {
            finishTrain();
        }
        final int segments = pendingSegments;
        pendingSegments = 0;
        GroHeaders.countWrite(writer.write(area.address(0), header + pendingLength), segments, coalescedPackets,
            coalescedSegments, writeErrors);
    }

    /** @return segments waiting in the pending train. */
    public int pendingSegments()
    {
        return pendingSegments;
    }

    private void finishTrain()
    {
        final int ip = header;
        final int tcp = ip + pendingIpHeaderLength;
        final int tcpLength = pendingLength - pendingIpHeaderLength;
        if (pendingIpv6)
        {
            out.putShort(ip + IPV6_PAYLOAD_LENGTH_OFFSET, (short)(pendingLength - IPV6_HEADER_LENGTH), BIG_ENDIAN);
        }
        else
        {
            out.putShort(ip + IPV4_TOTAL_LENGTH_OFFSET, (short)pendingLength, BIG_ENDIAN);
            TcpSegmenter.putIpv4HeaderChecksum(out, ip, pendingIpHeaderLength);
        }
        if (pendingPush)
        {
            out.putByte(tcp + TCP_FLAGS_OFFSET, (byte)(out.getByte(tcp + TCP_FLAGS_OFFSET) | TCP_PSH));
        }
        // partial checksum: the pseudo-header sum, folded and not complemented; the kernel adds the rest
        final long pseudo = TransportChecksum.pseudoHeader(out, ip, pendingIpv6, PROTOCOL_TCP, tcpLength);
        out.putShort(tcp + TCP_CHECKSUM_OFFSET, (short)TransportChecksum.fold(pseudo), BIG_ENDIAN);
        VirtioNetHeader.put(out, 0, VirtioNetHeader.F_NEEDS_CSUM,
            pendingIpv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4,
            pendingIpHeaderLength + pendingTcpHeaderLength, segmentSize, pendingIpHeaderLength,
            VirtioNetHeader.TCP_CHECKSUM_FIELD);
    }

    private void writeAlone(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > MAX_PACKET_LENGTH)
        {
            writeErrors.increment();
            return;
        }
        putNoOffload();
        out.putBytes(header, buffer, offset, length);
        if (writer.write(area.address(0), header + length) < 0)
        {
            writeErrors.increment();
        }
    }

    private void putNoOffload()
    {
        if (header > 0)
        {
            VirtioNetHeader.putNone(out, 0);
        }
    }

    private static int ipHeaderLengthOf(final DirectBuffer buffer, final int offset)
    {
        return ((buffer.getByte(offset) >> 4) & 0xF) == 6 ? IPV6_HEADER_LENGTH : (buffer.getByte(offset) & 0xF) * 4;
    }

    /**
     * @return the TCP payload length if the packet may join a train (plain IPv4/IPv6 + TCP, ACK with or without PSH,
     * payload, checksums good), else -1.
     */
    private static int joinablePayload(final DirectBuffer buffer, final int offset, final int length)
    {
        final int ipHeaderLength = GroHeaders.joinableIpHeaderLength(buffer, offset, length, PROTOCOL_TCP,
            TCP_MIN_HEADER_LENGTH);
        if (ipHeaderLength < 0)
        {
            return -1;
        }
        final boolean ipv6 = ipHeaderLength == IPV6_HEADER_LENGTH;
        final int tcp = offset + ipHeaderLength;
        final int tcpHeaderLength = ((buffer.getByte(tcp + TCP_DATA_OFFSET_OFFSET) >> 4) & 0xF) * 4;
        final int flags = buffer.getByte(tcp + TCP_FLAGS_OFFSET) & 0xFF;
        final int payload = length - ipHeaderLength - tcpHeaderLength;
        if (tcpHeaderLength < TCP_MIN_HEADER_LENGTH || payload <= 0 || (flags & ~TCP_PSH) != TCP_ACK ||
            !TransportChecksum.verify(buffer, offset, ipv6, PROTOCOL_TCP, tcp, length - ipHeaderLength))
        {
            return -1;
        }
        return payload;
    }

    /** @return true if the segment continues the pending train. */
    private boolean follows(final DirectBuffer buffer, final int offset, final int length, final int payloadLength)
    {
        final boolean ipv6 = ((buffer.getByte(offset) >> 4) & 0xF) == 6;
        if (ipv6 != pendingIpv6 || payloadLength > segmentSize ||
            length - payloadLength != pendingIpHeaderLength + pendingTcpHeaderLength ||
            pendingLength + payloadLength > MAX_PACKET_LENGTH)
        {
            return false;
        }
        final int ip = header;
        if (!GroHeaders.sameFlowHeader(buffer, offset, out, ip, ipv6))
        {
            return false;
        }
        final int tcp = offset + pendingIpHeaderLength;
        final int pendingTcp = ip + pendingIpHeaderLength;
        return buffer.getInt(tcp, BIG_ENDIAN) == out.getInt(pendingTcp, BIG_ENDIAN) &&
            (buffer.getInt(tcp + TCP_SEQUENCE_OFFSET, BIG_ENDIAN) & 0xFFFF_FFFFL) == nextSequence &&
            buffer.getInt(tcp + 8, BIG_ENDIAN) == out.getInt(pendingTcp + 8, BIG_ENDIAN) &&
            // data offset, flags other than PSH, window
            ((buffer.getInt(tcp + 12, BIG_ENDIAN) ^ out.getInt(pendingTcp + 12, BIG_ENDIAN)) & ~(TCP_PSH << 16)) == 0 &&
            sameBytes(buffer, tcp + TCP_MIN_HEADER_LENGTH, pendingTcp + TCP_MIN_HEADER_LENGTH,
                pendingTcpHeaderLength - TCP_MIN_HEADER_LENGTH);
    }

    private boolean sameBytes(final DirectBuffer buffer, final int offset, final int outOffset, final int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            if (buffer.getLong(offset + i) != out.getLong(outOffset + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (buffer.getByte(offset + i) != out.getByte(outOffset + i))
            {
                return false;
            }
        }
        return true;
    }
}
