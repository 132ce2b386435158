package org.esp4j.core.xfrm;

import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

class XfrmAddressesTest
{
    @Test
    void printsLikeInetNtop()
    {
        assertEquals("2001:0:0:1::2", text("2001:0:0:1:0:0:0:2"));
        assertEquals("2001::1:d1ae:bb37:d9c9:81d0", text("2001:0:0:1:d1ae:bb37:d9c9:81d0"));
        assertEquals("2001::1:d1ae:bb37:d9c9:81d0", text("2001::1:d1ae:bb37:d9c9:81d0"));
        assertEquals("::", text("::"));
        assertEquals("::1", text("::1"));
        assertEquals("fe80::", text("fe80:0:0:0:0:0:0:0"));
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"));
        assertEquals("::192.0.2.1", text("::192.0.2.1"));
        assertEquals("203.0.113.10", text("203.0.113.10"));
    }

    @Test
    void parsesOnlyNumericLiterals()
    {
        assertInstanceOf(Inet4Address.class, XfrmAddresses.parse("0.0.0.0"));
        assertInstanceOf(Inet6Address.class, XfrmAddresses.parse("::"));
        assertNull(XfrmAddresses.parse("localhost"));
        assertNull(XfrmAddresses.parse("10.0.0"));
        assertNull(XfrmAddresses.parse("10.0.0.256"));
        assertNull(XfrmAddresses.parse("10.0.0.01"));
        assertNull(XfrmAddresses.parse("1::2::3"));
        assertNull(XfrmAddresses.parse("1:2:3:4:5:6:7"));
        assertNull(XfrmAddresses.parse("1:2:3:4:5:6:7:8:9"));
        assertNull(XfrmAddresses.parse("12345::"));
        assertNull(XfrmAddresses.parse("fe80::1%eth0"));
        assertNull(XfrmAddresses.parse("::ffff:192.0.2.1"));
    }

    private static String text(final String literal)
    {
        final InetAddress address = XfrmAddresses.parse(literal);
        return XfrmAddresses.toText(address);
    }
}
