package org.esp4j.core.ip;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The Internet checksum, RFC 1071: the one's complement of the one's complement sum of 16-bit big-endian words; for
 * the IPv4 header (RFC 791 §3.1) and for TCP and UDP over IPv4 (RFC 9293 §3.1, RFC 768) and IPv6 (RFC 8200 §8.1),
 * whose sums start with a pseudo-header.
 * <pre>
 * IPv4 pseudo-header: source(4) destination(4) zero(1) protocol(1) transport length(2)
 * IPv6 pseudo-header: source(16) destination(16) transport length(4) zero(3) next header(1)
 * </pre>
 * Sums are kept unfolded in a {@code long} ({@link #sum}); each step adds less than 2^33, so no length an
 * {@code int} can hold overflows it. {@link #fold} gives the 16-bit sum (what a receiver compares with 0xFFFF, and
 * what a partial checksum field holds); {@link #foldAndComplement} gives the checksum to store.
 */
public final class InternetChecksum
{
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private InternetChecksum()
    {
    }

    /**
     * Add bytes to a running sum.
     *
     * @param buffer  source.
     * @param offset  first byte.
     * @param length  byte count (an odd last byte is padded with zero).
     * @param initial running sum, unfolded.
     * @return {@code initial} plus the sum of the bytes as big-endian 16-bit words, unfolded.
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

    /**
     * @param sum a running sum (unsigned).
     * @return the sum folded to 16 bits, NOT complemented: 0xFFFF when a received checksum verifies.
     */
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
     * @param sum a running sum over everything the checksum covers, the checksum field taken as zero.
     * @return the checksum to store: the complement of the folded sum.
     */
    public static int foldAndComplement(final long sum)
    {
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * @param buffer          the packet.
     * @param ipv4Offset      start of the IPv4 header.
     * @param protocol        transport protocol number.
     * @param transportLength transport header plus payload.
     * @return the IPv4 pseudo-header sum, unfolded.
     */
    public static long ipv4PseudoHeaderSum(
        final DirectBuffer buffer, final int ipv4Offset, final int protocol, final int transportLength)
    {
        return sum(buffer, ipv4Offset + Ipv4Header.SOURCE_OFFSET, 8, 0) + transportLength + protocol;
    }

    /**
     * @param buffer          the packet.
     * @param ipv6Offset      start of the IPv6 header.
     * @param nextHeader      transport protocol number.
     * @param transportLength transport header plus payload (a 32-bit field: both of its words count).
     * @return the IPv6 pseudo-header sum, unfolded.
     */
    public static long ipv6PseudoHeaderSum(
        final DirectBuffer buffer, final int ipv6Offset, final int nextHeader, final int transportLength)
    {
        return sum(buffer, ipv6Offset + Ipv6Header.SOURCE_OFFSET, 32, 0) + (transportLength & 0xFFFF_FFFFL) +
            nextHeader;
    }

    /**
     * @param buffer          the packet.
     * @param ipOffset        start of the IP header.
     * @param ipv6            the header is IPv6 (else IPv4).
     * @param protocol        transport protocol number.
     * @param transportLength transport header plus payload.
     * @return the pseudo-header sum, unfolded.
     */
    public static long pseudoHeaderSum(
        final DirectBuffer buffer,
        final int ipOffset,
        final boolean ipv6,
        final int protocol,
        final int transportLength)
    {
        return ipv6 ? ipv6PseudoHeaderSum(buffer, ipOffset, protocol, transportLength) :
            ipv4PseudoHeaderSum(buffer, ipOffset, protocol, transportLength);
    }

    /**
     * Compute and store the checksum of a transport header and payload, pseudo-header included. A UDP checksum that
     * computes to zero is sent as all ones (RFC 768), since zero means "no checksum".
     *
     * @param buffer          the packet.
     * @param ipOffset        start of the IP header.
     * @param ipv6            the header is IPv6 (else IPv4).
     * @param protocol        transport protocol number.
     * @param transportOffset start of the transport header.
     * @param transportLength transport header plus payload.
     * @param checksumOffset  the checksum field.
     * @return the value stored.
     */
    public static int putTransportChecksum(
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
            pseudoHeaderSum(buffer, ipOffset, ipv6, protocol, transportLength));
        int checksum = foldAndComplement(sum);
        if (checksum == 0 && protocol == IpProtocol.UDP)
        {
            checksum = 0xFFFF;
        }
        buffer.putShort(checksumOffset, (short)checksum, BIG_ENDIAN);
        return checksum;
    }

    /**
     * @param buffer          the packet.
     * @param ipOffset        start of the IP header.
     * @param ipv6            the header is IPv6 (else IPv4).
     * @param protocol        transport protocol number.
     * @param transportOffset start of the transport header.
     * @param transportLength transport header plus payload.
     * @return true if the transport checksum (pseudo-header included) verifies.
     */
    public static boolean verifyTransportChecksum(
        final DirectBuffer buffer,
        final int ipOffset,
        final boolean ipv6,
        final int protocol,
        final int transportOffset,
        final int transportLength)
    {
        final long sum = sum(buffer, transportOffset, transportLength,
            pseudoHeaderSum(buffer, ipOffset, ipv6, protocol, transportLength));
        return fold(sum) == 0xFFFF;
    }
}
