package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.testutil.ByteArrayBuilder;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.List;

import static org.esp4j.core.esp.EspHarness.config;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 11: the UE kernel answers a decrypted packet for a closed port with an ICMP(v6) error quoting it. Such an
 * error about a protected flow never leaves in clear: it goes through the reverse flow's SA when that SA has
 * {@code flag icmp}, and is dropped as {@code Esp4jOutIcmpErrorBlock} otherwise. Errors about unprotected flows, and
 * ICMP messages that are not errors, pass as before.
 */
class EspIcmpErrorTest
{
    // this host (UE) and the peer (P-CSCF); the protected flow is P:5060 -> UE:5062 inbound, UE:5062 -> P:5060 outbound
    private static final String UE6 = "2001:db8::1";
    private static final String PEER6 = "2001:db8::2";
    private static final String UE4 = "192.0.2.1";
    private static final String PEER4 = "192.0.2.2";
    private static final int PEER_PORT = 5060;
    private static final int UE_PORT = 5062;
    private static final long SPI_OUT = 0x0000_3001L;
    private static final long SPI_IN = 0x0000_3002L;
    private static final int ICMPV6 = 58;
    private static final int ICMP = 1;

    private final EspHarness ue = new EspHarness();
    private final EspHarness peer = new EspHarness();

    @Test
    void shouldDropAnIcmpv6ErrorQuotingAProtectedFlowWhenTheSaLacksFlagIcmp()
    {
        protectedFlow(UE6, PEER6, false);
        final var before = ue.snapshot();
        final EspHarness.Outcome out = ue.outbound(portUnreachable6(PEER_PORT, UE_PORT));
        assertEquals(EspVerdict.DROP, out.verdict());
        assertEquals(XfrmCounter.Esp4jOutIcmpErrorBlock, out.reason());
        ue.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutIcmpErrorBlock);
    }

    @Test
    void shouldDropAnIcmpv4ErrorQuotingAProtectedFlowWhenTheSaLacksFlagIcmp()
    {
        protectedFlow(UE4, PEER4, false);
        final var before = ue.snapshot();
        final EspHarness.Outcome out = ue.outbound(portUnreachable4(PEER_PORT, UE_PORT));
        assertEquals(EspVerdict.DROP, out.verdict());
        assertEquals(XfrmCounter.Esp4jOutIcmpErrorBlock, out.reason());
        ue.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutIcmpErrorBlock);
    }

    @Test
    void shouldProtectAnIcmpv6ErrorWithTheReverseFlowsSaWhenItHasFlagIcmp()
    {
        protectedFlow(UE6, PEER6, true);
        final byte[] error = portUnreachable6(PEER_PORT, UE_PORT);
        final EspHarness.Outcome out = ue.outbound(error);
        assertEquals(EspVerdict.DELIVER, out.verdict(), () -> "dropped: " + out.reason());
        assertEquals(50, out.bytes()[6] & 0xFF, "ESP");
        assertEquals(SPI_OUT, EspHarness.u32(out.bytes(), 40));

        // the peer's SA, with flag icmp, delivers it although its selector names UDP 5062 -> 5060
        final EspHarness.Outcome in = peer.inbound(out.bytes());
        assertEquals(EspVerdict.DELIVER, in.verdict(), () -> "peer dropped: " + in.reason());
        assertEquals(Hex.encode(error), Hex.encode(in.bytes()));
    }

    @Test
    void shouldProtectAnIcmpv4ErrorWithTheReverseFlowsSaWhenItHasFlagIcmp()
    {
        protectedFlow(UE4, PEER4, true);
        final byte[] error = portUnreachable4(PEER_PORT, UE_PORT);
        final EspHarness.Outcome out = ue.outbound(error);
        assertEquals(EspVerdict.DELIVER, out.verdict(), () -> "dropped: " + out.reason());
        assertEquals(50, out.bytes()[9] & 0xFF, "ESP");
        final EspHarness.Outcome in = peer.inbound(out.bytes());
        assertEquals(EspVerdict.DELIVER, in.verdict(), () -> "peer dropped: " + in.reason());
        assertEquals(Hex.encode(error), Hex.encode(in.bytes()));
    }

    @Test
    void shouldRefuseAnIcmpErrorOnAnSaWithoutFlagIcmpAtTheReceiver()
    {
        protectedFlow(UE6, PEER6, true);
        final EspHarness.Outcome out = ue.outbound(portUnreachable6(PEER_PORT, UE_PORT));
        peer.sad.flush();
        peer.sad.add(sa(UE6, PEER6, SPI_OUT, false));
        final EspHarness.Outcome in = peer.inbound(out.bytes());
        assertEquals(EspVerdict.DROP, in.verdict());
        assertEquals(XfrmCounter.XfrmInStateMismatch, in.reason(), "outside the SA's selector");
    }

    @Test
    void shouldPassAnIcmpErrorAboutAFlowThatNoPolicyProtects()
    {
        protectedFlow(UE6, PEER6, false);
        final var before6 = ue.snapshot();
        assertEquals(EspVerdict.PASS, ue.outbound(portUnreachable6(PEER_PORT, 9999)).verdict());
        ue.assertOnlyMovedByOne(before6, XfrmCounter.Esp4jOutBypass);

        protectedFlow(UE4, PEER4, false);
        final var before4 = ue.snapshot();
        assertEquals(EspVerdict.PASS, ue.outbound(portUnreachable4(7777, UE_PORT)).verdict());
        ue.assertOnlyMovedByOne(before4, XfrmCounter.Esp4jOutBypass);
    }

    @Test
    void shouldPassIcmpMessagesThatAreNotErrors()
    {
        protectedFlow(UE6, PEER6, false);
        // an echo reply (129) whose data happens to look like a quoted packet of the protected flow
        final byte[] quoted = ipv6(PEER6, UE6, 17, udp(PEER_PORT, UE_PORT, payload(16, 1)));
        final byte[] echoReply = ipv6(UE6, PEER6, ICMPV6, icmp(129, 0, quoted));
        final var before = ue.snapshot();
        assertEquals(EspVerdict.PASS, ue.outbound(echoReply).verdict());
        ue.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutBypass);
    }

    /** An ICMPv6 destination unreachable, port unreachable (type 1, code 4), quoting a UDP packet PEER -> UE. */
    private static byte[] portUnreachable6(final int quotedSourcePort, final int quotedDestinationPort)
    {
        final byte[] quoted = ipv6(PEER6, UE6, 17, udp(quotedSourcePort, quotedDestinationPort, payload(32, 7)));
        return ipv6(UE6, PEER6, ICMPV6, icmp(1, 4, quoted));
    }

    /** An ICMP destination unreachable, port unreachable (type 3, code 3), quoting IP header + 8 bytes of UDP. */
    private static byte[] portUnreachable4(final int quotedSourcePort, final int quotedDestinationPort)
    {
        final byte[] whole = ipv4(PEER4, UE4, 17, new byte[0], udp(quotedSourcePort, quotedDestinationPort,
            payload(32, 7)));
        final byte[] quoted = java.util.Arrays.copyOf(whole, 20 + 8); // RFC 792: header and 64 bits of data
        return ipv4(UE4, PEER4, ICMP, new byte[0], icmp(3, 3, quoted));
    }

    /** Type, code, checksum (not checked on this path), 4 unused bytes, then the quoted packet. */
    private static byte[] icmp(final int type, final int code, final byte[] quoted)
    {
        return new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u8(type).u8(code).u16(0xBEEF).u32(0).bytes(quoted).toByteArray();
    }

    /** Both hosts: UE requires ESP inbound for PEER:5060 -> UE:5062 and protects UE:5062 -> PEER:5060 outbound. */
    private void protectedFlow(final String ueAddress, final String peerAddress, final boolean icmpFlag)
    {
        ue.sad.add(sa(ueAddress, peerAddress, SPI_OUT, icmpFlag));
        ue.sad.add(sa(peerAddress, ueAddress, SPI_IN, icmpFlag));
        ue.spd.add(new PolicyConfig(flow(ueAddress, UE_PORT, peerAddress, PEER_PORT), PolicyDirection.OUT,
            PolicyAction.PROTECT, 0, 0, List.of(template(ueAddress, peerAddress, SPI_OUT))));
        ue.spd.add(new PolicyConfig(flow(peerAddress, PEER_PORT, ueAddress, UE_PORT), PolicyDirection.IN,
            PolicyAction.PROTECT, 0, 0, List.of(template(peerAddress, ueAddress, SPI_IN))));
        peer.sad.add(sa(ueAddress, peerAddress, SPI_OUT, icmpFlag));
    }

    private static SaConfig sa(final String src, final String dst, final long spi, final boolean icmpFlag)
    {
        final boolean fromUe = src.equals(UE6) || src.equals(UE4);
        return config(src, dst, spi, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC)
            .selector(flow(src, fromUe ? UE_PORT : PEER_PORT, dst, fromUe ? PEER_PORT : UE_PORT))
            .icmp(icmpFlag)
            .build();
    }

    private static TrafficSelector flow(final String src, final int sport, final String dst, final int dport)
    {
        return TrafficSelector.builder().source(EspTestSupport.address(src)).destination(EspTestSupport.address(dst))
            .protocol(17).sourcePort(sport).destinationPort(dport).build();
    }

    private static TemplateConfig template(final String src, final String dst, final long spi)
    {
        return new TemplateConfig(EspTestSupport.address(src), EspTestSupport.address(dst), spi, 0, false);
    }
}
