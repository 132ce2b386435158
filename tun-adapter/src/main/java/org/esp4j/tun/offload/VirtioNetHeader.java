package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.esp4j.core.ip.InternetChecksum;

import java.nio.ByteOrder;

/**
 * The {@code struct virtio_net_hdr} a TUN device opened with {@code IFF_VNET_HDR} puts in front of every packet it
 * reads and expects in front of every packet written (Virtio 1.x §5.1.6, {@code include/uapi/linux/virtio_net.h}).
 * It carries what the kernel calls offload metadata: a packet read from the TUN may be a TCP "super-packet" of up to
 * 64 KiB that still has to be cut into segments of {@code gso_size} payload bytes (GSO), or a packet whose transport
 * checksum is only partly computed ({@code NEEDS_CSUM}); a packet written may be a coalesced train of TCP segments
 * (GRO) that the kernel's TCP then takes as one.
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     flags     |   gso_type    |            hdr_len            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           gso_size            |          csum_start           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          csum_offset          |  the IP packet follows ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The 16-bit fields are <b>little endian</b>: the daemon asks for that with {@code TUNSETVNETLE} (which is also what a
 * little-endian host uses without asking). {@code csum_start} is the offset of the transport header from the start of
 * the IP packet, {@code csum_offset} that of the checksum field inside it; with {@code NEEDS_CSUM} the field holds the
 * folded, uncomplemented pseudo-header sum and the rest is for the receiver to add.
 */
public final class VirtioNetHeader
{
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;
    /** Length of the header ({@code TUNSETVNETHDRSZ} default). */
    public static final int LENGTH = 10;

    /** flags: the transport checksum is partial (pseudo-header only). */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was already validated (receive side of a virtio NIC; not used by TUN writes). */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** gso_type bit: the TCP stream uses ECN (CWR only on the first segment). */
    public static final int GSO_ECN = 0x80;

    /** TCP's checksum field offset inside the TCP header (for {@link #CSUM_OFFSET_OFFSET}). */
    public static final int TCP_CHECKSUM_FIELD = 16;
    /** UDP's checksum field offset inside the UDP header. */
    public static final int UDP_CHECKSUM_FIELD = 6;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private VirtioNetHeader()
    {
    }

    public static int flags(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public static int gsoType(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + GSO_TYPE_OFFSET) & 0xFF;
    }

    public static int hdrLen(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + HDR_LEN_OFFSET, ORDER) & 0xFFFF;
    }

    public static int gsoSize(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + GSO_SIZE_OFFSET, ORDER) & 0xFFFF;
    }

    public static int csumStart(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + CSUM_START_OFFSET, ORDER) & 0xFFFF;
    }

    public static int csumOffset(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + CSUM_OFFSET_OFFSET, ORDER) & 0xFFFF;
    }

    /** Write a header that says nothing: a plain packet with its checksums complete. */
    public static void putNone(final MutableDirectBuffer buffer, final int offset)
    {
        buffer.putLong(offset, 0L, ORDER);
        buffer.putShort(offset + CSUM_OFFSET_OFFSET, (short)0, ORDER);
    }

    /** Write every field. */
    public static void put(
        final MutableDirectBuffer buffer,
        final int offset,
        final int flags,
        final int gsoType,
        final int hdrLen,
        final int gsoSize,
        final int csumStart,
        final int csumOffset)
    {
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        buffer.putByte(offset + GSO_TYPE_OFFSET, (byte)gsoType);
        buffer.putShort(offset + HDR_LEN_OFFSET, (short)hdrLen, ORDER);
        buffer.putShort(offset + GSO_SIZE_OFFSET, (short)gsoSize, ORDER);
        buffer.putShort(offset + CSUM_START_OFFSET, (short)csumStart, ORDER);
        buffer.putShort(offset + CSUM_OFFSET_OFFSET, (short)csumOffset, ORDER);
    }

    /**
     * Finish a partial checksum ({@link #F_NEEDS_CSUM}): the field already holds the pseudo-header sum (folded, not
     * complemented); sum from {@code start} to the end and store the complement at {@code start + fieldOffset}.
     *
     * @param buffer      the packet.
     * @param start       {@code csum_start}: the transport header.
     * @param end         the packet's end.
     * @param fieldOffset {@code csum_offset}: {@link #TCP_CHECKSUM_FIELD} or {@link #UDP_CHECKSUM_FIELD}.
     */
    public static void completePartialChecksum(
        final MutableDirectBuffer buffer, final int start, final int end, final int fieldOffset)
    {
        int checksum = InternetChecksum.foldAndComplement(InternetChecksum.sum(buffer, start, end - start, 0));
        if (checksum == 0 && fieldOffset == UDP_CHECKSUM_FIELD)
        {
            checksum = 0xFFFF; // as the kernel's UDP does: zero would mean "no checksum"
        }
        buffer.putShort(start + fieldOffset, (short)checksum, ByteOrder.BIG_ENDIAN);
    }
}
