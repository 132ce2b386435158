package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UdpSegmenterTest
{
    private static final int OFFSET = 10;
    private final Random random = new Random(0x5E6E5L);

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldCutASuperPacketIntoDatagramsWithTheirOwnLengthsAndChecksums(final boolean ipv6)
    {
        final byte[] payload = bytes(3 * 1200 + 77);
        final byte[] superPacket = UdpPackets.datagram(ipv6, payload);
        // as the kernel hands it up: a partial checksum, whatever its value
        final int udp = ipv6 ? 40 : 20;
        TcpPackets.putShort(superPacket, udp + 6, 0xBEEF);
        final UnsafeBuffer read = new UnsafeBuffer(new byte[OFFSET + superPacket.length]);
        read.putBytes(OFFSET, superPacket);
        final UdpSegmenter segmenter = new UdpSegmenter();

        assertEquals(4, segmenter.prepare(read, OFFSET, superPacket.length, 1200));
        assertEquals(ipv6, segmenter.ipv6());
        final UnsafeBuffer out = new UnsafeBuffer(new byte[3000]);
        for (int i = 0; i < 4; i++)
        {
            final int length = segmenter.segment(i, out, 100);
            final byte[] datagram = new byte[length];
            out.getBytes(100, datagram);
            final int chunk = i < 3 ? 1200 : 77;
            assertEquals(udp + 8 + chunk, length);
            assertArrayEquals(Arrays.copyOfRange(payload, i * 1200, i * 1200 + chunk), UdpPackets.payload(datagram));
            assertEquals(8 + chunk, TcpPackets.getShort(datagram, udp + 4), "UDP length");
            assertEquals(UdpPackets.SOURCE_PORT, TcpPackets.getShort(datagram, udp));
            assertEquals(UdpPackets.DESTINATION_PORT, TcpPackets.getShort(datagram, udp + 2));
            assertTrue(UdpPackets.checksumValid(datagram), "UDP checksum of datagram " + i);
            if (ipv6)
            {
                assertEquals(8 + chunk, TcpPackets.ipv6PayloadLength(datagram));
                assertArrayEquals(Arrays.copyOfRange(superPacket, 8, 40), Arrays.copyOfRange(datagram, 8, 40));
            }
            else
            {
                assertEquals(length, TcpPackets.ipv4TotalLength(datagram));
                assertEquals(0x1234 + i, TcpPackets.ipv4Id(datagram), "ids count up from the first");
                assertTrue(TcpPackets.ipv4HeaderChecksumValid(datagram));
            }
        }
    }

    @Test
    void shouldRefuseWhatIsNotAUdpSuperPacket()
    {
        final UdpSegmenter segmenter = new UdpSegmenter();
        final byte[] tcp = TcpPackets.tcp().payload(bytes(3000)).build();
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(tcp), 0, tcp.length, 1000), "TCP");
        final byte[] udp = UdpPackets.datagram(false, bytes(3000));
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(udp), 0, udp.length, 0), "no gso_size");
        final byte[] fragment = UdpPackets.datagram(false, bytes(3000));
        fragment[6] = 0x20; // MF
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(fragment), 0, fragment.length, 1000), "a fragment");
        final byte[] empty = UdpPackets.datagram(true, new byte[0]);
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(empty), 0, empty.length, 1000), "no payload");
        final byte[] garbage = {0x10, 0, 0, 0};
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(garbage), 0, garbage.length, 1000), "not IP");
    }

    private byte[] bytes(final int length)
    {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }
}
