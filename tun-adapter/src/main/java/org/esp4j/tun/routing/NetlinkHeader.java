package org.esp4j.tun.routing;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The netlink message header ({@code struct nlmsghdr}, linux/netlink.h; RFC 3549 §2.3.2) at the start of every
 * request the daemon sends to the kernel over netlink and of every answer it reads: the steering rules
 * ({@link RuleNetlink}, {@code NETLINK_ROUTE}) and the named counters ({@link NftNamedCounter},
 * {@code NETLINK_NETFILTER}). Unlike the wire formats of the packet path, netlink is in the host's byte order.
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Length (header included)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Type             |             Flags             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Port id (0 towards the kernel)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * An acknowledgement or a refusal is an {@code NLMSG_ERROR} message whose payload starts with the error: 0, or a
 * negative errno.
 */
public final class NetlinkHeader
{
    /** Host order: netlink is not a network protocol. */
    public static final ByteOrder ORDER = ByteOrder.nativeOrder();

    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int PORT_ID_OFFSET = 12;
    public static final int HEADER_LENGTH = 16;
    /** Offset of the error (s32) in an {@code NLMSG_ERROR} message. */
    public static final int ERROR_CODE_OFFSET = HEADER_LENGTH;

    public static final int AF_NETLINK = 16;
    public static final int NLMSG_ERROR = 2;
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;

    private NetlinkHeader()
    {
    }

    /**
     * Write a request's header at offset 0, but its length (known once the body is written: {@link #length}). The request asks for an acknowledgement.
     */
    public static void writeRequest(final UnsafeBuffer buffer, final int type, final int flags, final int sequence)
    {
        buffer.putShort(TYPE_OFFSET, (short)type, ORDER);
        buffer.putShort(FLAGS_OFFSET, (short)(NLM_F_REQUEST | NLM_F_ACK | flags), ORDER);
        buffer.putInt(SEQUENCE_OFFSET, sequence, ORDER);
        buffer.putInt(PORT_ID_OFFSET, 0, ORDER);
    }

    /** Write the length of the request at offset 0, its header included. */
    public static void length(final UnsafeBuffer buffer, final int length)
    {
        buffer.putInt(LENGTH_OFFSET, length, ORDER);
    }

    /** @return the length of the message at {@code messageOffset}, its header included. */
    public static int messageLength(final UnsafeBuffer buffer, final int messageOffset)
    {
        return buffer.getInt(messageOffset + LENGTH_OFFSET, ORDER);
    }

    /** @return the message type (u16). */
    public static int type(final UnsafeBuffer buffer, final int messageOffset)
    {
        return buffer.getShort(messageOffset + TYPE_OFFSET, ORDER) & 0xFFFF;
    }

    public static int sequence(final UnsafeBuffer buffer, final int messageOffset)
    {
        return buffer.getInt(messageOffset + SEQUENCE_OFFSET, ORDER);
    }

    /** @return the error of an {@code NLMSG_ERROR} message: 0 (acknowledged) or a negative errno. */
    public static int errorCode(final UnsafeBuffer buffer, final int messageOffset)
    {
        return buffer.getInt(messageOffset + ERROR_CODE_OFFSET, ORDER);
    }
}
