package org.esp4j.core.pcap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reading and copying in-memory captures for the tests.
 */
final class PcapTestSupport
{
    /** What a test checks of a frame, copied out of the reusable {@link PcapFrame}. */
    record FrameView(
        long frameNumber,
        long timestampNs,
        int linkType,
        int interfaceId,
        int capturedLength,
        long originalLength,
        byte[] data,
        int networkOffset)
    {
    }

    /** Frame rewriting done while copying, e.g. replacing the IP part. */
    interface FrameEdit
    {
        void edit(PcapFrame frame);
    }

    private PcapTestSupport()
    {
    }

    static List<FrameView> readAll(final byte[] capture) throws IOException
    {
        final List<FrameView> frames = new ArrayList<>();
        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "test.pcap"))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                frames.add(new FrameView(frame.frameNumber(), frame.timestampNs(), frame.linkType(),
                    frame.interfaceId(), frame.capturedLength(), frame.originalLength(),
                    Arrays.copyOf(frame.data(), frame.length()), frame.networkOffset()));
            }
            assertEquals(capture.length, reader.bytesRead());
        }
        return frames;
    }

    static byte[] copy(final byte[] capture, final FrameEdit edit) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "test.pcap");
            PcapWriter writer = PcapWriter.likeInput(reader, out))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                edit.edit(frame);
                writer.write(frame);
            }
        }
        return out.toByteArray();
    }

    static byte[] copyUntouched(final byte[] capture) throws IOException
    {
        return copy(capture, frame -> {});
    }
}
