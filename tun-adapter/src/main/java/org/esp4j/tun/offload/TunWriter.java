package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.TcpHeader;
import org.esp4j.tun.jna.NativeArea;

import static java.nio.ByteOrder.BIG_ENDIAN;

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
        final int flags = TcpHeader.flags(buffer, offset + ipHeaderLengthOf(buffer, offset));
        if (pendingSegments > 0 && follows(buffer, offset, length, payloadLength))
        {
            out.putBytes(header + pendingLength, buffer, offset + length - payloadLength, payloadLength);
            pendingLength += payloadLength;
            pendingSegments++;
            nextSequence = (nextSequence + payloadLength) & 0xFFFF_FFFFL;
            if ((flags & TcpHeader.PSH) != 0 || payloadLength < segmentSize ||
                pendingLength + segmentSize > MAX_PACKET_LENGTH)
            {
                pendingPush = (flags & TcpHeader.PSH) != 0;
                flush();
            }
            return;
        }
        flush();
        if ((flags & TcpHeader.PSH) != 0)
        {
            writeAlone(buffer, offset, length);
            return;
        }
        out.putBytes(header, buffer, offset, length);
        pendingSegments = 1;
        pendingLength = length;
        pendingIpv6 = Ipv4Header.version(buffer, offset) == Ipv6Header.VERSION;
        pendingIpHeaderLength = ipHeaderLengthOf(buffer, offset);
        pendingTcpHeaderLength = length - payloadLength - pendingIpHeaderLength;
        segmentSize = payloadLength;
        nextSequence = (TcpHeader.sequence(buffer, offset + pendingIpHeaderLength) + payloadLength) & 0xFFFF_FFFFL;
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
        if (writer.write(area.address(0), header + pendingLength) < 0)
        {
            writeErrors.increment();
        }
        else if (segments > 1)
        {
            coalescedPackets.increment();
            coalescedSegments.getAndAdd(segments);
        }
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
            Ipv6Header.payloadLength(out, ip, pendingLength - Ipv6Header.LENGTH);
        }
        else
        {
            Ipv4Header.totalLength(out, ip, pendingLength);
            Ipv4Header.updateChecksum(out, ip);
        }
        if (pendingPush)
        {
            TcpHeader.flags(out, tcp, TcpHeader.flags(out, tcp) | TcpHeader.PSH);
        }
        // partial checksum: the pseudo-header sum, folded and not complemented; the kernel adds the rest
        final long pseudo = InternetChecksum.pseudoHeaderSum(out, ip, pendingIpv6, IpProtocol.TCP, tcpLength);
        TcpHeader.checksum(out, tcp, InternetChecksum.fold(pseudo));
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
        return Ipv4Header.version(buffer, offset) == Ipv6Header.VERSION ? Ipv6Header.LENGTH :
            Ipv4Header.headerLength(buffer, offset);
    }

    /**
     * @return the TCP payload length if the packet may join a train (plain IPv4/IPv6 + TCP, ACK with or without PSH,
     * payload, checksums good), else -1.
     */
    private static int joinablePayload(final DirectBuffer buffer, final int offset, final int length)
    {
        final int version = Ipv4Header.version(buffer, offset);
        final int ipHeaderLength;
        final boolean ipv6;
        if (version == Ipv4Header.VERSION)
        {
            // no options: IHL 5
            if (length < Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH ||
                Ipv4Header.headerLength(buffer, offset) != Ipv4Header.MIN_LENGTH ||
                Ipv4Header.protocol(buffer, offset) != IpProtocol.TCP ||
                Ipv4Header.isFragment(buffer, offset) ||
                Ipv4Header.totalLength(buffer, offset) != length ||
                !Ipv4Header.isChecksumValid(buffer, offset))
            {
                return -1;
            }
            ipHeaderLength = Ipv4Header.MIN_LENGTH;
            ipv6 = false;
        }
        else if (version == Ipv6Header.VERSION)
        {
            if (length < Ipv6Header.LENGTH + TcpHeader.MIN_LENGTH ||
                Ipv6Header.nextHeader(buffer, offset) != IpProtocol.TCP ||
                Ipv6Header.payloadLength(buffer, offset) != length - Ipv6Header.LENGTH)
            {
                return -1;
            }
            ipHeaderLength = Ipv6Header.LENGTH;
            ipv6 = true;
        }
        else
        {
            return -1;
        }
        final int tcp = offset + ipHeaderLength;
        final int tcpHeaderLength = TcpHeader.headerLength(buffer, tcp);
        final int flags = TcpHeader.flags(buffer, tcp);
        final int payload = length - ipHeaderLength - tcpHeaderLength;
        if (tcpHeaderLength < TcpHeader.MIN_LENGTH || payload <= 0 || (flags & ~TcpHeader.PSH) != TcpHeader.ACK ||
            !InternetChecksum.verifyTransportChecksum(
            buffer, offset, ipv6, IpProtocol.TCP, tcp, length - ipHeaderLength))
        {
            return -1;
        }
        return payload;
    }

    /** @return true if the segment continues the pending train. */
    private boolean follows(final DirectBuffer buffer, final int offset, final int length, final int payloadLength)
    {
        final boolean ipv6 = Ipv4Header.version(buffer, offset) == Ipv6Header.VERSION;
        if (ipv6 != pendingIpv6 || payloadLength > segmentSize ||
            length - payloadLength != pendingIpHeaderLength + pendingTcpHeaderLength ||
            pendingLength + payloadLength > MAX_PACKET_LENGTH)
        {
            return false;
        }
        final int ip = header;
        if (ipv6)
        {
            // version, traffic class, flow label; next header and hop limit; both addresses
            if (buffer.getInt(offset + Ipv6Header.VERSION_CLASS_FLOW_OFFSET, BIG_ENDIAN) !=
                out.getInt(ip + Ipv6Header.VERSION_CLASS_FLOW_OFFSET, BIG_ENDIAN) ||
                buffer.getShort(offset + Ipv6Header.NEXT_HEADER_OFFSET, BIG_ENDIAN) !=
                out.getShort(ip + Ipv6Header.NEXT_HEADER_OFFSET, BIG_ENDIAN) ||
                !sameBytes(buffer, offset + Ipv6Header.SOURCE_OFFSET, ip + Ipv6Header.SOURCE_OFFSET, 32))
            {
                return false;
            }
        }
        else
        {
            // TOS; DF; TTL and protocol; both addresses
            if (Ipv4Header.tos(buffer, offset) != Ipv4Header.tos(out, ip) ||
                ((Ipv4Header.flagsAndFragmentOffset(buffer, offset) ^ Ipv4Header.flagsAndFragmentOffset(out, ip)) &
                Ipv4Header.DONT_FRAGMENT) != 0 ||
                buffer.getShort(offset + Ipv4Header.TTL_OFFSET, BIG_ENDIAN) !=
                out.getShort(ip + Ipv4Header.TTL_OFFSET, BIG_ENDIAN) ||
                buffer.getLong(offset + Ipv4Header.SOURCE_OFFSET, BIG_ENDIAN) !=
                out.getLong(ip + Ipv4Header.SOURCE_OFFSET, BIG_ENDIAN))
            {
                return false;
            }
        }
        final int tcp = offset + pendingIpHeaderLength;
        final int pendingTcp = ip + pendingIpHeaderLength;
        // ports; acknowledgment; data offset, flags other than PSH, window
        return buffer.getInt(tcp + TcpHeader.SOURCE_PORT_OFFSET, BIG_ENDIAN) ==
            out.getInt(pendingTcp + TcpHeader.SOURCE_PORT_OFFSET, BIG_ENDIAN) &&
            TcpHeader.sequence(buffer, tcp) == nextSequence &&
            TcpHeader.acknowledgment(buffer, tcp) == TcpHeader.acknowledgment(out, pendingTcp) &&
            ((buffer.getInt(tcp + TcpHeader.DATA_OFFSET_OFFSET, BIG_ENDIAN) ^
            out.getInt(pendingTcp + TcpHeader.DATA_OFFSET_OFFSET, BIG_ENDIAN)) & ~(TcpHeader.PSH << 16)) == 0 &&
            sameBytes(buffer, tcp + TcpHeader.MIN_LENGTH, pendingTcp + TcpHeader.MIN_LENGTH,
                pendingTcpHeaderLength - TcpHeader.MIN_LENGTH);
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
