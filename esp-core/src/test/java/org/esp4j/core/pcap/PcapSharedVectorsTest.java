package org.esp4j.core.pcap;

import org.esp4j.core.testutil.EspVector;
import org.esp4j.core.testutil.EspVectors;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared ESP pcaps: little-endian classic pcap, microseconds, snaplen 65535, LINKTYPE_RAW; every frame is
 * vectors.json's esp_ip_hex for (pcap, frame).
 */
class PcapSharedVectorsTest
{
    static List<String> pcapNames()
    {
        return EspVectors.load().pcapNames();
    }

    @ParameterizedTest
    @MethodSource("pcapNames")
    void shouldReadEveryFrameAsInVectors(final String pcapName) throws IOException
    {
        final List<EspVector> vectors = EspVectors.load().inPcap(pcapName);
        try (PcapReader reader = new PcapReader(EspVectors.resourcePath(pcapName)))
        {
            assertEquals(CaptureFormat.PCAP, reader.format());
            assertEquals(ByteOrder.LITTLE_ENDIAN, reader.byteOrder());
            assertFalse(reader.nanosecondTimestamps());
            assertEquals(LinkType.RAW, reader.interfaceLinkType(0));
            assertEquals(65535, reader.interfaceSnapLength(0));

            final PcapFrame frame = new PcapFrame();
            for (final EspVector vector : vectors)
            {
                assertTrue(reader.next(frame), vector.name());
                assertEquals(vector.frame(), frame.frameNumber(), vector.name());
                assertEquals(LinkType.RAW, frame.linkType());
                assertEquals(0, frame.networkOffset(), vector.name());
                assertEquals(vector.espIp().length, frame.length(), vector.name());
                assertEquals(frame.length(), frame.originalLength(), vector.name());
                assertArrayEquals(vector.espIp(), Arrays.copyOf(frame.data(), frame.length()), vector.name());
            }
            assertFalse(reader.next(frame));
            assertEquals(vectors.size(), reader.framesRead());
            assertEquals(vectors.get(vectors.size() - 1).frame(), vectors.size());
        }
    }

    @ParameterizedTest
    @MethodSource("pcapNames")
    void shouldWriteUntouchedCaptureByteIdentical(final String pcapName) throws IOException
    {
        final byte[] original = EspVectors.resourceBytes(EspVectors.RESOURCE_DIRECTORY + pcapName);

        assertArrayEquals(original, copy(original, pcapName, null));
    }

    @ParameterizedTest
    @MethodSource("pcapNames")
    void shouldWriteReplacedNetworkLayerAndKeepOtherFramesIdentical(final String pcapName) throws IOException
    {
        final byte[] original = EspVectors.resourceBytes(EspVectors.RESOURCE_DIRECTORY + pcapName);
        final List<EspVector> vectors = EspVectors.load().inPcap(pcapName);

        // "Decrypt" the odd frames: replace the ESP packet by the plaintext it was made from.
        final byte[] rewritten = copy(original, pcapName, vectors);

        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(rewritten), "rewritten-" + pcapName);
            PcapReader originalReader = new PcapReader(new ByteArrayInputStream(original), pcapName))
        {
            final PcapFrame frame = new PcapFrame();
            final PcapFrame originalFrame = new PcapFrame();
            for (final EspVector vector : vectors)
            {
                assertTrue(reader.next(frame));
                assertTrue(originalReader.next(originalFrame));
                assertEquals(originalFrame.timestampNs(), frame.timestampNs(), vector.name());
                final byte[] expected = 1 == (vector.frame() & 1) ? vector.plaintext() : vector.espIp();
                assertArrayEquals(expected, Arrays.copyOf(frame.data(), frame.length()), vector.name());
                assertEquals(expected.length, frame.originalLength(), vector.name());
            }
            assertFalse(reader.next(frame));
        }
    }

    private static byte[] copy(final byte[] capture, final String name, final List<EspVector> decryptOddFrames)
        throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), name);
            PcapWriter writer = PcapWriter.likeInput(reader, out))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                if (null != decryptOddFrames && 1 == (frame.frameNumber() & 1))
                {
                    final byte[] plaintext = decryptOddFrames.get((int)frame.frameNumber() - 1).plaintext();
                    frame.replaceNetworkLayer(plaintext, 0, plaintext.length);
                }
                writer.write(frame);
            }
            assertEquals(reader.framesRead(), writer.framesWritten());
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @MethodSource("pcapNames")
    void shouldReadSameFramesFromStreamAsFromPath(final String pcapName) throws IOException
    {
        final byte[] original = EspVectors.resourceBytes(EspVectors.RESOURCE_DIRECTORY + pcapName);
        try (PcapReader fromPath = new PcapReader(EspVectors.resourcePath(pcapName));
            PcapReader fromStream = new PcapReader(new ByteArrayInputStream(original), pcapName))
        {
            final PcapFrame a = new PcapFrame();
            final PcapFrame b = new PcapFrame();
            while (fromPath.next(a))
            {
                assertTrue(fromStream.next(b));
                assertEquals(Hex.encode(a.data(), 0, a.length()), Hex.encode(b.data(), 0, b.length()));
                assertEquals(a.timestampNs(), b.timestampNs());
            }
            assertFalse(fromStream.next(b));
            assertEquals(original.length, fromPath.bytesRead());
        }
    }
}
