package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The Internet checksum (RFC 1071) of TCP and UDP over IPv4 (RFC 793 §3.1 pseudo-header) and IPv6 (RFC 8200 §8.1),
 * for segments the daemon cuts or joins. The packet path checksums every byte it segments or coalesces, so the loop
 * matters: see {@link #sum}.
 * <pre>
 * IPv4 pseudo-header: source(4) destination(4) zero(1) protocol(1) transport length(2)
 * IPv6 pseudo-header: source(16) destination(16) transport length(4) zero(3) next header(1)
 * </pre>
 * Sums are kept unfolded in a {@code long} until {@link #fold}: each step adds less than 2^33, so no length an
 * {@code int} can hold overflows it.
 */
public final class TransportChecksum
{
    public static final int IPV4_SOURCE_OFFSET = 12;
    public static final int IPV6_SOURCE_OFFSET = 8;

    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private TransportChecksum()
    {
    }

    /**
     * @return {@code initial} plus the one's complement sum of {@code length} bytes (big-endian 16-bit words; an odd
     * last byte padded with zero), unfolded.
     */
    public static long sum(final DirectBuffer buffer, final int offset, final int length, final long initial)
    {
        buffer.boundsCheck(offset, length);
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset() + offset;
        // The bulk is summed in the machine's byte order (RFC 1071 §2(B): the sum is order independent up to a final
        // byte swap), 16 bytes per step into two accumulators, so neither a byte swap per word nor one long chain of
        // dependent additions limits the loop.
        long a = 0;
        long b = 0;
        int i = 0;
        for (; i + 16 <= length; i += 16)
        {
            final long w0 = UnsafeApi.getLong(array, address + i);
            final long w1 = UnsafeApi.getLong(array, address + i + 8);
            a += (w0 >>> 32) + (w0 & 0xFFFF_FFFFL);
            b += (w1 >>> 32) + (w1 & 0xFFFF_FFFFL);
        }
        int bulk = fold(a + b);
        if (NATIVE_LITTLE_ENDIAN)
        {
            bulk = Integer.reverseBytes(bulk) >>> 16;
        }
        long acc = initial + bulk;
        if (i + 8 <= length)
        {
            final long word = buffer.getLong(offset + i, BIG_ENDIAN);
            acc += (word >>> 32) + (word & 0xFFFF_FFFFL);
            i += 8;
        }
        if (i + 4 <= length)
        {
            acc += buffer.getInt(offset + i, BIG_ENDIAN) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i + 2 <= length)
        {
            acc += buffer.getShort(offset + i, BIG_ENDIAN) & 0xFFFF;
            i += 2;
        }
        if (i < length)
        {
            acc += (buffer.getByte(offset + i) & 0xFF) << 8;
        }
        return acc;
    }

    /** @return {@code sum} folded to 16 bits, not complemented. */
    public static int fold(final long sum)
    {
        long s = sum;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }

    /**
     * @param ipOffset        start of the IP header.
     * @param ipv6            the header is IPv6 (else IPv4).
     * @param protocol        transport protocol number.
     * @param transportLength transport header plus payload.
     * @return the pseudo-header sum, unfolded.
     */
    public static long pseudoHeader(
        final DirectBuffer buffer, final int ipOffset, final boolean ipv6, final int protocol, final int transportLength)
    {
        if (ipv6)
        {
            return sum(buffer, ipOffset + IPV6_SOURCE_OFFSET, 32, 0) + transportLength + protocol;
        }
        return sum(buffer, ipOffset + IPV4_SOURCE_OFFSET, 8, 0) + transportLength + protocol;
    }

    /**
     * Compute and store the full checksum of a transport header and payload.
     *
     * @param checksumOffset the checksum field.
     * @return the value stored.
     */
    public static int put(
        final MutableDirectBuffer buffer,
        final int ipOffset,
        final boolean ipv6,
        final int protocol,
        final int transportOffset,
        final int transportLength,
        final int checksumOffset)
    {
        buffer.putShort(checksumOffset, (short)0, BIG_ENDIAN);
        final long sum = sum(buffer, transportOffset, transportLength,
            pseudoHeader(buffer, ipOffset, ipv6, protocol, transportLength));
        int checksum = ~fold(sum) & 0xFFFF;
        if (checksum == 0 && protocol == 17)
        {
            checksum = 0xFFFF; // RFC 768: a computed zero is sent as all ones
        }
        buffer.putShort(checksumOffset, (short)checksum, BIG_ENDIAN);
        return checksum;
    }

    /** @return true if the transport checksum (pseudo-header included) verifies. */
    public static boolean verify(
        final DirectBuffer buffer,
        final int ipOffset,
        final boolean ipv6,
        final int protocol,
        final int transportOffset,
        final int transportLength)
    {
        final long sum = sum(buffer, transportOffset, transportLength,
            pseudoHeader(buffer, ipOffset, ipv6, protocol, transportLength));
        return fold(sum) == 0xFFFF;
    }

    /**
     * Finish a partial checksum ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}): the field already holds the pseudo-header sum;
     * sum from {@code start} to the end and store the complement at {@code start + fieldOffset}.
     */
    public static void completePartial(
        final MutableDirectBuffer buffer, final int start, final int end, final int fieldOffset)
    {
        final long sum = sum(buffer, start, end - start, 0);
        int checksum = ~fold(sum) & 0xFFFF;
        if (checksum == 0 && fieldOffset == VirtioNetHeader.UDP_CHECKSUM_FIELD)
        {
            checksum = 0xFFFF; // as the kernel's UDP does: zero would mean "no checksum"
        }
        buffer.putShort(start + fieldOffset, (short)checksum, BIG_ENDIAN);
    }
}
