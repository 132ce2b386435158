package org.esp4j.core.pcap;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One captured frame, filled by {@link PcapReader#next(PcapFrame)} and reused for the next one: its buffers only
 * grow, so reading a file allocates nothing per frame once the largest frame has been seen.
 * <p>
 * {@link #data()} holds the frame from its link-layer header on; {@link #networkOffset()} says where the IP
 * header starts. The tool may rewrite bytes of {@link #data()} in place or swap the IP part with
 * {@link #replaceNetworkLayer(byte[], int, int)}; {@link PcapWriter} notices the change by comparing against the
 * block as read, and writes untouched frames as the exact bytes of the input.
 * <p>
 * The contents are valid until the frame is passed to {@link PcapReader#next(PcapFrame)} again, which reuses the
 * buffers; write a frame before reading the next one into it. Not thread-safe.
 */
public final class PcapFrame
{
    private static final int INITIAL_CAPACITY = 2048;

    /** How the frame was stored in the input; tells the writer how to re-encode it. */
    static final int KIND_NONE = 0;
    static final int KIND_PCAP_RECORD = 1;
    static final int KIND_ENHANCED_PACKET_BLOCK = 2;
    static final int KIND_SIMPLE_PACKET_BLOCK = 3;

    private long frameNumber;
    private long timestampNs;
    private int linkType;
    private int interfaceId;
    private int capturedLength;
    private long originalLength;
    private byte[] data = new byte[INITIAL_CAPACITY];
    private int length;
    private int networkOffset = -1;

    // The record or block exactly as read: header, packet data, padding, options, trailer.
    byte[] record = new byte[INITIAL_CAPACITY];
    int recordLength;
    int recordDataOffset;
    int kind = KIND_NONE;
    ByteOrder recordByteOrder = ByteOrder.LITTLE_ENDIAN;
    long snapLength;

    /**
     * @return 1-based number of the frame in the file (pcapng: counted across sections, as Wireshark does).
     */
    public long frameNumber()
    {
        return frameNumber;
    }

    /**
     * @return capture time in nanoseconds since the Unix epoch, converted from the file's resolution; 0 for a
     * pcapng Simple Packet Block, which carries no timestamp.
     */
    public long timestampNs()
    {
        return timestampNs;
    }

    /**
     * @return LINKTYPE_* of the frame's interface, see {@link LinkType}.
     */
    public int linkType()
    {
        return linkType;
    }

    /**
     * @return pcapng interface id within the section; 0 for classic pcap.
     */
    public int interfaceId()
    {
        return interfaceId;
    }

    /**
     * @return number of bytes of the frame stored in the file, as read.
     */
    public int capturedLength()
    {
        return capturedLength;
    }

    /**
     * @return length of the frame on the wire, as read (larger than captured when the snaplen cut it).
     */
    public long originalLength()
    {
        return originalLength;
    }

    /**
     * @return the frame bytes from index 0 to {@link #length()}; may be longer than that.
     */
    public byte[] data()
    {
        return data;
    }

    /**
     * @return number of valid bytes in {@link #data()}: the captured length, or the new length after
     * {@link #replaceNetworkLayer(byte[], int, int)}.
     */
    public int length()
    {
        return length;
    }

    /**
     * @return offset of the IPv4/IPv6 header in {@link #data()}, or -1 if the frame does not carry IP.
     */
    public int networkOffset()
    {
        return networkOffset;
    }

    /**
     * Keeps the link-layer header and replaces everything from {@link #networkOffset()} on with the given bytes,
     * e.g. a decrypted IP packet instead of the ESP packet. Link-layer fields are not touched: Ethernet and SLL
     * headers carry no length, and the tool keeps the IP version.
     *
     * @param source IP packet bytes.
     * @param offset start of the packet in source.
     * @param count  packet length in bytes.
     * @throws IllegalStateException if the frame is not IP.
     */
    public void replaceNetworkLayer(final byte[] source, final int offset, final int count)
    {
        if (networkOffset < 0)
        {
            throw new IllegalStateException("frame " + frameNumber + " has no IP header to replace");
        }

        final int newLength = networkOffset + count;
        if (newLength > data.length)
        {
            data = Arrays.copyOf(data, grownCapacity(data.length, newLength));
        }
        System.arraycopy(source, offset, data, networkOffset, count);
        length = newLength;
    }

    /**
     * @return true if data and length are still what the reader read.
     */
    boolean isUnchanged()
    {
        return KIND_NONE != kind && length == capturedLength &&
            Arrays.equals(data, 0, length, record, recordDataOffset, recordDataOffset + length);
    }

    void fill(
        final long frameNumber,
        final long timestampNs,
        final int linkType,
        final int interfaceId,
        final int capturedLength,
        final long originalLength)
    {
        this.frameNumber = frameNumber;
        this.timestampNs = timestampNs;
        this.linkType = linkType;
        this.interfaceId = interfaceId;
        this.capturedLength = capturedLength;
        this.originalLength = originalLength;

        if (capturedLength > data.length)
        {
            data = new byte[grownCapacity(data.length, capturedLength)];
        }
        System.arraycopy(record, recordDataOffset, data, 0, capturedLength);
        length = capturedLength;
        networkOffset = LinkType.networkOffset(linkType, data, length);
    }

    /** Makes room for a record of the given size, keeping the bytes already read. */
    byte[] recordWithCapacity(final int capacity)
    {
        if (capacity > record.length)
        {
            final byte[] grown = new byte[grownCapacity(record.length, capacity)];
            System.arraycopy(record, 0, grown, 0, record.length);
            record = grown;
        }
        return record;
    }

    private static int grownCapacity(final int current, final int required)
    {
        int capacity = Math.max(current, 64);
        while (capacity < required)
        {
            capacity = capacity > (Integer.MAX_VALUE >> 1) ? Integer.MAX_VALUE : capacity << 1;
        }
        return capacity;
    }

    public String toString()
    {
        return "PcapFrame{frameNumber=" + frameNumber + ", timestampNs=" + timestampNs + ", linkType=" + linkType +
            ", interfaceId=" + interfaceId + ", capturedLength=" + capturedLength + ", originalLength=" +
            originalLength + ", length=" + length + ", networkOffset=" + networkOffset + '}';
    }
}
