package org.esp4j.core.ip;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RFC 5952 text: the examples of its sections 4 and 5, and the address-with-port form of section 6.
 */
class IpAddressTextTest
{
    @Test
    void shouldWriteTheCanonicalFormOfSectionFour() throws Exception
    {
        assertEquals("2001:db8::1", text("2001:0db8:0000:0000:0000:0000:0000:0001"));  // 4.1, 4.2.1
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"));          // 4.2.2: one zero group
        assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"));                    // 4.2.3: the longest run
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));              // 4.2.3: the first of equals
        assertEquals("2001:db8::aaaa:0:1", text("2001:DB8:0:0:0:AAAA:0:1"));          // 4.3: lower case
        assertEquals("::", text("::"));
        assertEquals("::1", text("::1"));
        assertEquals("1::", text("1::"));
    }

    @Test
    void shouldWriteIpv4MappedAddressesDottedAsSectionFiveRecommends() throws Exception
    {
        final byte[] mapped = new byte[16];
        mapped[10] = (byte)0xFF;
        mapped[11] = (byte)0xFF;
        mapped[12] = (byte)192;
        mapped[14] = 2;
        mapped[15] = 1;

        assertEquals("::ffff:192.0.2.1", IpAddressText.format(Inet6Address.getByAddress(null, mapped, -1)));
        assertEquals("::c000:201", text("::192.0.2.1")); // IPv4-compatible is not in the section 5 list
        assertEquals("192.0.2.1", text("192.0.2.1"));
    }

    @Test
    void shouldBracketIpv6AddressesWithAPort() throws Exception
    {
        assertEquals("[2001:db8::1]:5060", IpAddressText.format(InetAddress.getByName("2001:db8::1"), 5060));
        assertEquals("192.0.2.1:5060", IpAddressText.format(InetAddress.getByName("192.0.2.1"), 5060));
    }

    private static String text(final String literal) throws Exception
    {
        return IpAddressText.format(InetAddress.getByName(literal));
    }
}
