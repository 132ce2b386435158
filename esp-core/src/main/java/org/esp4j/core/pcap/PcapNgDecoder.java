package org.esp4j.core.pcap;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.esp4j.core.pcap.ByteOrderAccess.alignTo4;
import static org.esp4j.core.pcap.ByteOrderAccess.getInt;
import static org.esp4j.core.pcap.ByteOrderAccess.getLong;
import static org.esp4j.core.pcap.ByteOrderAccess.getUnsignedInt;
import static org.esp4j.core.pcap.ByteOrderAccess.getUnsignedShort;

/**
 * pcapng, draft-ietf-opsawg-pcapng: a file is one or more sections, each a Section Header Block followed by
 * Interface Description Blocks and packet blocks. A section's SHB fixes the byte order of all its blocks.
 * <pre>
 *  Every block (§3.1)                     SHB, type 0x0A0D0D0A (§4.1)
 *  +---------------------------+          | type | total len | 0x1A2B3C4D | major=1 | minor | section length (64) |
 *  | Block Type (32)           |          | options ... | total len |
 *  | Block Total Length (32)   |
 *  / Block Body (padded to 32) /          IDB, type 1 (§4.2)
 *  | Block Total Length (32)   |          | type | total len | LinkType (16) | reserved (16) | SnapLen (32) |
 *  +---------------------------+          | options (if_tsresol = 9, if_tsoffset = 14) ... | total len |
 *
 *  EPB, type 6 (§4.3)
 *  | type | total len | interface id | ts high | ts low | captured len | original len |
 *  | data, padded to 32 bits | options | total len |
 *
 *  SPB, type 3 (§4.4): interface 0, no timestamp, captured = min(original, snaplen of interface 0)
 *  | type | total len | original len | data + pad | total len |
 *
 *  Options (§3.5): | code (16) | length (16) | value, padded to 32 bits | ... | opt_endofopt (0, 0) |
 * </pre>
 * Enhanced and Simple Packet Blocks become frames. Everything else (Obsolete Packet Blocks, name resolution,
 * statistics, unknown types) is skipped, and handed to the {@link NonPacketBlockListener} if one is set.
 */
final class PcapNgDecoder implements CaptureDecoder
{
    static final int SECTION_HEADER_BLOCK = 0x0A0D0D0A;
    static final int INTERFACE_DESCRIPTION_BLOCK = 1;
    static final int OBSOLETE_PACKET_BLOCK = 2;
    static final int SIMPLE_PACKET_BLOCK = 3;
    static final int ENHANCED_PACKET_BLOCK = 6;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;

    static final int OPTION_END_OF_OPTIONS = 0;
    static final int OPTION_IF_TSRESOL = 9;
    static final int OPTION_IF_TSOFFSET = 14;
    static final int OPTION_EPB_HASH = 3;

    static final int BLOCK_HEADER_LENGTH = 8;
    static final int BLOCK_TRAILER_LENGTH = 4;
    static final int SHB_FIXED_LENGTH = 28;
    static final int SHB_SECTION_LENGTH_OFFSET = 16;
    static final int IDB_FIXED_LENGTH = 20;
    static final int EPB_FIXED_LENGTH = 32;
    static final int EPB_DATA_OFFSET = 28;
    static final int SPB_FIXED_LENGTH = 16;
    static final int SPB_DATA_OFFSET = 12;
    /** Upper bound on a block: guards against absurd allocations from a corrupt length. */
    static final int MAX_BLOCK_LENGTH = 256 * 1024 * 1024;

    /** Default if_tsresol: 10^-6 seconds. */
    private static final int DEFAULT_TSRESOL = 6;

    private final CaptureInput input;
    private NonPacketBlockListener listener;
    private ByteOrder byteOrder;
    private byte[] sectionHeader;
    private final List<byte[]> interfaceDescriptions = new ArrayList<>();
    private int[] linkTypes = new int[4];
    private long[] snapLengths = new long[4];
    private int[] timestampResolutions = new int[4];
    private long[] timestampOffsetsSeconds = new long[4];
    private int interfaceCount;
    private final byte[] firstBlockHeader = new byte[4];
    private boolean firstBlockTypeRead;

    /**
     * @param input      positioned after the first 4 bytes (the SHB block type).
     * @param magicBytes the first 4 bytes of the file.
     * @param frame      scratch frame whose record buffer holds the first SHB while it is parsed.
     */
    PcapNgDecoder(final CaptureInput input, final byte[] magicBytes, final PcapFrame frame) throws IOException
    {
        this.input = input;
        System.arraycopy(magicBytes, 0, firstBlockHeader, 0, 4);
        firstBlockTypeRead = true;
        // The first block is the SHB whose type the reader recognised: read it now, so that the byte order and
        // the section are known before the first frame is asked for.
        readNextBlock(frame, 1, 0);
    }

    void listener(final NonPacketBlockListener listener)
    {
        this.listener = listener;
    }

    public boolean next(final PcapFrame frame, final long frameNumber) throws IOException
    {
        while (true)
        {
            final long blockOffset = input.offset();
            final int blockType = readNextBlock(frame, frameNumber, blockOffset);
            if (0 == frame.recordLength)
            {
                return false; // clean end of file between blocks
            }

            switch (blockType)
            {
                case ENHANCED_PACKET_BLOCK:
                    decodeEnhancedPacket(frame, frameNumber, blockOffset);
                    return true;

                case SIMPLE_PACKET_BLOCK:
                    decodeSimplePacket(frame, frameNumber, blockOffset);
                    return true;

                default:
                    handleNonPacketBlock(frame, blockType, blockOffset, frameNumber);
            }
        }
    }

    public ByteOrder byteOrder()
    {
        return byteOrder;
    }

    public int interfaceCount()
    {
        return interfaceCount;
    }

    public int interfaceLinkType(final int interfaceId)
    {
        return linkTypes[checkInterface(interfaceId)];
    }

    public long interfaceSnapLength(final int interfaceId)
    {
        return snapLengths[checkInterface(interfaceId)];
    }

    /** The current section's SHB as read. */
    byte[] sectionHeader()
    {
        return sectionHeader;
    }

    /** The current section's IDBs as read, in interface id order. */
    List<byte[]> interfaceDescriptions()
    {
        return interfaceDescriptions;
    }

    /**
     * Reads one whole block into the frame's record buffer and checks its framing.
     *
     * @return the block type; at a clean end of file 0, with the frame's recordLength 0.
     */
    private int readNextBlock(final PcapFrame frame, final long frameNumber, final long blockOffset)
        throws IOException
    {
        frame.recordLength = 0;
        byte[] block = frame.recordWithCapacity(SHB_FIXED_LENGTH);
        int read;
        if (firstBlockTypeRead)
        {
            System.arraycopy(firstBlockHeader, 0, block, 0, 4);
            read = 4 + input.read(block, 4, BLOCK_HEADER_LENGTH - 4);
            firstBlockTypeRead = false;
        }
        else
        {
            read = input.read(block, 0, BLOCK_HEADER_LENGTH);
        }

        if (0 == read)
        {
            return 0;
        }

        if (read < BLOCK_HEADER_LENGTH)
        {
            throw PcapFormatException.atFile(input.name(), blockOffset,
                "truncated block header: " + read + " of " + BLOCK_HEADER_LENGTH + " bytes");
        }

        // The SHB type reads the same in both byte orders; any other type needs the section's byte order.
        final boolean isSectionHeader = SECTION_HEADER_BLOCK == getInt(block, 0, ByteOrder.BIG_ENDIAN);
        final int blockType = isSectionHeader ? SECTION_HEADER_BLOCK : getInt(block, 0, byteOrder);

        ByteOrder blockOrder = byteOrder;
        if (isSectionHeader)
        {
            final int magicRead = input.read(block, BLOCK_HEADER_LENGTH, 4);
            if (magicRead < 4)
            {
                throw PcapFormatException.atBlock(input.name(), blockType, blockOffset,
                    "truncated section header block: no byte-order magic");
            }
            blockOrder = sectionByteOrder(block, blockOffset);
        }

        final long totalLength = getUnsignedInt(block, 4, blockOrder);
        final int alreadyRead = isSectionHeader ? BLOCK_HEADER_LENGTH + 4 : BLOCK_HEADER_LENGTH;
        checkTotalLength(blockType, totalLength, blockOffset);

        final int length = (int)totalLength;
        final int bodyRead = input.readRecord(frame, alreadyRead, length - alreadyRead);
        block = frame.record;
        if (bodyRead < length - alreadyRead)
        {
            throw PcapFormatException.atBlock(input.name(), blockType, blockOffset,
                "truncated block: total length " + length + " but only " + (alreadyRead + bodyRead) +
                " bytes left in file" + (isPacketBlock(blockType) ? " (frame " + frameNumber + ")" : ""));
        }

        final long trailingLength = getUnsignedInt(block, length - BLOCK_TRAILER_LENGTH, blockOrder);
        if (trailingLength != totalLength)
        {
            throw PcapFormatException.atBlock(input.name(), blockType, blockOffset,
                "trailing block total length " + trailingLength + " differs from leading " + totalLength);
        }

        frame.recordLength = length;
        if (isSectionHeader)
        {
            startSection(block, length, blockOrder, blockOffset);
        }

        return blockType;
    }

    private void checkTotalLength(final int blockType, final long totalLength, final long blockOffset)
        throws PcapFormatException
    {
        final int minimum = minimumLength(blockType);
        if (totalLength < minimum || (totalLength & 3) != 0 || totalLength > MAX_BLOCK_LENGTH)
        {
            throw PcapFormatException.atBlock(input.name(), blockType, blockOffset,
                "bad block total length " + totalLength +
                " (must be a multiple of 4, at least " + minimum + ", at most " + MAX_BLOCK_LENGTH + ")");
        }
    }

    private static int minimumLength(final int blockType)
    {
        switch (blockType)
        {
            case SECTION_HEADER_BLOCK:
                return SHB_FIXED_LENGTH;
            case INTERFACE_DESCRIPTION_BLOCK:
                return IDB_FIXED_LENGTH;
            case ENHANCED_PACKET_BLOCK:
                return EPB_FIXED_LENGTH;
            case SIMPLE_PACKET_BLOCK:
                return SPB_FIXED_LENGTH;
            default:
                return BLOCK_HEADER_LENGTH + BLOCK_TRAILER_LENGTH;
        }
    }

    private ByteOrder sectionByteOrder(final byte[] block, final long blockOffset) throws PcapFormatException
    {
        final int magic = getInt(block, BLOCK_HEADER_LENGTH, ByteOrder.BIG_ENDIAN);
        if (BYTE_ORDER_MAGIC == magic)
        {
            return ByteOrder.BIG_ENDIAN;
        }
        if (Integer.reverseBytes(BYTE_ORDER_MAGIC) == magic)
        {
            return ByteOrder.LITTLE_ENDIAN;
        }
        throw PcapFormatException.atBlock(input.name(), SECTION_HEADER_BLOCK, blockOffset,
            "bad byte-order magic 0x" + String.format("%08x", magic));
    }

    private void startSection(final byte[] block, final int length, final ByteOrder order, final long blockOffset)
        throws PcapFormatException
    {
        final int majorVersion = getUnsignedShort(block, 12, order);
        if (1 != majorVersion)
        {
            throw PcapFormatException.atBlock(input.name(), SECTION_HEADER_BLOCK, blockOffset,
                "unsupported pcapng major version " + majorVersion);
        }

        byteOrder = order;
        sectionHeader = Arrays.copyOf(block, length);
        interfaceDescriptions.clear();
        interfaceCount = 0;
    }

    private void handleNonPacketBlock(
        final PcapFrame frame, final int blockType, final long blockOffset, final long nextFrameNumber)
        throws PcapFormatException
    {
        if (INTERFACE_DESCRIPTION_BLOCK == blockType)
        {
            addInterface(frame.record, frame.recordLength, blockOffset);
        }

        if (null != listener)
        {
            listener.onNonPacketBlock(frame.record, frame.recordLength, blockType, nextFrameNumber);
        }
    }

    private void addInterface(final byte[] block, final int length, final long blockOffset)
        throws PcapFormatException
    {
        if (interfaceCount == linkTypes.length)
        {
            final int capacity = 2 * interfaceCount;
            linkTypes = Arrays.copyOf(linkTypes, capacity);
            snapLengths = Arrays.copyOf(snapLengths, capacity);
            timestampResolutions = Arrays.copyOf(timestampResolutions, capacity);
            timestampOffsetsSeconds = Arrays.copyOf(timestampOffsetsSeconds, capacity);
        }

        final int id = interfaceCount;
        linkTypes[id] = getUnsignedShort(block, 8, byteOrder);
        snapLengths[id] = getUnsignedInt(block, 12, byteOrder);
        timestampResolutions[id] = DEFAULT_TSRESOL;
        timestampOffsetsSeconds[id] = 0;

        int option = IDB_FIXED_LENGTH - BLOCK_TRAILER_LENGTH;
        final int optionsEnd = length - BLOCK_TRAILER_LENGTH;
        while (option + 4 <= optionsEnd)
        {
            final int code = getUnsignedShort(block, option, byteOrder);
            final int valueLength = getUnsignedShort(block, option + 2, byteOrder);
            if (OPTION_END_OF_OPTIONS == code)
            {
                break;
            }
            final int valueOffset = option + 4;
            if (valueOffset + valueLength > optionsEnd)
            {
                throw PcapFormatException.atBlock(input.name(), INTERFACE_DESCRIPTION_BLOCK, blockOffset,
                    "option " + code + " of length " + valueLength + " overruns the block");
            }

            if (OPTION_IF_TSRESOL == code && 1 == valueLength)
            {
                timestampResolutions[id] = block[valueOffset] & 0xFF;
            }
            else if (OPTION_IF_TSOFFSET == code && 8 == valueLength)
            {
                timestampOffsetsSeconds[id] = getLong(block, valueOffset, byteOrder);
            }
            option = valueOffset + alignTo4(valueLength);
        }

        interfaceDescriptions.add(Arrays.copyOf(block, length));
        interfaceCount++;
    }

    private void decodeEnhancedPacket(final PcapFrame frame, final long frameNumber, final long blockOffset)
        throws PcapFormatException
    {
        final byte[] block = frame.record;
        final long interfaceId = getUnsignedInt(block, 8, byteOrder);
        if (interfaceId >= interfaceCount)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, blockOffset,
                "enhanced packet block for interface " + interfaceId + " but the section describes " +
                interfaceCount);
        }

        final long capturedLength = getUnsignedInt(block, 20, byteOrder);
        final long originalLength = getUnsignedInt(block, 24, byteOrder);
        if (capturedLength > frame.recordLength - EPB_FIXED_LENGTH)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, blockOffset,
                "captured length " + capturedLength + " exceeds the block's room of " +
                (frame.recordLength - EPB_FIXED_LENGTH) + " bytes");
        }

        final int id = (int)interfaceId;
        final long ticks = (getUnsignedInt(block, 12, byteOrder) << 32) | getUnsignedInt(block, 16, byteOrder);
        final long timestampNs = PcapNgTimestamps.toNanoseconds(ticks, timestampResolutions[id]) +
            timestampOffsetsSeconds[id] * 1_000_000_000L;

        frame.recordDataOffset = EPB_DATA_OFFSET;
        frame.kind = PcapFrame.KIND_ENHANCED_PACKET_BLOCK;
        frame.recordByteOrder = byteOrder;
        frame.snapLength = snapLengths[id];
        frame.fill(frameNumber, timestampNs, linkTypes[id], id, (int)capturedLength, originalLength);
    }

    private void decodeSimplePacket(final PcapFrame frame, final long frameNumber, final long blockOffset)
        throws PcapFormatException
    {
        if (0 == interfaceCount)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, blockOffset,
                "simple packet block but the section describes no interface");
        }

        final long originalLength = getUnsignedInt(frame.record, 8, byteOrder);
        final long room = frame.recordLength - SPB_FIXED_LENGTH;
        // §4.4: captured length = min(original length, SnapLen of interface 0); SnapLen 0 means unlimited.
        final long capturedLength = 0 == snapLengths[0] ? originalLength : Math.min(originalLength, snapLengths[0]);
        if (capturedLength > room)
        {
            throw PcapFormatException.atFrame(input.name(), frameNumber, blockOffset,
                "simple packet of " + capturedLength + " captured bytes exceeds the block's room of " + room +
                " bytes");
        }

        frame.recordDataOffset = SPB_DATA_OFFSET;
        frame.kind = PcapFrame.KIND_SIMPLE_PACKET_BLOCK;
        frame.recordByteOrder = byteOrder;
        frame.snapLength = snapLengths[0];
        frame.fill(frameNumber, 0, linkTypes[0], 0, (int)capturedLength, originalLength);
    }

    private static boolean isPacketBlock(final int blockType)
    {
        return ENHANCED_PACKET_BLOCK == blockType || SIMPLE_PACKET_BLOCK == blockType;
    }

    private int checkInterface(final int interfaceId)
    {
        if (interfaceId < 0 || interfaceId >= interfaceCount)
        {
            throw new IndexOutOfBoundsException("interface " + interfaceId + " of " + interfaceCount);
        }
        return interfaceId;
    }
}
