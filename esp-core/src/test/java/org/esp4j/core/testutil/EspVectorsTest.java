package org.esp4j.core.testutil;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EspVectorsTest
{
    private final EspVectors vectors = EspVectors.load();

    @Test
    void shouldLoadEveryVectorSaAndKey()
    {
        assertEquals(185, vectors.vectors().size());
        assertEquals(17, vectors.sas().size());
        assertEquals(10, vectors.notes().size());
        assertArrayEquals(Hex.decode("f769bcd751044604127672711c6d3441"), vectors.key("IK"));
        assertEquals(
            List.of("esp_null_md5.pcap", "esp_null_sha1.pcap", "esp_aescbc_md5.pcap", "esp_aescbc_sha1.pcap",
                "esp_replay_window.pcap"),
            vectors.pcapNames().stream().sorted((a, b) -> order(a) - order(b)).toList());
    }

    @Test
    void shouldDecodeFirstVectorAsInFile()
    {
        final EspVector first = vectors.vectors().get(0);

        assertEquals("null_md5/ipv6/ue->pcscf/raw/seq1", first.name());
        assertEquals(2821032177L, first.spi());
        assertEquals("0xa82588f1", first.spiHex());
        assertEquals(1, first.sequence());
        assertEquals(12, first.icvLengthBytes());
        assertEquals(40, first.espOffset());
        assertEquals(38003, first.sourcePort());
        assertEquals(50718, first.destinationPort());
        assertEquals(3, first.padLength());
        assertEquals(17, first.nextHeader());
        assertEquals("esp_null_md5.pcap", first.pcap());
        assertEquals(1, first.frame());
        assertEquals(0, first.iv().length);
        assertArrayEquals(Hex.decode("b888d205b5f764fef138fa77"), first.icv());
        assertNull(first.step());
        assertNull(first.windowAfter());
        assertNull(first.validIcv());
    }

    @Test
    void shouldHaveConsistentEspBytesInEveryVector()
    {
        for (final EspVector vector : vectors.vectors())
        {
            final byte[] esp = vector.esp();
            final byte[] espIp = vector.espIp();
            assertArrayEquals(esp, Arrays.copyOfRange(espIp, vector.espOffset(), espIp.length), vector.name());

            final ByteBuffer header = ByteBuffer.wrap(esp).order(ByteOrder.BIG_ENDIAN);
            assertEquals(vector.spi(), header.getInt(0) & 0xFFFF_FFFFL, vector.name());
            assertEquals(vector.sequence(), header.getInt(4) & 0xFFFF_FFFFL, vector.name());
            if (vector.icv().length > 0) // truncated-hdr-only vectors stop after SPI and sequence number
            {
                assertEquals(vector.icvLengthBytes(), vector.icv().length, vector.name());
                assertArrayEquals(vector.icv(),
                    Arrays.copyOfRange(esp, esp.length - vector.icvLengthBytes(), esp.length), vector.name());
            }
            else
            {
                assertEquals(8, esp.length, vector.name());
            }
        }
    }

    @Test
    void shouldHaveTwentyFiveReplaySteps()
    {
        final List<EspVector> replay = vectors.inReplayGroup(EspVectors.REPLAY_GROUP);

        assertEquals(25, replay.size());
        for (int i = 0; i < replay.size(); i++)
        {
            assertEquals(i + 1, replay.get(i).step());
            assertEquals(i + 1, replay.get(i).frame());
            assertNotNull(replay.get(i).windowAfter());
        }
    }

    @Test
    void shouldRejectUnknownFields()
    {
        final String json = "{\"generator\":\"g\",\"notes\":[],\"keys\":{},\"sa\":[],\"vectors\":[],\"extra\":1}";

        assertThrows(IllegalArgumentException.class, () -> EspVectors.parse(json));
    }

    private static int order(final String pcap)
    {
        return List.of("esp_null_md5.pcap", "esp_null_sha1.pcap", "esp_aescbc_md5.pcap", "esp_aescbc_sha1.pcap",
            "esp_replay_window.pcap").indexOf(pcap);
    }
}
