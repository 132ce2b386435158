package org.esp4j.core.pcap;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.esp4j.core.pcap.LinkType.ETHERTYPE_IPV4;
import static org.esp4j.core.pcap.LinkType.ETHERTYPE_IPV6;
import static org.esp4j.core.pcap.LinkType.ETHERTYPE_QINQ;
import static org.esp4j.core.pcap.LinkType.ETHERTYPE_QINQ_LEGACY;
import static org.esp4j.core.pcap.LinkType.ETHERTYPE_VLAN;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LinkTypeTest
{
    private static final int ETHERTYPE_ARP = 0x0806;

    @Test
    void shouldFindIpBehindRawLinkTypesByVersionNibble()
    {
        assertEquals(0, offset(LinkType.RAW, Packets.IPV4));
        assertEquals(0, offset(LinkType.RAW, Packets.IPV6));
        assertEquals(-1, offset(LinkType.RAW, new byte[]{0x55, 0}));
        assertEquals(-1, offset(LinkType.RAW, new byte[0]));
        assertEquals(0, offset(LinkType.IPV4, Packets.IPV4));
        assertEquals(0, offset(LinkType.IPV6, Packets.IPV6));
    }

    @Test
    void shouldFindIpBehindEthernet()
    {
        assertEquals(14, offset(LinkType.ETHERNET, Packets.ethernet(Packets.IPV4, ETHERTYPE_IPV4)));
        assertEquals(14, offset(LinkType.ETHERNET, Packets.ethernet(Packets.IPV6, ETHERTYPE_IPV6)));
        assertEquals(-1, offset(LinkType.ETHERNET, Packets.ethernet(new byte[28], ETHERTYPE_ARP)));
    }

    @Test
    void shouldSkipVlanTags()
    {
        assertEquals(18, offset(LinkType.ETHERNET, Packets.ethernet(Packets.IPV4, ETHERTYPE_VLAN, ETHERTYPE_IPV4)));
        assertEquals(22, offset(LinkType.ETHERNET,
            Packets.ethernet(Packets.IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN, ETHERTYPE_IPV6)));
        assertEquals(22, offset(LinkType.ETHERNET,
            Packets.ethernet(Packets.IPV4, ETHERTYPE_QINQ_LEGACY, ETHERTYPE_VLAN, ETHERTYPE_IPV4)));
        assertEquals(-1, offset(LinkType.ETHERNET, Packets.ethernet(new byte[28], ETHERTYPE_VLAN, ETHERTYPE_ARP)));
    }

    @Test
    void shouldFindIpBehindLinuxCookedHeaders()
    {
        assertEquals(16, offset(LinkType.LINUX_SLL, Packets.linuxCooked(ETHERTYPE_IPV4, Packets.IPV4)));
        assertEquals(16, offset(LinkType.LINUX_SLL, Packets.linuxCooked(ETHERTYPE_IPV6, Packets.IPV6)));
        assertEquals(-1, offset(LinkType.LINUX_SLL, Packets.linuxCooked(ETHERTYPE_ARP, new byte[28])));
        assertEquals(20, offset(LinkType.LINUX_SLL2, Packets.linuxCookedV2(ETHERTYPE_IPV4, Packets.IPV4)));
        assertEquals(20, offset(LinkType.LINUX_SLL2, Packets.linuxCookedV2(ETHERTYPE_IPV6, Packets.IPV6)));
        assertEquals(-1, offset(LinkType.LINUX_SLL2, Packets.linuxCookedV2(ETHERTYPE_ARP, new byte[28])));
    }

    @Test
    void shouldReportNoIpForTruncatedLinkHeadersAndUnknownLinkTypes()
    {
        final byte[] ethernet = Packets.ethernet(Packets.IPV4, ETHERTYPE_VLAN, ETHERTYPE_IPV4);
        assertEquals(-1, offset(LinkType.ETHERNET, Arrays.copyOf(ethernet, 17)));
        assertEquals(-1, offset(LinkType.ETHERNET, Arrays.copyOf(ethernet, 18)));
        assertEquals(18, offset(LinkType.ETHERNET, Arrays.copyOf(ethernet, 19)));
        final byte[] cooked = Packets.linuxCooked(ETHERTYPE_IPV4, Packets.IPV4);
        assertEquals(-1, offset(LinkType.LINUX_SLL, Arrays.copyOf(cooked, 16)));
        assertEquals(-1, offset(LinkType.LINUX_SLL2, new byte[10]));
        assertEquals(-1, offset(147, Packets.IPV4));
    }

    private static int offset(final int linkType, final byte[] frame)
    {
        return LinkType.networkOffset(linkType, frame, frame.length);
    }
}
