package org.esp4j.tun.device;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunLinkScopeTest
{
    @Test
    void shouldTakeTheKernelsRouterSolicitationAsLinkScoped() throws Exception
    {
        // what the TUN's own link-local address sends to all-routers
        assertTrue(TunLinkScope.isLinkScoped(ipv6("fe80::5c1e:26ff:fe3a:1b2c", "ff02::2"), 0));
    }

    @Test
    void shouldTakeLinkLocalSourceOrMulticastDestinationAsLinkScoped() throws Exception
    {
        assertTrue(TunLinkScope.isLinkScoped(ipv6("febf::1", "2001:db8::2"), 0));
        assertTrue(TunLinkScope.isLinkScoped(ipv6("2001:db8::1", "ff05::1:3"), 0));
        assertTrue(TunLinkScope.isLinkScoped(ipv6("::", "ff02::1:ff00:1"), 0)); // DAD probe
        assertTrue(TunLinkScope.isLinkScoped(ipv4("169.254.7.1", "192.0.2.2"), 0));
        assertTrue(TunLinkScope.isLinkScoped(ipv4("192.0.2.1", "224.0.0.251"), 0));
        assertTrue(TunLinkScope.isLinkScoped(ipv4("192.0.2.1", "239.255.255.250"), 0));
        assertTrue(TunLinkScope.isLinkScoped(ipv4("192.0.2.1", "255.255.255.255"), 0));
    }

    @Test
    void shouldRelayUnicastBetweenGlobalAddresses() throws Exception
    {
        assertFalse(TunLinkScope.isLinkScoped(ipv6("2001::1:d1ae:bb37:d9c9:81d0", "2001:0:0:1::2"), 0));
        assertFalse(TunLinkScope.isLinkScoped(ipv6("fec0::1", "fe80::1"), 0)); // site-local source, to a link-local
        assertFalse(TunLinkScope.isLinkScoped(ipv4("192.0.2.1", "192.0.2.2"), 0));
        assertFalse(TunLinkScope.isLinkScoped(ipv4("169.255.0.1", "223.255.255.255"), 0));
    }

    @Test
    void shouldReadTheHeaderAtItsOffset() throws Exception
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[12 + 40]);
        buffer.putBytes(12, ipv6("fe80::1", "2001:db8::2"), 0, 40);

        assertTrue(TunLinkScope.isLinkScoped(buffer, 12));
        assertFalse(TunLinkScope.isLinkScoped(ipv6("2001:db8::1", "2001:db8::2"), 0));
    }

    private static UnsafeBuffer ipv6(final String source, final String destination) throws Exception
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[40]);
        buffer.putByte(0, (byte)0x60);
        buffer.putByte(6, (byte)58);
        buffer.putBytes(8, InetAddress.getByName(source).getAddress());
        buffer.putBytes(24, InetAddress.getByName(destination).getAddress());
        return buffer;
    }

    private static UnsafeBuffer ipv4(final String source, final String destination) throws Exception
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[20]);
        buffer.putByte(0, (byte)0x45);
        buffer.putByte(9, (byte)17);
        buffer.putBytes(12, InetAddress.getByName(source).getAddress());
        buffer.putBytes(16, InetAddress.getByName(destination).getAddress());
        return buffer;
    }
}
