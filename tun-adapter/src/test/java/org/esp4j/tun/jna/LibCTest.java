package org.esp4j.tun.jna;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibCTest
{
    @Test
    void errnoOfFailedCallIsReported()
    {
        assertEquals(-1, LibC.close(-1));
        assertEquals(LibC.EBADF, LibC.errno());
        assertTrue(LibC.describe(LibC.EBADF).contains("(errno 9)"), LibC.describe(LibC.EBADF));
    }

    @Test
    void readOnBadDescriptorSetsErrno()
    {
        final NativeArea area = new NativeArea(64);
        assertEquals(-1L, LibC.read(-1, area.address(0), 64));
        assertEquals(LibC.EBADF, LibC.errno());
    }

    @Test
    void sockAddrLayouts() throws Exception
    {
        final NativeArea area = new NativeArea(SockAddr.STORAGE_LENGTH);
        assertEquals(SockAddr.IN6_LENGTH, SockAddr.put(area.buffer(), 0, InetAddress.getByName("2001::2"), 4500));
        assertEquals(LibC.AF_INET6, SockAddr.family(area.buffer(), 0));
        assertEquals(4500, SockAddr.port(area.buffer(), 0));
        assertEquals((byte)0x11, area.buffer().getByte(2));
        assertEquals((byte)0x94, area.buffer().getByte(3));
        assertEquals(InetAddress.getByName("2001::2"), SockAddr.toInetAddress(area.buffer(), 0));

        assertEquals(SockAddr.IN_LENGTH, SockAddr.put(area.buffer(), 0, InetAddress.getByName("192.0.2.7"), 53));
        assertEquals(LibC.AF_INET, SockAddr.family(area.buffer(), 0));
        assertEquals((byte)7, area.buffer().getByte(7));
    }

    @Test
    void controlMessagesRoundTrip()
    {
        final SocketMessage message = new SocketMessage();
        final int data = message.addControl(LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO, SocketMessage.IN6_PKTINFO_LENGTH);
        message.buffer().putByte(data, (byte)0x20);
        final int data2 = message.addControl(LibC.IPPROTO_IPV6, LibC.IPV6_HOPLIMIT, 4);
        assertEquals(SocketMessage.CONTROL_OFFSET + 16, data);
        assertEquals(SocketMessage.CONTROL_OFFSET + 40 + 16, data2);
        message.prepareSend(0, 0, 0);
        assertEquals(data, message.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO));
        assertEquals(data2, message.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_HOPLIMIT));
        assertEquals(-1, message.findControl(LibC.IPPROTO_IP, LibC.IP_PKTINFO));
    }
}
