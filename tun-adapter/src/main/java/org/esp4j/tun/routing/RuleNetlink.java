package org.esp4j.tun.routing;

import com.sun.jna.Native;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteOrder;

/**
 * The steering rules ({@code ip rule add|del to PREFIX ...}) over one rtnetlink socket kept open, instead of an
 * {@code ip} child per rule: a child costs 3-4 ms of fork, exec and wait, two per prefix, and a {@code policy add dir
 * out} waits for them (the rule must be in force before the policy is reported, or the flow would leave in clear).
 * Each request is acknowledged by the kernel ({@code NLM_F_ACK}) before the call returns: the rule is in force then.
 * <p>
 * One request, as {@code ip rule} sends it (rtnetlink(7), {@code linux/fib_rules.h}; native byte order, the
 * address in network order):
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     nlmsg_len (whole request)                 |  struct nlmsghdr
 *  |  nlmsg_type (RTM_NEWRULE/DEL) |  nlmsg_flags (REQUEST|ACK...) |
 *  |                          nlmsg_seq                            |
 *  |                     nlmsg_pid (0: to the kernel)              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    family     |    dst_len    |    src_len    |      tos      |  struct fib_rule_hdr
 *  |  table (0)    |     res1      |     res2      |    action     |
 *  |                            flags                              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  rta_len      |  rta_type     | value, padded to 4 ...           attributes: FRA_DST, FRA_PRIORITY,
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+    FRA_FWMARK, FRA_TABLE
 * </pre>
 * The answer is an {@code NLMSG_ERROR} whose error is 0 (done) or a negative errno. Not thread-safe: the owner
 * ({@link PolicyRouting}, synchronized) calls it.
 */
final class RuleNetlink implements AutoCloseable
{
    static final int NETLINK_ROUTE = 0;
    static final int RTM_NEWRULE = 32;
    static final int RTM_DELRULE = 33;
    static final int FRA_DST = 1;
    static final int FRA_PRIORITY = 6;
    static final int FRA_FWMARK = 10;
    static final int FRA_TABLE = 15;
    static final int FR_ACT_TO_TBL = 1;
    static final int FR_ACT_UNREACHABLE = 7;
    static final int EEXIST = 17;
    static final int ENOENT = 2;

    static final int FRH_FAMILY_OFFSET = 16;
    static final int FRH_DST_LEN_OFFSET = 17;
    static final int FRH_TABLE_OFFSET = 20;
    static final int FRH_ACTION_OFFSET = 23;
    static final int FRH_FLAGS_OFFSET = 24;
    static final int ATTRIBUTES_OFFSET = 28;

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int SO_RCVTIMEO = 20;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int ANSWER_CAPACITY = 8192;
    /** How long the kernel may take to acknowledge, as {@link IpCommand}'s bound on an {@code ip} child. */
    private static final long ACK_TIMEOUT_S = 10;

    private final NativeArea request = new NativeArea(128);
    private final NativeArea answer = new NativeArea(ANSWER_CAPACITY);
    private final int fd;
    private int seq;

    private RuleNetlink(final int fd)
    {
        this.fd = fd;
    }

    /**
     * @param netns the network namespace (as {@code ip -n}), or null for this process's.
     * @return a socket to the kernel's rtnetlink in that namespace.
     * @throws IOException if it cannot be opened (no JNA, no permission, no such namespace).
     */
    static RuleNetlink open(final String netns) throws IOException
    {
        final int fd = netns == null ? socket() : socketIn(netns);
        final RuleNetlink netlink = new RuleNetlink(fd);
        final UnsafeBuffer timeout = netlink.request.buffer(); // struct timeval: a blocked ack is bounded
        timeout.putLong(0, ACK_TIMEOUT_S, ORDER);
        timeout.putLong(8, 0, ORDER);
        if (LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_RCVTIMEO, netlink.request.address(0), 16) < 0)
        {
            final int errno = Native.getLastError();
            netlink.close();
            throw new IOException("netlink SO_RCVTIMEO: " + LibC.describe(errno));
        }
        return netlink;
    }

    private static int socket() throws IOException
    {
        final int fd = LibC.socket(NetlinkHeader.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new IOException("netlink socket: " + LibC.describe(Native.getLastError()));
        }
        return fd;
    }

    /** A socket belongs to the namespace its creating thread is in: enter the named one for the call, as ip -n. */
    private static int socketIn(final String netns) throws IOException
    {
        final int own = LibC.open("/proc/thread-self/ns/net", LibC.O_CLOEXEC);
        if (own < 0)
        {
            throw new IOException("own network namespace: " + LibC.describe(Native.getLastError()));
        }
        try
        {
            final int target = LibC.open("/run/netns/" + netns, LibC.O_CLOEXEC);
            if (target < 0)
            {
                throw new IOException("network namespace " + netns + ": " + LibC.describe(Native.getLastError()));
            }
            try
            {
                if (LibC.setns(target, CLONE_NEWNET) < 0)
                {
                    throw new IOException("setns " + netns + ": " + LibC.describe(Native.getLastError()));
                }
                try
                {
                    return socket();
                }
                finally
                {
                    if (LibC.setns(own, CLONE_NEWNET) < 0) // this thread goes on in its own namespace, or stops
                    {
                        throw new IllegalStateException("setns back: " + LibC.describe(Native.getLastError()));
                    }
                }
            }
            finally
            {
                LibC.close(target);
            }
        }
        finally
        {
            LibC.close(own);
        }
    }

    /**
     * {@code ip rule add to PREFIX [fwmark MARK] priority PRIORITY (lookup TABLE | unreachable)}: an identical rule
     * already there (left by a crashed run) is adopted.
     *
     * @param mark  the firewall mark to match, or 0 for any.
     * @param table the table to look up, or 0 for {@code unreachable}.
     */
    void add(final SteeringPrefix prefix, final int mark, final int priority, final int table) throws IOException
    {
        final int error = exchange(RTM_NEWRULE, NetlinkHeader.NLM_F_CREATE | NetlinkHeader.NLM_F_EXCL, prefix, mark, priority, table);
        if (error != 0 && error != -EEXIST)
        {
            throw new IOException(describe("add", prefix, mark, table, error));
        }
    }

    /** {@code ip rule del} of the same rule; one not there is no error (removed behind our back: the goal holds). */
    void delete(final SteeringPrefix prefix, final int mark, final int priority, final int table) throws IOException
    {
        final int error = exchange(RTM_DELRULE, 0, prefix, mark, priority, table);
        if (error != 0 && error != -ENOENT)
        {
            throw new IOException(describe("del", prefix, mark, table, error));
        }
    }

    private static String describe(
        final String verb, final SteeringPrefix prefix, final int mark, final int table, final int error)
    {
        return "ip rule " + verb + " to " + prefix + (mark != 0 ? " fwmark 0x" + Integer.toHexString(mark) : "") +
            (table != 0 ? " lookup " + Integer.toUnsignedString(table) : " unreachable") + " (netlink) failed: " +
            LibC.describe(-error);
    }

    /** @return the kernel's answer: 0 or a negative errno. */
    private int exchange(
        final int type, final int flags, final SteeringPrefix prefix, final int mark, final int priority,
        final int table) throws IOException
    {
        final int length = encode(request.buffer(), ++seq, type, flags, prefix, mark, priority, table);
        if (LibC.sendto(fd, request.address(0), length, 0, 0, 0) != length)
        {
            throw new IOException("netlink send: " + LibC.describe(Native.getLastError()));
        }
        while (true)
        {
            final long received = LibC.recvfrom(fd, answer.address(0), ANSWER_CAPACITY, 0, 0, 0);
            if (received < 0)
            {
                throw new IOException("netlink: no answer from the kernel: " +
                    LibC.describe(Native.getLastError()));
            }
            final UnsafeBuffer buffer = answer.buffer();
            if (received >= NetlinkHeader.ERROR_CODE_OFFSET + 4 &&
                NetlinkHeader.type(buffer, 0) == NetlinkHeader.NLMSG_ERROR &&
                NetlinkHeader.sequence(buffer, 0) == seq)
            {
                return NetlinkHeader.errorCode(buffer, 0);
            }
            // an answer to an earlier request that timed out: skip it
        }
    }

    /**
     * Write one rule request.
     *
     * @return its length in bytes.
     */
    static int encode(
        final UnsafeBuffer buffer, final int seq, final int type, final int flags, final SteeringPrefix prefix,
        final int mark, final int priority, final int table)
    {
        final byte[] address = prefix.address().getAddress();
        buffer.setMemory(0, ATTRIBUTES_OFFSET, (byte)0);
        NetlinkHeader.writeRequest(buffer, type, flags, seq);
        buffer.putByte(FRH_FAMILY_OFFSET, (byte)(address.length == 4 ? LibC.AF_INET : LibC.AF_INET6));
        buffer.putByte(FRH_DST_LEN_OFFSET, (byte)prefix.prefixLength());
        buffer.putByte(FRH_TABLE_OFFSET, (byte)0); // RT_TABLE_UNSPEC: the table is FRA_TABLE's, as ip sends it
        buffer.putByte(FRH_ACTION_OFFSET, (byte)(table != 0 ? FR_ACT_TO_TBL : FR_ACT_UNREACHABLE));
        buffer.putInt(FRH_FLAGS_OFFSET, 0, ORDER);
        int offset = ATTRIBUTES_OFFSET;
        offset = putAttribute(buffer, offset, FRA_DST, address);
        offset = putInt(buffer, offset, FRA_PRIORITY, priority);
        if (mark != 0)
        {
            offset = putInt(buffer, offset, FRA_FWMARK, mark);
        }
        if (table != 0)
        {
            offset = putInt(buffer, offset, FRA_TABLE, table);
        }
        NetlinkHeader.length(buffer, offset);
        return offset;
    }

    private static int putAttribute(final UnsafeBuffer buffer, final int offset, final int type, final byte[] value)
    {
        buffer.putShort(offset, (short)(4 + value.length), ORDER);
        buffer.putShort(offset + 2, (short)type, ORDER);
        buffer.putBytes(offset + 4, value);
        final int end = NativeArea.align(offset + 4 + value.length, 4);
        buffer.setMemory(offset + 4 + value.length, end - offset - 4 - value.length, (byte)0);
        return end;
    }

    private static int putInt(final UnsafeBuffer buffer, final int offset, final int type, final int value)
    {
        buffer.putShort(offset, (short)8, ORDER);
        buffer.putShort(offset + 2, (short)type, ORDER);
        buffer.putInt(offset + 4, value, ORDER);
        return offset + 8;
    }

    public void close()
    {
        LibC.close(fd);
    }
}
