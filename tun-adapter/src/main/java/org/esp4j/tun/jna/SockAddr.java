package org.esp4j.tun.jna;

import org.agrona.MutableDirectBuffer;
import org.agrona.DirectBuffer;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Flyweight helpers for {@code struct sockaddr_in} and {@code struct sockaddr_in6} (Linux).
 * <pre>
 * struct sockaddr_in6 (28 bytes)                 struct sockaddr_in (16 bytes)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |  sin6_family (host order)     |  sin6_port (big endian)       |  0
 * +-------------------------------+-------------------------------+
 * |                     sin6_flowinfo (big endian)                |  4
 * +---------------------------------------------------------------+
 * |                     sin6_addr (16 bytes)                      |  8..23
 * +---------------------------------------------------------------+
 * |                     sin6_scope_id (host order)                |  24
 * +---------------------------------------------------------------+
 *
 * sockaddr_in: sin_family (host) @0, sin_port (BE) @2, sin_addr @4 (4 bytes), zero @8 (8 bytes)
 * </pre>
 */
public final class SockAddr
{
    public static final int FAMILY_OFFSET = 0;
    public static final int PORT_OFFSET = 2;
    public static final int IN6_FLOWINFO_OFFSET = 4;
    public static final int IN6_ADDR_OFFSET = 8;
    public static final int IN6_SCOPE_ID_OFFSET = 24;
    public static final int IN6_LENGTH = 28;
    public static final int IN_ADDR_OFFSET = 4;
    public static final int IN_LENGTH = 16;
    /** Room for either (aligned). */
    public static final int STORAGE_LENGTH = 32;

    private SockAddr()
    {
    }

    /**
     * Write a sockaddr for {@code address}.
     *
     * @return the length of the written structure.
     */
    public static int put(final MutableDirectBuffer buffer, final int offset, final InetAddress address, final int port)
    {
        buffer.setMemory(offset, STORAGE_LENGTH, (byte)0);
        final byte[] bytes = address.getAddress();
        buffer.putShort(offset + PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        if (address instanceof Inet4Address)
        {
            buffer.putShort(offset + FAMILY_OFFSET, (short)LibC.AF_INET, ByteOrder.nativeOrder());
            buffer.putBytes(offset + IN_ADDR_OFFSET, bytes);
            return IN_LENGTH;
        }
        buffer.putShort(offset + FAMILY_OFFSET, (short)LibC.AF_INET6, ByteOrder.nativeOrder());
        buffer.putBytes(offset + IN6_ADDR_OFFSET, bytes);
        if (address instanceof Inet6Address)
        {
            buffer.putInt(offset + IN6_SCOPE_ID_OFFSET, ((Inet6Address)address).getScopeId(), ByteOrder.nativeOrder());
        }
        return IN6_LENGTH;
    }

    /** Write the IPv6 any address ({@code ::}) with {@code port}. */
    public static int putAny6(final MutableDirectBuffer buffer, final int offset, final int port)
    {
        buffer.setMemory(offset, STORAGE_LENGTH, (byte)0);
        buffer.putShort(offset + FAMILY_OFFSET, (short)LibC.AF_INET6, ByteOrder.nativeOrder());
        buffer.putShort(offset + PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return IN6_LENGTH;
    }

    /** Write the IPv4 any address ({@code 0.0.0.0}) with {@code port}. */
    public static int putAny4(final MutableDirectBuffer buffer, final int offset, final int port)
    {
        buffer.setMemory(offset, STORAGE_LENGTH, (byte)0);
        buffer.putShort(offset + FAMILY_OFFSET, (short)LibC.AF_INET, ByteOrder.nativeOrder());
        buffer.putShort(offset + PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return IN_LENGTH;
    }

    public static int family(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + FAMILY_OFFSET, ByteOrder.nativeOrder()) & 0xFFFF;
    }

    public static int port(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** @return offset of the address bytes within the structure for {@code family}. */
    public static int addressOffset(final int family)
    {
        return family == LibC.AF_INET ? IN_ADDR_OFFSET : IN6_ADDR_OFFSET;
    }

    /** @return the address as an {@link InetAddress} (allocates: control plane and tests only). */
    public static InetAddress toInetAddress(final DirectBuffer buffer, final int offset)
    {
        final int family = family(buffer, offset);
        final byte[] bytes = new byte[family == LibC.AF_INET ? 4 : 16];
        buffer.getBytes(offset + addressOffset(family), bytes);
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
