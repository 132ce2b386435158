package org.esp4j.core.pcap;

/**
 * Told about every pcapng block the reader does not return as a frame (SHB, IDB, NRB, ISB, OPB, unknown), so a
 * {@link PcapWriter} can copy them to its output in their place.
 */
interface NonPacketBlockListener
{
    /**
     * @param block           the whole block as read, in its section's byte order.
     * @param length          block total length in bytes.
     * @param blockType       pcapng block type.
     * @param nextFrameNumber number of the frame that follows the block in the file.
     */
    void onNonPacketBlock(byte[] block, int length, int blockType, long nextFrameNumber);
}
