package org.esp4j.tun.jna;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * A preallocated {@code struct msghdr} with one {@code struct iovec}, a sockaddr and a control (ancillary data)
 * area, for {@link LibC#recvmsg(int, long, int)} and {@link LibC#sendmsg(int, long, int)} without allocation.
 * One instance per thread.
 * <pre>
 * Area layout (LP64 Linux):
 *   0 struct msghdr (56 bytes)
 *        0  void         *msg_name        -> NAME_OFFSET
 *        8  socklen_t     msg_namelen     (+4 padding)
 *       16  struct iovec *msg_iov         -> IOV_OFFSET
 *       24  size_t        msg_iovlen      = 1
 *       32  void         *msg_control     -> CONTROL_OFFSET
 *       40  size_t        msg_controllen
 *       48  int           msg_flags       (+4 padding)
 *  64 struct iovec (16 bytes): 0 void *iov_base, 8 size_t iov_len
 *  80 struct sockaddr_in6/in (32 bytes of room)
 * 128 control area (CONTROL_CAPACITY bytes): a sequence of
 *     struct cmsghdr { size_t cmsg_len @0; int cmsg_level @8; int cmsg_type @12; data @16 }, each CMSG_ALIGN'ed to 8.
 * </pre>
 */
public final class SocketMessage
{
    public static final int MSG_NAME_OFFSET = 0;
    public static final int MSG_NAMELEN_OFFSET = 8;
    public static final int MSG_IOV_OFFSET = 16;
    public static final int MSG_IOVLEN_OFFSET = 24;
    public static final int MSG_CONTROL_OFFSET = 32;
    public static final int MSG_CONTROLLEN_OFFSET = 40;
    public static final int MSG_FLAGS_OFFSET = 48;

    public static final int IOV_BASE_OFFSET = 0;
    public static final int IOV_LEN_OFFSET = 8;

    public static final int CMSG_LEN_OFFSET = 0;
    public static final int CMSG_LEVEL_OFFSET = 8;
    public static final int CMSG_TYPE_OFFSET = 12;
    public static final int CMSG_DATA_OFFSET = 16;
    public static final int CMSG_ALIGNMENT = 8;

    /** struct in6_pktinfo { struct in6_addr ipi6_addr @0; int ipi6_ifindex @16 } (20 bytes). */
    public static final int IN6_PKTINFO_ADDR_OFFSET = 0;
    public static final int IN6_PKTINFO_IFINDEX_OFFSET = 16;
    public static final int IN6_PKTINFO_LENGTH = 20;
    /** struct in_pktinfo { int ipi_ifindex @0; in_addr ipi_spec_dst @4; in_addr ipi_addr @8 } (12 bytes). */
    public static final int IN_PKTINFO_IFINDEX_OFFSET = 0;
    public static final int IN_PKTINFO_SPEC_DST_OFFSET = 4;
    public static final int IN_PKTINFO_ADDR_OFFSET = 8;
    public static final int IN_PKTINFO_LENGTH = 12;

    public static final int IOV_OFFSET = 64;
    public static final int NAME_OFFSET = 80;
    public static final int CONTROL_OFFSET = 128;
    public static final int CONTROL_CAPACITY = 256;
    public static final int LENGTH = CONTROL_OFFSET + CONTROL_CAPACITY;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final NativeArea area = new NativeArea(LENGTH);
    private final UnsafeBuffer buffer = area.buffer();
    private final long address = area.address(0);
    private int controlLength;

    public SocketMessage()
    {
        buffer.putLong(MSG_NAME_OFFSET, area.address(NAME_OFFSET), NATIVE);
        buffer.putLong(MSG_IOV_OFFSET, area.address(IOV_OFFSET), NATIVE);
        buffer.putLong(MSG_IOVLEN_OFFSET, 1, NATIVE);
        buffer.putLong(MSG_CONTROL_OFFSET, area.address(CONTROL_OFFSET), NATIVE);
    }

    /** @return the buffer over the whole area (for {@link SockAddr} at {@link #NAME_OFFSET}). */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** @return the address of the msghdr to pass to recvmsg/sendmsg. */
    public long address()
    {
        return address;
    }

    /** Prepare for a recvmsg into {@code capacity} bytes at native address {@code data}. */
    public void prepareReceive(final long data, final int capacity)
    {
        buffer.putLong(IOV_OFFSET + IOV_BASE_OFFSET, data, NATIVE);
        buffer.putLong(IOV_OFFSET + IOV_LEN_OFFSET, capacity, NATIVE);
        buffer.putInt(MSG_NAMELEN_OFFSET, SockAddr.STORAGE_LENGTH, NATIVE);
        buffer.putLong(MSG_CONTROLLEN_OFFSET, CONTROL_CAPACITY, NATIVE);
        buffer.putInt(MSG_FLAGS_OFFSET, 0, NATIVE);
    }

    /**
     * Prepare for a sendmsg of {@code length} bytes at {@code data} to the sockaddr already written at
     * {@link #NAME_OFFSET} ({@code nameLength} bytes), with the control messages added since {@link #clearControl()}.
     */
    public void prepareSend(final long data, final int length, final int nameLength)
    {
        buffer.putLong(IOV_OFFSET + IOV_BASE_OFFSET, data, NATIVE);
        buffer.putLong(IOV_OFFSET + IOV_LEN_OFFSET, length, NATIVE);
        buffer.putInt(MSG_NAMELEN_OFFSET, nameLength, NATIVE);
        buffer.putLong(MSG_CONTROLLEN_OFFSET, controlLength, NATIVE);
        buffer.putLong(MSG_CONTROL_OFFSET, controlLength == 0 ? 0 : area.address(CONTROL_OFFSET), NATIVE);
        buffer.putInt(MSG_FLAGS_OFFSET, 0, NATIVE);
    }

    public void clearControl()
    {
        controlLength = 0;
    }

    /**
     * Append a control message with {@code dataLength} bytes of data, to be filled by the caller.
     *
     * @return the offset (in {@link #buffer()}) of the data.
     */
    public int addControl(final int level, final int type, final int dataLength)
    {
        final int offset = CONTROL_OFFSET + controlLength;
        final int space = NativeArea.align(CMSG_DATA_OFFSET + dataLength, CMSG_ALIGNMENT);
        buffer.setMemory(offset, space, (byte)0);
        buffer.putLong(offset + CMSG_LEN_OFFSET, CMSG_DATA_OFFSET + dataLength, NATIVE);
        buffer.putInt(offset + CMSG_LEVEL_OFFSET, level, NATIVE);
        buffer.putInt(offset + CMSG_TYPE_OFFSET, type, NATIVE);
        controlLength += space;
        buffer.putLong(MSG_CONTROL_OFFSET, area.address(CONTROL_OFFSET), NATIVE);
        return offset + CMSG_DATA_OFFSET;
    }

    /** @return msg_flags after a recvmsg. */
    public int flags()
    {
        return buffer.getInt(MSG_FLAGS_OFFSET, NATIVE);
    }

    /** @return msg_namelen after a recvmsg. */
    public int nameLength()
    {
        return buffer.getInt(MSG_NAMELEN_OFFSET, NATIVE);
    }

    /**
     * Find a received control message.
     *
     * @return the offset (in {@link #buffer()}) of its data, or -1.
     */
    public int findControl(final int level, final int type)
    {
        return findControl(buffer, CONTROL_OFFSET, buffer.getLong(MSG_CONTROLLEN_OFFSET, NATIVE), CONTROL_CAPACITY,
            level, type);
    }

    /**
     * Walk the control messages a receive left at {@code buffer[start]}.
     *
     * @param received msg_controllen after the receive.
     * @param capacity room the control area had.
     * @return the offset (in {@code buffer}) of the data of the first message of {@code level}/{@code type}, or -1.
     */
    public static int findControl(
        final UnsafeBuffer buffer, final int start, final long received, final int capacity, final int level,
        final int type)
    {
        final int end = start + (int)Math.min(received, capacity);
        int offset = start;
        while (offset + CMSG_DATA_OFFSET <= end)
        {
            final long length = buffer.getLong(offset + CMSG_LEN_OFFSET, NATIVE);
            if (length < CMSG_DATA_OFFSET || offset + length > end)
            {
                return -1;
            }
            if (buffer.getInt(offset + CMSG_LEVEL_OFFSET, NATIVE) == level &&
                buffer.getInt(offset + CMSG_TYPE_OFFSET, NATIVE) == type)
            {
                return offset + CMSG_DATA_OFFSET;
            }
            offset += NativeArea.align((int)length, CMSG_ALIGNMENT);
        }
        return -1;
    }
}
