package org.esp4j.tun.carrier;

import org.agrona.MutableDirectBuffer;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The classic BPF program ({@code SO_ATTACH_FILTER}, Linux {@code Documentation/networking/filter.rst}) that lets a
 * packet socket take exactly the ESP packets the early-drop nftables rule (see
 * {@link org.esp4j.tun.routing.EspEarlyDrop}) drops, and nothing else. Both test the same header fields, so a packet is
 * either read from the ring and dropped by the kernel, or left to the kernel and the raw socket:
 * <pre>
 *   received for this host (pkttype PACKET_HOST; not sent by it, not broadcast or multicast),
 *   on one of the given interfaces (those with addresses: not a bridge port, and not the parent of a VLAN device
 *   while the tag is still on, so no packet is taken twice), and
 *   IPv4: protocol 50, not a fragment (MF clear, offset 0), total length &lt;= maxLength, destination in the set
 *   IPv6: next header 50 (no extension headers), 40 + payload length &lt;= maxLength, destination in the set
 * </pre>
 * Offsets are from the network header: on a {@code SOCK_DGRAM} packet socket the kernel runs the filter there.
 * <pre>
 *   IPv4 (RFC 791 §3.1)                         IPv6 (RFC 8200 §3)
 *    0: version/IHL, TOS, total length [2]       0: version, class, flow label
 *    4: id, flags/fragment offset [6]            4: payload length [4], next header [6], hop limit
 *    8: TTL, protocol [9], checksum              8: source (16 bytes)
 *   12: source                                  24: destination [24, 28, 32, 36]
 *   16: destination [16]
 * </pre>
 * Fragments go to the raw socket, whose kernel path reassembles them; so do packets longer than the ring's frames.
 */
public final class EspRingFilter
{
    /** Addresses per family the program can hold (its conditional jumps reach 255 instructions). */
    public static final int MAX_ADDRESSES = 16;
    /** Bytes per instruction: {@code struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }}. */
    public static final int INSTRUCTION_LENGTH = 8;

    private static final int BPF_LD_W_ABS = 0x20;
    private static final int BPF_LD_H_ABS = 0x28;
    private static final int BPF_LD_B_ABS = 0x30;
    /** The class bits of every jump opcode. */
    private static final int BPF_JMP = 0x05;
    private static final int BPF_JMP_JEQ_K = 0x15;
    private static final int BPF_JMP_JGT_K = 0x25;
    private static final int BPF_JMP_JSET_K = 0x45;
    private static final int BPF_RET_K = 0x06;
    /** {@code SKF_AD_OFF}: loads from here on read skb fields, not packet bytes. */
    private static final int SKF_AD_OFF = -0x1000;
    private static final int SKF_AD_PROTOCOL = 0;
    private static final int SKF_AD_PKTTYPE = 4;
    private static final int SKF_AD_IFINDEX = 8;
    private static final int SKF_AD_VLAN_TAG_PRESENT = 48;
    private static final int PACKET_HOST = 0;
    private static final int ACCEPT_BYTES = 0x40000;

    private static final int DROP = -1;
    private static final int ACCEPT = -2;

    private final List<int[]> code = new ArrayList<>(); // {opcode, jt label or offset, jf label or offset, k}
    private final List<Integer> labels = new ArrayList<>();

    private EspRingFilter()
    {
    }

    /**
     * @param maxLength  largest IP packet to take (what fits a ring frame).
     * @param interfaces indexes of the interfaces to take packets from, at most {@link #MAX_ADDRESSES}.
     * @param addresses  destinations to take (the host's own); IPv4 and IPv6 mixed, at most {@link #MAX_ADDRESSES}
     *                   per family.
     * @return the program, one {@code int[4]} per instruction: opcode, jt, jf, k.
     */
    public static List<int[]> program(
        final int maxLength, final Collection<Integer> interfaces, final Collection<InetAddress> addresses)
    {
        final List<Inet4Address> v4 = new ArrayList<>();
        final List<Inet6Address> v6 = new ArrayList<>();
        for (final InetAddress address : addresses)
        {
            if (address instanceof Inet4Address)
            {
                v4.add((Inet4Address)address);
            }
            else
            {
                v6.add((Inet6Address)address);
            }
        }
        if (v4.size() > MAX_ADDRESSES || v6.size() > MAX_ADDRESSES || interfaces.size() > MAX_ADDRESSES)
        {
            throw new IllegalArgumentException("at most " + MAX_ADDRESSES + " interfaces and addresses per family: " +
                interfaces + " " + addresses);
        }
        if (maxLength < 60 || maxLength > 65535)
        {
            throw new IllegalArgumentException("maxLength out of range: " + maxLength);
        }
        final EspRingFilter f = new EspRingFilter();
        final int v4Label = f.newLabel();
        final int v6Label = f.newLabel();
        final int protocolLabel = f.newLabel();
        if (interfaces.isEmpty() || v4.isEmpty() && v6.isEmpty())
        {
            f.op(BPF_RET_K, 0, 0, 0);
            return f.resolve(0, 0);
        }
        f.op(BPF_LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PKTTYPE);
        f.op(BPF_JMP_JEQ_K, 0, DROP, PACKET_HOST);
        f.op(BPF_LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT);
        f.op(BPF_JMP_JEQ_K, 0, DROP, 0);
        f.op(BPF_LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_IFINDEX);
        int remaining = interfaces.size();
        for (final int ifindex : interfaces)
        {
            f.op(BPF_JMP_JEQ_K, protocolLabel, --remaining == 0 ? DROP : 0, ifindex);
        }
        f.bind(protocolLabel);
        f.op(BPF_LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PROTOCOL);
        f.op(BPF_JMP_JEQ_K, v4Label, 0, 0x0800);
        f.op(BPF_JMP_JEQ_K, v6Label, DROP, 0x86DD);

        f.bind(v4Label);
        if (v4.isEmpty())
        {
            f.op(BPF_RET_K, 0, 0, 0);
        }
        else
        {
            f.op(BPF_LD_B_ABS, 0, 0, 9);
            f.op(BPF_JMP_JEQ_K, 0, DROP, 50);
            f.op(BPF_LD_H_ABS, 0, 0, 6);
            f.op(BPF_JMP_JSET_K, DROP, 0, 0x3fff);
            f.op(BPF_LD_H_ABS, 0, 0, 2);
            f.op(BPF_JMP_JGT_K, DROP, 0, maxLength);
            f.op(BPF_LD_W_ABS, 0, 0, 16);
            for (int i = 0; i < v4.size(); i++)
            {
                f.op(BPF_JMP_JEQ_K, ACCEPT, i == v4.size() - 1 ? DROP : 0, word(v4.get(i).getAddress(), 0));
            }
        }

        f.bind(v6Label);
        if (v6.isEmpty())
        {
            f.op(BPF_RET_K, 0, 0, 0);
        }
        else
        {
            f.op(BPF_LD_B_ABS, 0, 0, 6);
            f.op(BPF_JMP_JEQ_K, 0, DROP, 50);
            f.op(BPF_LD_H_ABS, 0, 0, 4);
            f.op(BPF_JMP_JGT_K, DROP, 0, maxLength - 40);
            for (final Inet6Address address : v6)
            {
                final byte[] bytes = address.getAddress();
                final int next = f.newLabel();
                for (int w = 0; w < 4; w++)
                {
                    f.op(BPF_LD_W_ABS, 0, 0, 24 + 4 * w);
                    f.op(BPF_JMP_JEQ_K, w == 3 ? ACCEPT : 0, next, word(bytes, 4 * w));
                }
                f.bind(next);
            }
            f.op(BPF_RET_K, 0, 0, 0);
        }
        final int acceptAt = f.code.size();
        f.op(BPF_RET_K, 0, 0, ACCEPT_BYTES);
        final int dropAt = f.code.size();
        f.op(BPF_RET_K, 0, 0, 0);
        return f.resolve(acceptAt, dropAt);
    }

    /**
     * Write a program as {@code struct sock_filter[]} in native order.
     *
     * @return bytes written.
     */
    public static int write(final List<int[]> program, final MutableDirectBuffer buffer, final int offset)
    {
        final ByteOrder order = ByteOrder.nativeOrder();
        int at = offset;
        for (final int[] insn : program)
        {
            buffer.putShort(at, (short)insn[0], order);
            buffer.putByte(at + 2, (byte)insn[1]);
            buffer.putByte(at + 3, (byte)insn[2]);
            buffer.putInt(at + 4, insn[3], order);
            at += INSTRUCTION_LENGTH;
        }
        return at - offset;
    }

    private static int word(final byte[] bytes, final int offset)
    {
        return (bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16 | (bytes[offset + 2] & 0xff) << 8 |
            bytes[offset + 3] & 0xff;
    }

    private int newLabel()
    {
        labels.add(-1);
        return labels.size(); // labels are 1.. so that 0 stays "next instruction"
    }

    private void bind(final int label)
    {
        labels.set(label - 1, code.size());
    }

    private void op(final int opcode, final int jt, final int jf, final int k)
    {
        code.add(new int[] { opcode, jt, jf, k });
    }

    private List<int[]> resolve(final int acceptAt, final int dropAt)
    {
        final List<int[]> out = new ArrayList<>(code.size());
        for (int pc = 0; pc < code.size(); pc++)
        {
            final int[] insn = code.get(pc);
            if ((insn[0] & 0x07) != BPF_JMP)
            {
                out.add(insn.clone());
                continue;
            }
            out.add(new int[] { insn[0], offset(pc, insn[1], acceptAt, dropAt), offset(pc, insn[2], acceptAt, dropAt),
                insn[3] });
        }
        return out;
    }

    private int offset(final int pc, final int target, final int acceptAt, final int dropAt)
    {
        if (target == 0)
        {
            return 0;
        }
        final int to = target == DROP ? dropAt : target == ACCEPT ? acceptAt : labels.get(target - 1);
        final int jump = to - pc - 1;
        if (jump < 0 || jump > 255)
        {
            throw new IllegalStateException("jump out of reach: " + jump);
        }
        return jump;
    }
}
