package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packet ring's classic BPF program, run on written packets by a small interpreter of the instructions it uses
 * (the kernel's semantics: absolute loads big endian, ancillary loads at SKF_AD_OFF, out-of-packet load returns 0).
 */
class EspRingFilterTest
{
    private static final int HOST = 0;
    private static final int OUTGOING = 4;
    private static final int BROADCAST = 1;
    private static final int IF_VETH = 7;
    private static final int IF_LO = 1;

    private final List<int[]> program = EspRingFilter.program(4000, List.of(IF_LO, IF_VETH),
        List.of(address("192.0.2.2"), address("127.0.0.1"), address("2001:0:0:1::2"), address("::1")));

    @Test
    void shouldTakeUnfragmentedIpv4EspToAHostAddressOnAListedInterface()
    {
        assertTrue(run(program, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, false) > 0);
        assertTrue(run(program, ipv4(50, 0x4000, 100, "127.0.0.1"), 0x0800, HOST, IF_LO, false) > 0, "DF set is fine");
    }

    @Test
    void shouldLeaveIpv4FragmentsToTheKernel()
    {
        assertEquals(0, run(program, ipv4(50, 0x2000, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, false), "MF");
        assertEquals(0, run(program, ipv4(50, 0x0010, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, false), "offset");
    }

    @Test
    void shouldLeaveOtherProtocolsDestinationsAndInterfacesToTheKernel()
    {
        assertEquals(0, run(program, ipv4(17, 0, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, false), "UDP");
        assertEquals(0, run(program, ipv4(50, 0, 100, "192.0.2.9"), 0x0800, HOST, IF_VETH, false), "forwarded");
        assertEquals(0, run(program, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, HOST, 3, false), "bridge port");
        assertEquals(0, run(program, ipv4(50, 0, 100, "192.0.2.2"), 0x0806, HOST, IF_VETH, false), "not IP");
    }

    @Test
    void shouldIgnoreSentBroadcastAndStillTaggedPackets()
    {
        assertEquals(0, run(program, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, OUTGOING, IF_VETH, false));
        assertEquals(0, run(program, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, BROADCAST, IF_VETH, false));
        assertEquals(0, run(program, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, true), "VLAN tag on");
    }

    @Test
    void shouldLeavePacketsLongerThanAFrameToTheKernel()
    {
        assertTrue(run(program, ipv4(50, 0, 4000, "192.0.2.2"), 0x0800, HOST, IF_VETH, false) > 0);
        assertEquals(0, run(program, ipv4(50, 0, 4001, "192.0.2.2"), 0x0800, HOST, IF_VETH, false));
        assertTrue(run(program, ipv6(50, 3960, "2001:0:0:1::2"), 0x86DD, HOST, IF_VETH, false) > 0);
        assertEquals(0, run(program, ipv6(50, 3961, "2001:0:0:1::2"), 0x86DD, HOST, IF_VETH, false));
    }

    @Test
    void shouldTakeIpv6EspOnlyWithoutExtensionHeadersAndToAHostAddress()
    {
        assertTrue(run(program, ipv6(50, 100, "2001:0:0:1::2"), 0x86DD, HOST, IF_VETH, false) > 0);
        assertTrue(run(program, ipv6(50, 100, "::1"), 0x86DD, HOST, IF_LO, false) > 0);
        assertEquals(0, run(program, ipv6(44, 100, "2001:0:0:1::2"), 0x86DD, HOST, IF_VETH, false), "fragment header");
        assertEquals(0, run(program, ipv6(0, 100, "2001:0:0:1::2"), 0x86DD, HOST, IF_VETH, false), "hop-by-hop");
        assertEquals(0, run(program, ipv6(50, 100, "2001:0:0:1::3"), 0x86DD, HOST, IF_VETH, false), "last word");
        assertEquals(0, run(program, ipv6(50, 100, "2001:0:0:2::2"), 0x86DD, HOST, IF_VETH, false), "second word");
    }

    @Test
    void shouldTakeNothingWithoutAddressesOrInterfaces()
    {
        final List<int[]> none = EspRingFilter.program(4000, List.of(), List.of());
        assertEquals(0, run(none, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, false));
        final List<int[]> v4Only = EspRingFilter.program(4000, List.of(IF_VETH), List.of(address("192.0.2.2")));
        assertTrue(run(v4Only, ipv4(50, 0, 100, "192.0.2.2"), 0x0800, HOST, IF_VETH, false) > 0);
        assertEquals(0, run(v4Only, ipv6(50, 100, "2001:0:0:1::2"), 0x86DD, HOST, IF_VETH, false));
    }

    @Test
    void shouldHoldSixteenAddressesPerFamilyWithinTheJumpRange()
    {
        final List<InetAddress> many = new ArrayList<>();
        final List<Integer> interfaces = new ArrayList<>();
        for (int i = 1; i <= EspRingFilter.MAX_ADDRESSES; i++)
        {
            many.add(address("10.0.0." + i));
            many.add(address("2001:db8::" + Integer.toHexString(i)));
            interfaces.add(100 + i);
        }
        final List<int[]> big = EspRingFilter.program(4000, interfaces, many);
        assertTrue(run(big, ipv4(50, 0, 100, "10.0.0.16"), 0x0800, HOST, 116, false) > 0);
        assertTrue(run(big, ipv6(50, 100, "2001:db8::10"), 0x86DD, HOST, 101, false) > 0);
        assertEquals(0, run(big, ipv6(50, 100, "2001:db8::11"), 0x86DD, HOST, 101, false));
        many.add(address("10.0.0.99"));
        assertThrows(IllegalArgumentException.class, () -> EspRingFilter.program(4000, interfaces, many));
    }

    @Test
    void shouldWriteSockFilterStructsInNativeOrder()
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[program.size() * 8]);
        assertEquals(program.size() * 8, EspRingFilter.write(program, out, 0));
        final int[] first = program.get(0);
        assertEquals(first[0], out.getShort(0, ByteOrder.nativeOrder()));
        assertEquals(first[3], out.getInt(4, ByteOrder.nativeOrder()));
        final int[] second = program.get(1);
        assertEquals(second[2], out.getByte(8 + 3) & 0xFF);
    }

    // ------------------------------------------------------------------ packets and the interpreter

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final Exception ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    private static byte[] ipv4(final int protocol, final int flagsFragment, final int totalLength, final String dst)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[totalLength]);
        Ipv4Header.write(b, 0, 0, totalLength, protocol, 64);
        b.putShort(Ipv4Header.FLAGS_FRAGMENT_OFFSET, (short)flagsFragment, ByteOrder.BIG_ENDIAN);
        b.putBytes(Ipv4Header.SOURCE_OFFSET, address("192.0.2.1").getAddress());
        b.putBytes(Ipv4Header.DESTINATION_OFFSET, address(dst).getAddress());
        Ipv4Header.updateChecksum(b, 0);
        return b.byteArray();
    }

    private static byte[] ipv6(final int nextHeader, final int payloadLength, final String dst)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[40 + payloadLength]);
        Ipv6Header.write(b, 0, 0, payloadLength, nextHeader, 64);
        b.putBytes(Ipv6Header.SOURCE_OFFSET, address("2001::1:d1ae:bb37:d9c9:81d0").getAddress());
        b.putBytes(Ipv6Header.DESTINATION_OFFSET, address(dst).getAddress());
        return b.byteArray();
    }

    /** Classic BPF as the kernel runs it on a SOCK_DGRAM packet socket (data from the network header). */
    private static int run(
        final List<int[]> code, final byte[] packet, final int protocol, final int pktType, final int ifindex,
        final boolean vlanTag)
    {
        int a = 0;
        for (int pc = 0; pc < code.size(); pc++)
        {
            final int[] insn = code.get(pc);
            final int k = insn[3];
            switch (insn[0])
            {
                case 0x20: // ld word
                    if (k < 0)
                    {
                        final int ancillary = k + 0x1000;
                        a = switch (ancillary)
                        {
                            case 0 -> protocol;
                            case 4 -> pktType;
                            case 8 -> ifindex;
                            case 48 -> vlanTag ? 1 : 0;
                            default -> throw new AssertionError("ancillary " + ancillary);
                        };
                    }
                    else
                    {
                        if (k + 4 > packet.length)
                        {
                            return 0;
                        }
                        a = (packet[k] & 0xFF) << 24 | (packet[k + 1] & 0xFF) << 16 | (packet[k + 2] & 0xFF) << 8 |
                            packet[k + 3] & 0xFF;
                    }
                    break;
                case 0x28: // ld half
                    if (k + 2 > packet.length)
                    {
                        return 0;
                    }
                    a = (packet[k] & 0xFF) << 8 | packet[k + 1] & 0xFF;
                    break;
                case 0x30: // ld byte
                    if (k + 1 > packet.length)
                    {
                        return 0;
                    }
                    a = packet[k] & 0xFF;
                    break;
                case 0x15: // jeq
                    pc += a == k ? insn[1] : insn[2];
                    break;
                case 0x25: // jgt (unsigned)
                    pc += Integer.compareUnsigned(a, k) > 0 ? insn[1] : insn[2];
                    break;
                case 0x45: // jset
                    pc += (a & k) != 0 ? insn[1] : insn[2];
                    break;
                case 0x06: // ret
                    return k;
                default:
                    throw new AssertionError("opcode " + insn[0]);
            }
        }
        throw new AssertionError("fell off the end");
    }
}
