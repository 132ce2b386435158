package org.esp4j.tun.jna;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * A preallocated vector of {@code struct mmsghdr} for {@link LibC#sendmmsg} and {@link LibC#recvmmsg}: many
 * datagrams per system call. Each message has one {@code iovec} over its own data slot, its own sockaddr and its own
 * control area. One instance per thread; allocates nothing after construction.
 * <pre>
 * struct mmsghdr (64 bytes on LP64 Linux)
 *   0 struct msghdr msg_hdr  (56 bytes, see {@link SocketMessage})
 *  56 unsigned int  msg_len  (bytes sent or received for this message) (+4 padding)
 *
 * Area: mmsghdr[count] | iovec[count] (16 bytes) | sockaddr[count] (32 bytes) | control[count] | data[count]
 * </pre>
 */
public final class MessageBatch
{
    public static final int MMSGHDR_LENGTH = 64;
    public static final int MSG_LEN_OFFSET = 56;
    public static final int IOVEC_LENGTH = 16;
    public static final int NAME_LENGTH = SockAddr.STORAGE_LENGTH;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final int count;
    private final int slotCapacity;
    private final int controlCapacity;
    private final int iovOffset;
    private final int nameOffset;
    private final int controlOffset;
    private final int dataOffset;
    private final NativeArea area;
    private final UnsafeBuffer buffer;

    /**
     * @param count           messages.
     * @param slotCapacity    data bytes per message.
     * @param controlCapacity control bytes per message (0: none).
     */
    public MessageBatch(final int count, final int slotCapacity, final int controlCapacity)
    {
        if (count < 1 || slotCapacity < 1 || controlCapacity < 0)
        {
            throw new IllegalArgumentException("count and slot capacity must be positive");
        }
        this.count = count;
        this.slotCapacity = NativeArea.align(slotCapacity, SocketMessage.CMSG_ALIGNMENT);
        this.controlCapacity = NativeArea.align(controlCapacity, SocketMessage.CMSG_ALIGNMENT);
        iovOffset = count * MMSGHDR_LENGTH;
        nameOffset = iovOffset + count * IOVEC_LENGTH;
        controlOffset = nameOffset + count * NAME_LENGTH;
        dataOffset = NativeArea.align(controlOffset + count * this.controlCapacity, NativeArea.ALIGNMENT);
        area = new NativeArea(dataOffset + count * this.slotCapacity);
        buffer = area.buffer();
        for (int i = 0; i < count; i++)
        {
            final int header = i * MMSGHDR_LENGTH;
            buffer.putLong(header + SocketMessage.MSG_NAME_OFFSET, area.address(nameOffset(i)), NATIVE);
            buffer.putLong(header + SocketMessage.MSG_IOV_OFFSET, area.address(iovOffset + i * IOVEC_LENGTH), NATIVE);
            buffer.putLong(header + SocketMessage.MSG_IOVLEN_OFFSET, 1, NATIVE);
            buffer.putLong(iovOffset + i * IOVEC_LENGTH + SocketMessage.IOV_BASE_OFFSET, area.address(dataOffset(i)),
                NATIVE);
        }
    }

    public int count()
    {
        return count;
    }

    public int slotCapacity()
    {
        return slotCapacity;
    }

    /** @return the buffer over the whole area (data slots at {@link #dataOffset}, names at {@link #nameOffset}). */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** @return address of the vector, for sendmmsg/recvmmsg. */
    public long address()
    {
        return area.address(0);
    }

    public int dataOffset(final int index)
    {
        return dataOffset + index * slotCapacity;
    }

    public int nameOffset(final int index)
    {
        return nameOffset + index * NAME_LENGTH;
    }

    /** @return offset (in {@link #buffer()}) of message {@code index}'s control area. */
    public int controlOffset(final int index)
    {
        return controlOffset + index * controlCapacity;
    }

    /** Make message {@code index} ready to receive into its slot. */
    public void prepareReceive(final int index)
    {
        final int header = index * MMSGHDR_LENGTH;
        buffer.putLong(iovOffset + index * IOVEC_LENGTH + SocketMessage.IOV_LEN_OFFSET, slotCapacity, NATIVE);
        buffer.putInt(header + SocketMessage.MSG_NAMELEN_OFFSET, NAME_LENGTH, NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROL_OFFSET,
            controlCapacity == 0 ? 0 : area.address(controlOffset + index * controlCapacity), NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROLLEN_OFFSET, controlCapacity, NATIVE);
        buffer.putInt(header + SocketMessage.MSG_FLAGS_OFFSET, 0, NATIVE);
        buffer.putInt(header + MSG_LEN_OFFSET, 0, NATIVE);
    }

    /** Make message {@code index} ready to send {@code length} bytes of its slot to its sockaddr, no control data. */
    public void prepareSend(final int index, final int length, final int nameLength)
    {
        final int header = index * MMSGHDR_LENGTH;
        buffer.putLong(iovOffset + index * IOVEC_LENGTH + SocketMessage.IOV_LEN_OFFSET, length, NATIVE);
        buffer.putInt(header + SocketMessage.MSG_NAMELEN_OFFSET, nameLength, NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROL_OFFSET, 0, NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROLLEN_OFFSET, 0, NATIVE);
        buffer.putInt(header + SocketMessage.MSG_FLAGS_OFFSET, 0, NATIVE);
    }

    /**
     * Make message {@code index} ready to send {@code length} bytes of its slot to its sockaddr with the first
     * {@code controlLength} bytes of its control area (written by the caller at {@link #controlOffset}).
     */
    public void prepareSend(final int index, final int length, final int nameLength, final int controlLength)
    {
        prepareSend(index, length, nameLength);
        final int header = index * MMSGHDR_LENGTH;
        buffer.putLong(header + SocketMessage.MSG_CONTROL_OFFSET, area.address(controlOffset(index)), NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROLLEN_OFFSET, controlLength, NATIVE);
    }

    /**
     * Make message {@code index} ready to send {@code length} bytes at the native address {@code data} (not its slot)
     * with the destination and control messages of an already prepared {@link SocketMessage}: many datagrams of one
     * buffer to one peer in one {@code sendmmsg}, without copying them. A batch used this way points its messages at
     * other memory, so it is not used with {@link #prepareSend(int, int, int)} or for receiving.
     */
    public void prepareSendLike(final int index, final long data, final int length, final SocketMessage template)
    {
        final int header = index * MMSGHDR_LENGTH;
        final int iov = iovOffset + index * IOVEC_LENGTH;
        final UnsafeBuffer from = template.buffer();
        buffer.putLong(iov + SocketMessage.IOV_BASE_OFFSET, data, NATIVE);
        buffer.putLong(iov + SocketMessage.IOV_LEN_OFFSET, length, NATIVE);
        buffer.putLong(header + SocketMessage.MSG_NAME_OFFSET,
            from.getLong(SocketMessage.MSG_NAME_OFFSET, NATIVE), NATIVE);
        buffer.putInt(header + SocketMessage.MSG_NAMELEN_OFFSET,
            from.getInt(SocketMessage.MSG_NAMELEN_OFFSET, NATIVE), NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROL_OFFSET,
            from.getLong(SocketMessage.MSG_CONTROL_OFFSET, NATIVE), NATIVE);
        buffer.putLong(header + SocketMessage.MSG_CONTROLLEN_OFFSET,
            from.getLong(SocketMessage.MSG_CONTROLLEN_OFFSET, NATIVE), NATIVE);
        buffer.putInt(header + SocketMessage.MSG_FLAGS_OFFSET, 0, NATIVE);
    }

    /** @return msg_len of message {@code index}: bytes received or sent. */
    public int length(final int index)
    {
        return buffer.getInt(index * MMSGHDR_LENGTH + MSG_LEN_OFFSET, NATIVE);
    }

    /** @return msg_flags of message {@code index} after a receive. */
    public int flags(final int index)
    {
        return buffer.getInt(index * MMSGHDR_LENGTH + SocketMessage.MSG_FLAGS_OFFSET, NATIVE);
    }

    /**
     * Find a received control message of message {@code index}.
     *
     * @return the offset (in {@link #buffer()}) of its data, or -1.
     */
    public int findControl(final int index, final int level, final int type)
    {
        if (controlCapacity == 0)
        {
            return -1;
        }
        return SocketMessage.findControl(buffer, controlOffset + index * controlCapacity,
            buffer.getLong(index * MMSGHDR_LENGTH + SocketMessage.MSG_CONTROLLEN_OFFSET, NATIVE), controlCapacity,
            level, type);
    }
}
