package org.esp4j.core.ip;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Addresses as two {@code long}s so that the packet path compares and hashes them without objects.
 * <p>
 * IPv6 addresses are held as-is (high 64 bits, low 64 bits, network byte order). IPv4 addresses are held as
 * IPv4-mapped IPv6 addresses ({@code ::ffff:a.b.c.d}, RFC 4291 §2.5.5.2), so one selector type serves both families
 * and an IPv4 prefix never matches an IPv6 packet.
 */
public final class IpAddressBits
{
    /** High 64 bits of every IPv4-mapped address. */
    public static final long IPV4_MAPPED_HIGH = 0L;

    /** Bits 64..95 of every IPv4-mapped address, as held in the low long. */
    public static final long IPV4_MAPPED_LOW_PREFIX = 0x0000_FFFF_0000_0000L;

    private IpAddressBits()
    {
    }

    /**
     * @param address IPv4 or IPv6 address.
     * @return the high 64 bits of its IPv6 (or IPv4-mapped) form.
     */
    public static long high(final InetAddress address)
    {
        if (address instanceof Inet4Address)
        {
            return IPV4_MAPPED_HIGH;
        }
        return readLong(address.getAddress(), 0);
    }

    /**
     * @param address IPv4 or IPv6 address.
     * @return the low 64 bits of its IPv6 (or IPv4-mapped) form.
     */
    public static long low(final InetAddress address)
    {
        final byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address)
        {
            return ipv4Low(readInt(bytes, 0));
        }
        return readLong(bytes, 8);
    }

    /**
     * @param ipv4 IPv4 address as a big-endian int.
     * @return the low long of its IPv4-mapped form.
     */
    public static long ipv4Low(final int ipv4)
    {
        return IPV4_MAPPED_LOW_PREFIX | (ipv4 & 0xFFFF_FFFFL);
    }

    /**
     * @param high high 64 bits.
     * @param low  low 64 bits.
     * @return true when the pair is an IPv4-mapped address.
     */
    public static boolean isIpv4Mapped(final long high, final long low)
    {
        return high == IPV4_MAPPED_HIGH && (low & 0xFFFF_FFFF_0000_0000L) == IPV4_MAPPED_LOW_PREFIX;
    }

    /**
     * @param high high 64 bits.
     * @param low  low 64 bits.
     * @return the address as an object (IPv4 for mapped addresses), for control-plane use only.
     */
    public static InetAddress toInetAddress(final long high, final long low)
    {
        try
        {
            if (isIpv4Mapped(high, low))
            {
                final int v4 = (int)low;
                return InetAddress.getByAddress(new byte[]{ (byte)(v4 >>> 24), (byte)(v4 >>> 16), (byte)(v4 >>> 8), (byte)v4 });
            }
            final byte[] bytes = new byte[16];
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = (byte)(high >>> (56 - 8 * i));
                bytes[8 + i] = (byte)(low >>> (56 - 8 * i));
            }
            return Inet6Address.getByAddress(null, bytes, null);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Mask for the high long of a prefix, given as an IPv6 prefix length (0..128).
     *
     * @param prefixLength6 prefix length in IPv6 terms.
     * @return the mask for the high long.
     */
    public static long maskHigh(final int prefixLength6)
    {
        if (prefixLength6 <= 0)
        {
            return 0L;
        }
        return prefixLength6 >= 64 ? -1L : -1L << (64 - prefixLength6);
    }

    /**
     * Mask for the low long of a prefix, given as an IPv6 prefix length (0..128).
     *
     * @param prefixLength6 prefix length in IPv6 terms.
     * @return the mask for the low long.
     */
    public static long maskLow(final int prefixLength6)
    {
        if (prefixLength6 <= 64)
        {
            return 0L;
        }
        return prefixLength6 >= 128 ? -1L : -1L << (128 - prefixLength6);
    }

    /**
     * The prefix length in the 128-bit space for a prefix written for the address's own family.
     *
     * @param address      the prefix's address.
     * @param prefixLength prefix length as written (0..32 for IPv4, 0..128 for IPv6).
     * @return prefix length over the IPv6 / IPv4-mapped form.
     */
    public static int prefixLength6(final InetAddress address, final int prefixLength)
    {
        return address instanceof Inet4Address ? 96 + prefixLength : prefixLength;
    }

    private static long readLong(final byte[] bytes, final int offset)
    {
        long value = 0;
        for (int i = 0; i < 8; i++)
        {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }
        return value;
    }

    private static int readInt(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16) |
            ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF);
    }
}
