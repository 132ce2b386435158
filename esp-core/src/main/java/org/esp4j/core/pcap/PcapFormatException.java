package org.esp4j.core.pcap;

import java.io.IOException;

/**
 * A capture file that does not follow its format: bad magic, impossible lengths, truncated records.
 * The message names the file and the byte offset (and the frame or block) where reading stopped, e.g.
 * {@code capture.pcap: frame 3 at offset 1234: captured length 70000 exceeds snaplen 65535}.
 */
public class PcapFormatException extends IOException
{
    private static final long serialVersionUID = 1L;

    public PcapFormatException(final String message)
    {
        super(message);
    }

    static PcapFormatException atFile(final String fileName, final long offset, final String problem)
    {
        return new PcapFormatException(fileName + ": at offset " + offset + ": " + problem);
    }

    static PcapFormatException atFrame(
        final String fileName, final long frameNumber, final long offset, final String problem)
    {
        return new PcapFormatException(fileName + ": frame " + frameNumber + " at offset " + offset + ": " + problem);
    }

    static PcapFormatException atBlock(
        final String fileName, final int blockType, final long offset, final String problem)
    {
        return new PcapFormatException(
            fileName + ": block type 0x" + String.format("%08x", blockType) + " at offset " + offset + ": " + problem);
    }
}
