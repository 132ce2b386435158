package org.esp4j.sip.ip;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpPacketTest
{
    private static final byte[] V6_SRC = { 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    private static final byte[] V6_DST = { 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

    @Test
    void shouldSkipIpv6HopByHopOptionsToReachUdp()
    {
        final ByteBuffer packet = ByteBuffer.allocate(40 + 8 + 8 + 3);
        packet.putInt(0x6000_0000).putShort((short)19).put((byte)0).put((byte)64).put(V6_SRC).put(V6_DST);
        packet.put((byte)17).put((byte)0).put(new byte[6]);
        packet.putShort((short)39003).putShort((short)50717).putShort((short)11).putShort((short)0).put(new byte[]{ 'a', 'b', 'c' });

        final IpPacket ip = IpPacket.parse(packet.array(), 0, packet.capacity());

        assertEquals(39003, ip.srcPort());
        assertEquals(50717, ip.dstPort());
        assertEquals(56, ip.payloadOffset());
        assertEquals(3, ip.payloadLength());
        assertEquals("2001:0:0:0:0:0:0:2", ip.dst().getHostAddress());
    }

    @Test
    void shouldReadIpv4TcpSequenceFlagsAndPayload()
    {
        final ByteBuffer packet = ByteBuffer.allocate(20 + 20 + 2);
        packet.put((byte)0x45).put((byte)0).putShort((short)42).putInt(0).put((byte)64).put((byte)6).putShort((short)0);
        packet.put(new byte[]{ 10, 0, 0, 1 }).put(new byte[]{ 10, 0, 0, 2 });
        packet.putShort((short)5060).putShort((short)40000).putInt(0xFFFF_FFF0).putInt(0).put((byte)0x50).put((byte)0x03)
            .putShort((short)0).putInt(0).put(new byte[]{ 'h', 'i' });

        final IpPacket ip = IpPacket.parse(packet.array(), 0, packet.capacity());

        assertTrue(ip.isTcp());
        assertEquals(0xFFFF_FFF0L, ip.tcpSequence(), "unsigned");
        assertEquals(IpPacket.TCP_FIN | IpPacket.TCP_SYN, ip.tcpFlags());
        assertEquals(2, ip.payloadLength());
    }

    @Test
    void shouldReadTheTcpTimestampAmongOtherOptionsAsAnUnsignedValue()
    {
        // MSS, SACK permitted, Timestamps and window scale as a Linux SYN carries them
        final byte[] options = { 2, 4, 0x05, (byte)0xB4, 4, 2, 8, 10, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFE,
            0, 0, 0, 0, 1, 3, 3, 7 };
        assertEquals(0xFFFF_FFFEL, tcpWithOptions(options).tcpTimestamp());
        assertEquals(-1, tcpWithOptions(new byte[]{ 1, 1, 1, 0 }).tcpTimestamp());
    }

    @Test
    void shouldWatchASegmentWithMalformedOptionsWithoutItsTimestamp()
    {
        // an option whose length runs past the header, and one of length 0: the search ends, the segment stays
        final IpPacket pastHeader = tcpWithOptions(new byte[]{ 1, 8, 12, 0, 0, 0, 0, 0 });
        assertEquals(-1, pastHeader.tcpTimestamp());
        assertEquals(2, pastHeader.payloadLength());
        assertEquals(-1, tcpWithOptions(new byte[]{ 3, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0 }).tcpTimestamp());
    }

    private static IpPacket tcpWithOptions(final byte[] options)
    {
        final ByteBuffer packet = ByteBuffer.allocate(20 + 20 + options.length + 2);
        packet.put((byte)0x45).put((byte)0).putShort((short)packet.capacity()).putInt(0).put((byte)64).put((byte)6)
            .putShort((short)0).put(new byte[]{ 10, 0, 0, 1 }).put(new byte[]{ 10, 0, 0, 2 });
        packet.putShort((short)5060).putShort((short)40000).putInt(1).putInt(0)
            .put((byte)((5 + options.length / 4) << 4)).put((byte)0x18).putShort((short)65535).putInt(0);
        packet.put(options).put(new byte[]{ 'a', 'b' });
        return IpPacket.parse(packet.array(), 0, packet.capacity());
    }

    @Test
    void shouldLeaveFragmentsAndOtherProtocolsAlone()
    {
        final ByteBuffer fragment = ByteBuffer.allocate(28);
        fragment.put((byte)0x45).put((byte)0).putShort((short)28).putShort((short)0).putShort((short)0x2000).put((byte)64).put((byte)17)
            .putShort((short)0).putInt(0).putInt(0).putLong(0);
        assertNull(IpPacket.parse(fragment.array(), 0, 28));

        final ByteBuffer esp = ByteBuffer.allocate(48);
        esp.putInt(0x6000_0000).putShort((short)8).put((byte)50).put((byte)64).put(V6_SRC).put(V6_DST).putLong(0);
        assertNull(IpPacket.parse(esp.array(), 0, 48));
    }

    @Test
    void shouldNameTheFieldOfABrokenPacket()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> IpPacket.parse(new byte[]{ 0x55 }, 0, 1)).getMessage().startsWith("ip version"));
        final byte[] lying = new byte[20];
        lying[0] = 0x45;
        lying[3] = 100;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> IpPacket.parse(lying, 0, 20)).getMessage().startsWith("ipv4 total length"));
    }
}
