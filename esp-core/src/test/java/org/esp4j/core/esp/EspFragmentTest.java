package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fragments (RFC 4301 §7): a non-initial IPv6 fragment carries no ports, so it must never be matched against a
 * port selector and leave in plaintext; the processor refuses it and counts it. Atomic fragments are whole packets.
 */
class EspFragmentTest
{
    private static final InetAddress UE = EspTestSupport.address("2001::1:d1ae:bb37:d9c9:81d0");
    private static final InetAddress PCSCF = EspTestSupport.address("2001:0:0:1::2");

    @Test
    void shouldDropNonInitialIpv6FragmentOfAProtectedFlowInsteadOfPassingIt()
    {
        final EspTestSupport support = protectedFlow();
        final UnsafeBuffer buffer = fragment(0x0100 | 1); // offset 32 (x8 bytes), more fragments
        final int verdict = support.processor.outbound(buffer, EspTestSupport.HEADROOM, 40 + 8 + 16);
        assertEquals(EspVerdict.DROP, verdict);
        assertEquals(XfrmCounter.XfrmOutError, support.processor.dropReason());
        assertEquals(0, support.counters.get(XfrmCounter.Esp4jOutBypass));
    }

    @Test
    void shouldProtectAtomicFragmentAsAWholePacket()
    {
        final EspTestSupport support = protectedFlow();
        final UnsafeBuffer buffer = fragment(0);
        assertEquals(EspVerdict.DELIVER, support.processor.outbound(buffer, EspTestSupport.HEADROOM, 40 + 8 + 16));
    }

    private static EspTestSupport protectedFlow()
    {
        final EspTestSupport support = new EspTestSupport();
        support.sad.add(SaConfig.builder().source(UE).destination(PCSCF).spi(2821032177L)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, new byte[20]).build());
        final TrafficSelector selector = TrafficSelector.builder().source(UE).destination(PCSCF)
            .protocol(IpProtocol.UDP).sourcePort(38003).destinationPort(50718).build();
        support.spd.add(new PolicyConfig(selector, PolicyDirection.OUT, PolicyAction.PROTECT, 0, 0,
            List.of(new TemplateConfig(UE, PCSCF, 2821032177L, 0, false))));
        return support;
    }

    /** IPv6 + fragment header + 16 bytes that begin like UDP 38003 -> 50718. */
    private static UnsafeBuffer fragment(final int offsetAndFlags)
    {
        final byte[] packet = new byte[40 + 8 + 16];
        final UnsafeBuffer p = new UnsafeBuffer(packet);
        p.putInt(0, 0x6000_0000, BIG_ENDIAN);
        p.putShort(4, (short)(8 + 16), BIG_ENDIAN);
        p.putByte(6, (byte)44);
        p.putByte(7, (byte)64);
        p.putBytes(8, UE.getAddress());
        p.putBytes(24, PCSCF.getAddress());
        p.putByte(40, (byte)17);
        p.putShort(42, (short)offsetAndFlags, BIG_ENDIAN);
        p.putInt(44, 0x1234_5678, BIG_ENDIAN);
        p.putShort(48, (short)38003, BIG_ENDIAN);
        p.putShort(50, (short)50718, BIG_ENDIAN);
        p.putShort(52, (short)16, BIG_ENDIAN);
        return EspTestSupport.packetBuffer(packet);
    }
}
