package org.esp4j.tun.routing;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads one nftables named counter ({@code counter NAME { }} in a table) straight from the kernel with one netlink
 * request, {@code NFT_MSG_GETOBJ} without {@code NLM_F_DUMP} (net/netfilter/nf_tables_api.c,
 * {@code nf_tables_getobj}), so the cost does not depend on what else the table holds. {@code nft list counter}
 * would do the same job, but nft 1.0 first fetches the whole ruleset into its cache, set elements included: about a
 * second per call with 40,000 elements in the table (control plane only).
 * <p>
 * The request, in one datagram to the kernel on a {@code NETLINK_NETFILTER} socket (header fields in host order,
 * nftables attribute values big-endian):
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         nlmsg_len                             |  struct nlmsghdr
 *  |   nlmsg_type (NFNL_SUBSYS_NFTABLES &lt;&lt; 8 | NFT_MSG_GETOBJ)  |  nlmsg_flags (REQUEST | ACK)  |
 *  |                         nlmsg_seq                             |
 *  |                         nlmsg_pid (0)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | nfgen_family  |   version 0   |        res_id (0, BE)         |  struct nfgenmsg
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | nla_len       | NFTA_OBJ_TABLE | "table\0" padded to 4        |  struct nlattr + value
 *  | nla_len       | NFTA_OBJ_NAME  | "name\0" padded to 4         |
 *  | nla_len = 8   | NFTA_OBJ_TYPE  | NFT_OBJECT_COUNTER (BE u32)  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The kernel answers with an {@code NFT_MSG_NEWOBJ} message whose {@code NFTA_OBJ_DATA} nest holds
 * {@code NFTA_COUNTER_PACKETS} and {@code NFTA_COUNTER_BYTES} (BE u64), then an {@code NetlinkHeader.NLMSG_ERROR} acknowledgement
 * (error 0), or only the {@code NetlinkHeader.NLMSG_ERROR} with {@code -ENOENT} when the table or counter does not exist. Needs
 * CAP_NET_ADMIN, like {@code nft}. Not thread-safe: its owner calls it (the filter's lock).
 */
public final class NftNamedCounter
{
    /** Value of {@link #packets} when the table or the counter does not exist. */
    public static final long MISSING = -1;

    static final int NETLINK_NETFILTER = 12;
    static final int SO_RCVTIMEO = 20;
    static final int NFPROTO_INET = 1;


    static final int NFGEN_HEADER_LENGTH = 4;
    static final int NFGEN_FAMILY_OFFSET = NetlinkHeader.HEADER_LENGTH;
    static final int ATTRIBUTES_OFFSET = NetlinkHeader.HEADER_LENGTH + NFGEN_HEADER_LENGTH;
    static final int NLA_HEADER_LENGTH = 4;
    static final int NLA_TYPE_MASK = 0x3FFF; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER

    static final int NFNL_SUBSYS_NFTABLES = 10;
    static final int NFT_MSG_NEWOBJ = 18;
    static final int NFT_MSG_GETOBJ = 19;
    static final int NFTA_OBJ_TABLE = 1;
    static final int NFTA_OBJ_NAME = 2;
    static final int NFTA_OBJ_TYPE = 3;
    static final int NFTA_OBJ_DATA = 4;
    static final int NFT_OBJECT_COUNTER = 1;
    static final int NFTA_COUNTER_BYTES = 1;
    static final int NFTA_COUNTER_PACKETS = 2;

    private static final int CAPACITY = 8192;
    private static final int SOCKADDR_NL_LENGTH = 12;
    private static final int TIMEVAL_LENGTH = 16;
    private static final long TIMEOUT_SECONDS = 2;

    private final NativeArea request = new NativeArea(CAPACITY);
    private final NativeArea reply = new NativeArea(CAPACITY);
    private final NativeArea scratch = new NativeArea(SOCKADDR_NL_LENGTH + TIMEVAL_LENGTH);
    private int sequence;

    /**
     * @param table an {@code inet} table.
     * @param name  a counter object in it.
     * @return the packets it counted, or {@link #MISSING}.
     * @throws IOException when netlink fails (no permission, no nf_tables) or the answer is not understood.
     */
    public long packets(final String table, final String name) throws IOException
    {
        final int length = encodeRequest(request.buffer(), ++sequence, table, name);
        final int fd = LibC.socket(NetlinkHeader.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (fd < 0)
        {
            throw new IOException("netlink socket: " + LibC.describe(LibC.errno()));
        }
        try
        {
            final UnsafeBuffer bytes = scratch.buffer();
            bytes.setMemory(0, bytes.capacity(), (byte)0);
            bytes.putLong(SOCKADDR_NL_LENGTH, TIMEOUT_SECONDS, ByteOrder.nativeOrder()); // struct timeval tv_sec
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_RCVTIMEO, scratch.address(SOCKADDR_NL_LENGTH),
                TIMEVAL_LENGTH) != 0)
            {
                throw new IOException("netlink SO_RCVTIMEO: " + LibC.describe(LibC.errno()));
            }
            bytes.putShort(0, (short)NetlinkHeader.AF_NETLINK, ByteOrder.nativeOrder()); // struct sockaddr_nl, the kernel: pid 0
            if (LibC.sendto(fd, request.address(0), length, 0, scratch.address(0), SOCKADDR_NL_LENGTH) != length)
            {
                throw new IOException("netlink send: " + LibC.describe(LibC.errno()));
            }
            long packets = MISSING;
            while (true)
            {
                final long received = LibC.recvfrom(fd, reply.address(0), CAPACITY, 0, 0, 0);
                if (received < 0)
                {
                    throw new IOException("netlink receive: " + LibC.describe(LibC.errno()));
                }
                final Answer answer = decodeReply(reply.buffer(), (int)received, sequence);
                if (answer.packets != MISSING)
                {
                    packets = answer.packets;
                }
                if (answer.done)
                {
                    if (answer.errno != 0 && answer.errno != 2) // ENOENT: no such table or counter
                    {
                        throw new IOException("netlink NFT_MSG_GETOBJ " + table + " " + name + ": " +
                            LibC.describe(answer.errno));
                    }
                    return answer.errno == 0 ? packets : MISSING;
                }
            }
        }
        finally
        {
            LibC.close(fd);
        }
    }

    /** What one datagram of the reply said. */
    record Answer(long packets, boolean done, int errno)
    {
    }

    /** @return the request's length. */
    static int encodeRequest(final UnsafeBuffer buffer, final int sequence, final String table, final String name)
    {
        final ByteOrder host = ByteOrder.nativeOrder();
        NetlinkHeader.writeRequest(buffer, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ, 0, sequence);
        buffer.putByte(NFGEN_FAMILY_OFFSET, (byte)NFPROTO_INET);
        buffer.putByte(NFGEN_FAMILY_OFFSET + 1, (byte)0);
        buffer.putShort(NFGEN_FAMILY_OFFSET + 2, (short)0, ByteOrder.BIG_ENDIAN);
        int offset = ATTRIBUTES_OFFSET;
        offset = putString(buffer, offset, NFTA_OBJ_TABLE, table);
        offset = putString(buffer, offset, NFTA_OBJ_NAME, name);
        buffer.putShort(offset, (short)(NLA_HEADER_LENGTH + 4), host);
        buffer.putShort(offset + 2, (short)NFTA_OBJ_TYPE, host);
        buffer.putInt(offset + NLA_HEADER_LENGTH, NFT_OBJECT_COUNTER, ByteOrder.BIG_ENDIAN);
        offset += NLA_HEADER_LENGTH + 4;
        NetlinkHeader.length(buffer, offset);
        return offset;
    }

    /** Walk the netlink messages of one datagram: the counter's packets, and whether the final ack or error came. */
    static Answer decodeReply(final UnsafeBuffer buffer, final int length, final int sequence) throws IOException
    {
        final ByteOrder host = ByteOrder.nativeOrder();
        long packets = MISSING;
        int offset = 0;
        while (offset + NetlinkHeader.HEADER_LENGTH <= length)
        {
            final int messageLength = NetlinkHeader.messageLength(buffer, offset);
            if (messageLength < NetlinkHeader.HEADER_LENGTH || offset + messageLength > length)
            {
                throw new IOException("netlink: malformed reply (message length " + messageLength + ")");
            }
            final int type = NetlinkHeader.type(buffer, offset);
            final boolean ours = NetlinkHeader.sequence(buffer, offset) == sequence;
            if (ours && type == NetlinkHeader.NLMSG_ERROR && messageLength >= NetlinkHeader.HEADER_LENGTH + 4)
            {
                return new Answer(packets, true, -NetlinkHeader.errorCode(buffer, offset));
            }
            if (ours && type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWOBJ))
            {
                final long found = counterPackets(buffer, offset + ATTRIBUTES_OFFSET, offset + messageLength);
                packets = found != MISSING ? found : packets;
            }
            offset += align4(messageLength);
        }
        return new Answer(packets, false, 0);
    }

    private static long counterPackets(final UnsafeBuffer buffer, final int start, final int end)
    {
        final ByteOrder host = ByteOrder.nativeOrder();
        int offset = start;
        while (offset + NLA_HEADER_LENGTH <= end)
        {
            final int length = buffer.getShort(offset, host) & 0xFFFF;
            final int type = buffer.getShort(offset + 2, host) & NLA_TYPE_MASK;
            if (length < NLA_HEADER_LENGTH || offset + length > end)
            {
                return MISSING;
            }
            if (type == NFTA_OBJ_DATA)
            {
                int inner = offset + NLA_HEADER_LENGTH;
                while (inner + NLA_HEADER_LENGTH <= offset + length)
                {
                    final int innerLength = buffer.getShort(inner, host) & 0xFFFF;
                    final int innerType = buffer.getShort(inner + 2, host) & NLA_TYPE_MASK;
                    if (innerLength < NLA_HEADER_LENGTH)
                    {
                        return MISSING;
                    }
                    if (innerType == NFTA_COUNTER_PACKETS && innerLength == NLA_HEADER_LENGTH + 8)
                    {
                        return buffer.getLong(inner + NLA_HEADER_LENGTH, ByteOrder.BIG_ENDIAN);
                    }
                    inner += align4(innerLength);
                }
            }
            offset += align4(length);
        }
        return MISSING;
    }

    private static int putString(final UnsafeBuffer buffer, final int offset, final int type, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        final int length = NLA_HEADER_LENGTH + bytes.length + 1;
        if (offset + align4(length) > CAPACITY / 2)
        {
            throw new IllegalArgumentException("nftables name too long: " + value);
        }
        buffer.putShort(offset, (short)length, ByteOrder.nativeOrder());
        buffer.putShort(offset + 2, (short)type, ByteOrder.nativeOrder());
        buffer.putBytes(offset + NLA_HEADER_LENGTH, bytes);
        buffer.setMemory(offset + NLA_HEADER_LENGTH + bytes.length, align4(length) - length + 1, (byte)0);
        return offset + align4(length);
    }

    private static int align4(final int length)
    {
        return (length + 3) & ~3;
    }
}
