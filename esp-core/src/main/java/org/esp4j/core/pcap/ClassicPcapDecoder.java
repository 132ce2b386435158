package org.esp4j.core.pcap;

import java.io.IOException;
import java.nio.ByteOrder;

import static org.esp4j.core.pcap.ByteOrderAccess.getInt;
import static org.esp4j.core.pcap.ByteOrderAccess.getUnsignedInt;
import static org.esp4j.core.pcap.ByteOrderAccess.getUnsignedShort;

/**
 * Classic pcap, draft-ietf-opsawg-pcap §4 (file header) and §5 (packet records). Every field is in the byte
 * order of the writing host, which the magic number reveals; the magic also says whether the second timestamp
 * word counts microseconds or nanoseconds.
 * <pre>
 *  File header (24 bytes)                      Packet record (16 bytes + data)
 *  0        4        8        12       16        0        4        8        12       16
 *  +--------+----+----+--------+--------+        +--------+--------+--------+--------+----------
 *  | magic  |maj |min |reserved|reserved|        |ts secs |ts frac |captured|original| data ...
 *  +--------+----+----+--------+--------+        +--------+--------+--------+--------+----------
 *  | snaplen| FCS/f | LinkType |                 frac: microseconds (magic 0xa1b2c3d4)
 *  +--------+-------+----------+                       nanoseconds  (magic 0xa1b23c4d)
 *  20       24 (LinkType = low 16 bits)
 * </pre>
 */
final class ClassicPcapDecoder implements CaptureDecoder
{
    static final int MAGIC_MICROSECONDS = 0xA1B2C3D4;
    static final int MAGIC_NANOSECONDS = 0xA1B23C4D;
    static final int FILE_HEADER_LENGTH = 24;
    static final int RECORD_HEADER_LENGTH = 16;
    /** Upper bound on a captured length when the header gives no snaplen: guards against absurd allocations. */
    static final int MAX_CAPTURED_LENGTH = 256 * 1024 * 1024;

    private static final int SNAPLEN_OFFSET = 16;
    private static final int LINKTYPE_OFFSET = 20;

    private final CaptureInput input;
    private final byte[] fileHeader;
    private final ByteOrder byteOrder;
    private final boolean nanosecondTimestamps;
    private final long snapLength;
    private final int linkType;

    /**
     * @param input      positioned after the first 4 bytes (the magic).
     * @param magicBytes the first 4 bytes of the file.
     * @param byteOrder  byte order the magic was recognised in.
     */
    ClassicPcapDecoder(final CaptureInput input, final byte[] magicBytes, final ByteOrder byteOrder)
        throws IOException
    {
        this.input = input;
        this.byteOrder = byteOrder;
        this.nanosecondTimestamps = MAGIC_NANOSECONDS == getInt(magicBytes, 0, byteOrder);

        fileHeader = new byte[FILE_HEADER_LENGTH];
        System.arraycopy(magicBytes, 0, fileHeader, 0, 4);
        final int read = input.read(fileHeader, 4, FILE_HEADER_LENGTH - 4);
        if (read < FILE_HEADER_LENGTH - 4)
        {
            throw PcapFormatException.atFile(input.name(), input.offset(),
                "truncated pcap file header: " + (4 + read) + " of " + FILE_HEADER_LENGTH + " bytes");
        }

        final int majorVersion = getUnsignedShort(fileHeader, 4, byteOrder);
        if (2 != majorVersion)
        {
            throw PcapFormatException.atFile(input.name(), 4, "unsupported pcap major version " + majorVersion);
        }
        snapLength = getUnsignedInt(fileHeader, SNAPLEN_OFFSET, byteOrder);
        // The 32-bit field also carries FCS information in its top bits; LinkType is the low 16 bits (§4).
        linkType = getInt(fileHeader, LINKTYPE_OFFSET, byteOrder) & 0xFFFF;
    }

    public boolean next(final PcapFrame frame, final long frameNumber) throws IOException
    {
        final long recordOffset = input.offset();
        final byte[] record = frame.recordWithCapacity(RECORD_HEADER_LENGTH);
        final int headerRead = input.read(record, 0, RECORD_HEADER_LENGTH);
        if (0 == headerRead)
        {
            return false;
        }
        if (headerRead < RECORD_HEADER_LENGTH)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, recordOffset,
                "truncated record header: " + headerRead + " of " + RECORD_HEADER_LENGTH + " bytes");
        }

        final long seconds = getUnsignedInt(record, 0, byteOrder);
        final long fraction = getUnsignedInt(record, 4, byteOrder);
        final long capturedLength = getUnsignedInt(record, 8, byteOrder);
        final long originalLength = getUnsignedInt(record, 12, byteOrder);

        final long maxCapturedLength =
            0 == snapLength ? MAX_CAPTURED_LENGTH : Math.min(snapLength, MAX_CAPTURED_LENGTH);
        if (capturedLength > maxCapturedLength)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, recordOffset,
                "captured length " + capturedLength + " exceeds " +
                (0 == snapLength || snapLength > MAX_CAPTURED_LENGTH ? "limit " : "snaplen ") + maxCapturedLength);
        }

        final int captured = (int)capturedLength;
        final int dataRead = input.readRecord(frame, RECORD_HEADER_LENGTH, captured);
        if (dataRead < captured)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, recordOffset,
                "truncated record: captured length " + captured + " but only " + dataRead + " bytes left in file");
        }

        frame.recordLength = RECORD_HEADER_LENGTH + captured;
        frame.recordDataOffset = RECORD_HEADER_LENGTH;
        frame.kind = PcapFrame.KIND_PCAP_RECORD;
        frame.recordByteOrder = byteOrder;
        frame.snapLength = snapLength;
        final long timestampNs = seconds * 1_000_000_000L + (nanosecondTimestamps ? fraction : fraction * 1000L);
        frame.fill(frameNumber, timestampNs, linkType, 0, captured, originalLength);
        return true;
    }

    public ByteOrder byteOrder()
    {
        return byteOrder;
    }

    public int interfaceCount()
    {
        return 1;
    }

    public int interfaceLinkType(final int interfaceId)
    {
        checkInterface(interfaceId);
        return linkType;
    }

    public long interfaceSnapLength(final int interfaceId)
    {
        checkInterface(interfaceId);
        return snapLength;
    }

    boolean nanosecondTimestamps()
    {
        return nanosecondTimestamps;
    }

    /**
     * @return the 24-byte file header as read, for a writer that copies the format.
     */
    byte[] fileHeader()
    {
        return fileHeader;
    }

    private static void checkInterface(final int interfaceId)
    {
        if (0 != interfaceId)
        {
            throw new IndexOutOfBoundsException("classic pcap has only interface 0: " + interfaceId);
        }
    }
}
