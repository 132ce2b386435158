package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FragmentGuardTest
{
    private static final InetAddress UE = address("192.0.2.1");
    private static final InetAddress PCSCF = address("192.0.2.2");
    private static final InetAddress UE6 = address("2001::1:d1ae:bb37:d9c9:81d0");
    private static final InetAddress PCSCF6 = address("2001:0:0:1::2");

    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final UnsafeBuffer packet = new UnsafeBuffer(new byte[256]);

    FragmentGuardTest()
    {
        protect(UE, PCSCF, 38003, 50718);
        protect(UE6, PCSCF6, 38003, 50718);
    }

    @Test
    void wholePacketsAreNotFragments()
    {
        final FragmentGuard guard = new FragmentGuard(spd);
        ipv4(0, 7, false, 38003, 50718);
        assertFalse(guard.isFragment(packet, 0, 100));
        ipv6(0, 7, false, 38003, 50718, false);
        assertFalse(guard.isFragment(packet, 0, 100));
        ipv6(0, 7, false, 38003, 50718, true); // atomic fragment (RFC 6946)
        assertFalse(guard.isFragment(packet, 0, 100));
    }

    @Test
    void fragmentsOfProtectedDatagramsAreDroppedAndOfBypassDatagramsPass()
    {
        final FragmentGuard guard = new FragmentGuard(spd);
        // protected datagram: the first fragment decides, the next ones follow it
        ipv4(0, 11, true, 38003, 50718);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertFalse(guard.allow(packet, 0, 100));
        ipv4(185, 11, false, 0x7070, 0x7070);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertFalse(guard.allow(packet, 0, 100));

        // same addresses, SIP: passes
        ipv4(0, 12, true, 5062, 5060);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertTrue(guard.allow(packet, 0, 100));
        ipv4(185, 12, false, 0x7373, 0x7373);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertTrue(guard.allow(packet, 0, 100));

        // a later fragment of a datagram never seen: dropped, a protect policy covers the addresses
        ipv4(185, 99, false, 0x7373, 0x7373);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertFalse(guard.allow(packet, 0, 100));

        // IPv6
        ipv6(0, 5, true, 38003, 50718, true);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertFalse(guard.allow(packet, 0, 100));
        ipv6(0, 6, true, 5062, 5060, true);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertTrue(guard.allow(packet, 0, 100));
        ipv6(181, 6, false, 1, 2, true);
        assertTrue(guard.isFragment(packet, 0, 100));
        assertTrue(guard.allow(packet, 0, 100));
    }

    @Test
    void fragmentsBetweenUnprotectedAddressesPass()
    {
        final FragmentGuard guard = new FragmentGuard(spd);
        ipv4(185, 13, false, 0, 0);
        packet.putBytes(Ipv4Header.DESTINATION_OFFSET, address("198.51.100.9").getAddress());
        assertTrue(guard.isFragment(packet, 0, 100));
        assertTrue(guard.allow(packet, 0, 100));
    }

    private void protect(final InetAddress src, final InetAddress dst, final int sport, final int dport)
    {
        final TrafficSelector selector = TrafficSelector.builder().source(src).destination(dst)
            .protocol(IpProtocol.UDP).sourcePort(sport).destinationPort(dport).build();
        spd.add(new PolicyConfig(selector, PolicyDirection.OUT, PolicyAction.PROTECT, 1000, 0,
            List.of(new TemplateConfig(src, dst, 2821032177L, 1, false))));
    }

    private void ipv4(final int offset8, final int id, final boolean more, final int sport, final int dport)
    {
        packet.setMemory(0, packet.capacity(), (byte)0);
        Ipv4Header.write(packet, 0, 0, 100, 17, 64);
        packet.putShort(Ipv4Header.IDENTIFICATION_OFFSET, (short)id, ByteOrder.BIG_ENDIAN);
        packet.putShort(Ipv4Header.FLAGS_FRAGMENT_OFFSET,
            (short)((more ? Ipv4Header.MORE_FRAGMENTS : 0) | offset8), ByteOrder.BIG_ENDIAN);
        packet.putBytes(Ipv4Header.SOURCE_OFFSET, UE.getAddress());
        packet.putBytes(Ipv4Header.DESTINATION_OFFSET, PCSCF.getAddress());
        packet.putShort(20, (short)sport, ByteOrder.BIG_ENDIAN);
        packet.putShort(22, (short)dport, ByteOrder.BIG_ENDIAN);
    }

    private void ipv6(final int offset8, final int id, final boolean more, final int sport, final int dport,
        final boolean fragmentHeader)
    {
        packet.setMemory(0, packet.capacity(), (byte)0);
        Ipv6Header.write(packet, 0, 0, 60, fragmentHeader ? 44 : 17, 64);
        packet.putBytes(Ipv6Header.SOURCE_OFFSET, UE6.getAddress());
        packet.putBytes(Ipv6Header.DESTINATION_OFFSET, PCSCF6.getAddress());
        int upper = 40;
        if (fragmentHeader)
        {
            packet.putByte(40, (byte)17);
            packet.putShort(42, (short)((offset8 << 3) | (more ? 1 : 0)), ByteOrder.BIG_ENDIAN);
            packet.putInt(44, id, ByteOrder.BIG_ENDIAN);
            upper = 48;
        }
        packet.putShort(upper, (short)sport, ByteOrder.BIG_ENDIAN);
        packet.putShort(upper + 2, (short)dport, ByteOrder.BIG_ENDIAN);
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
