package org.esp4j.tun.offload;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Test helper: builds IPv4/IPv6 TCP packets byte by byte (with checksums from {@link #referenceSum}, a plain 16-bit
 * word loop written independently of esp-core's {@code InternetChecksum}) and reads their fields back. Everything
 * here works on {@code byte[]} so that expectations never go through the code under test.
 */
final class TcpPackets
{
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;
    static final int ECE = 0x40;
    static final int CWR = 0x80;

    static final byte[] V4_SRC = {(byte)198, 18, 0, 1};
    static final byte[] V4_DST = {(byte)198, 18, 0, 2};
    static final byte[] V6_SRC = {0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static final byte[] V6_DST = {0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

    private TcpPackets()
    {
    }

    /** @return NOP NOP TIMESTAMP(val, ecr): the 12 bytes Linux puts in every segment of a timestamped flow. */
    static byte[] timestamps(final long value, final long echo)
    {
        final byte[] o = new byte[12];
        o[0] = 1;
        o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        putInt(o, 4, value);
        putInt(o, 8, echo);
        return o;
    }

    /** Packet builder: defaults are an IPv4 ACK 198.18.0.1:40000 -> 198.18.0.2:5001 with DF, TTL 64. */
    static final class Builder
    {
        boolean ipv6;
        byte[] source;
        byte[] destination;
        int sourcePort = 40000;
        int destinationPort = 5001;
        long sequence = 1000;
        long acknowledgement = 77_000;
        int flags = ACK;
        int window = 502;
        /** Overrides the data offset nibble (words) when >= 0. */
        int dataOffsetWords = -1;
        byte[] tcpOptions = new byte[0];
        byte[] payload = new byte[0];
        int ttl = 64;
        int tos;
        int id = 0x1234;
        /** IPv4 flags and fragment offset field (DF by default). */
        int fragmentField = 0x4000;
        byte[] ipv4Options = new byte[0];
        int trafficClass;
        int flowLabel;
        int hopLimit = 64;
        /** An IPv6 destination-options extension header (next header 60) of 8 bytes between IPv6 and TCP. */
        boolean ipv6DestinationOptions;
        int protocol = 6;
        boolean checksums = true;

        Builder ipv6(final boolean v6)
        {
            ipv6 = v6;
            return this;
        }

        Builder seq(final long value)
        {
            sequence = value & 0xFFFF_FFFFL;
            return this;
        }

        Builder ack(final long value)
        {
            acknowledgement = value & 0xFFFF_FFFFL;
            return this;
        }

        Builder flags(final int value)
        {
            flags = value;
            return this;
        }

        Builder window(final int value)
        {
            window = value;
            return this;
        }

        Builder options(final byte[] value)
        {
            tcpOptions = value;
            return this;
        }

        Builder payload(final byte[] value)
        {
            payload = value;
            return this;
        }

        Builder ports(final int src, final int dst)
        {
            sourcePort = src;
            destinationPort = dst;
            return this;
        }

        Builder id(final int value)
        {
            id = value;
            return this;
        }

        Builder ttl(final int value)
        {
            ttl = value;
            hopLimit = value;
            return this;
        }

        Builder tos(final int value)
        {
            tos = value;
            trafficClass = value;
            return this;
        }

        Builder flowLabel(final int value)
        {
            flowLabel = value;
            return this;
        }

        Builder addresses(final byte[] src, final byte[] dst)
        {
            source = src;
            destination = dst;
            return this;
        }

        Builder copy()
        {
            final Builder b = new Builder();
            b.ipv6 = ipv6;
            b.source = source;
            b.destination = destination;
            b.sourcePort = sourcePort;
            b.destinationPort = destinationPort;
            b.sequence = sequence;
            b.acknowledgement = acknowledgement;
            b.flags = flags;
            b.window = window;
            b.dataOffsetWords = dataOffsetWords;
            b.tcpOptions = tcpOptions;
            b.payload = payload;
            b.ttl = ttl;
            b.tos = tos;
            b.id = id;
            b.fragmentField = fragmentField;
            b.ipv4Options = ipv4Options;
            b.trafficClass = trafficClass;
            b.flowLabel = flowLabel;
            b.hopLimit = hopLimit;
            b.ipv6DestinationOptions = ipv6DestinationOptions;
            b.protocol = protocol;
            b.checksums = checksums;
            return b;
        }

        byte[] build()
        {
            if (tcpOptions.length % 4 != 0 || ipv4Options.length % 4 != 0)
            {
                throw new IllegalArgumentException("options must be whole 32-bit words");
            }
            final int tcpHeader = 20 + tcpOptions.length;
            final int ipHeader = ipv6 ? 40 + (ipv6DestinationOptions ? 8 : 0) : 20 + ipv4Options.length;
            final int length = ipHeader + tcpHeader + payload.length;
            final byte[] p = new byte[length];
            if (ipv6)
            {
                final byte[] src = source != null ? source : V6_SRC;
                final byte[] dst = destination != null ? destination : V6_DST;
                putInt(p, 0, (6L << 28) | ((long)(trafficClass & 0xFF) << 20) | (flowLabel & 0xFFFFF));
                putShort(p, 4, length - 40);
                p[6] = (byte)(ipv6DestinationOptions ? 60 : protocol);
                p[7] = (byte)hopLimit;
                System.arraycopy(src, 0, p, 8, 16);
                System.arraycopy(dst, 0, p, 24, 16);
                if (ipv6DestinationOptions)
                {
                    p[40] = (byte)protocol; // next header
                    p[41] = 0;              // (0 + 1) * 8 bytes
                    p[42] = 1;              // PadN, 4 bytes of padding
                    p[43] = 4;
                }
            }
            else
            {
                final byte[] src = source != null ? source : V4_SRC;
                final byte[] dst = destination != null ? destination : V4_DST;
                p[0] = (byte)(0x40 | (ipHeader / 4));
                p[1] = (byte)tos;
                putShort(p, 2, length);
                putShort(p, 4, id);
                putShort(p, 6, fragmentField);
                p[8] = (byte)ttl;
                p[9] = (byte)protocol;
                System.arraycopy(src, 0, p, 12, 4);
                System.arraycopy(dst, 0, p, 16, 4);
                System.arraycopy(ipv4Options, 0, p, 20, ipv4Options.length);
                if (checksums)
                {
                    putShort(p, 10, ~referenceSum(p, 0, ipHeader, 0) & 0xFFFF);
                }
            }
            final int t = ipHeader;
            putShort(p, t, sourcePort);
            putShort(p, t + 2, destinationPort);
            putInt(p, t + 4, sequence);
            putInt(p, t + 8, acknowledgement);
            p[t + 12] = (byte)((dataOffsetWords >= 0 ? dataOffsetWords : tcpHeader / 4) << 4);
            p[t + 13] = (byte)flags;
            putShort(p, t + 14, window);
            System.arraycopy(tcpOptions, 0, p, t + 20, tcpOptions.length);
            System.arraycopy(payload, 0, p, t + tcpHeader, payload.length);
            if (checksums && protocol == 6)
            {
                putShort(p, t + 16, referenceTransportChecksum(p, 6, 16));
            }
            return p;
        }
    }

    static Builder tcp()
    {
        return new Builder();
    }

    // ------------------------------------------------------------------ reference checksum

    /**
     * The reference: one's complement sum of 16-bit big-endian words (odd last byte padded), folded after every
     * addition, plus {@code initial}; returns the folded sum, not complemented.
     */
    static int referenceSum(final byte[] b, final int offset, final int length, final int initial)
    {
        int sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int hi = b[offset + i] & 0xFF;
            final int lo = i + 1 < length ? b[offset + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
    }

    /** @return folded pseudo-header sum of the packet's transport (TCP or, by {@code protocol}, UDP). */
    static int referencePseudoHeader(final byte[] p, final int protocol)
    {
        final int transportLength = p.length - transportOffset(p);
        int sum;
        if (version(p) == 6)
        {
            sum = referenceSum(p, 8, 32, 0);
            sum = referenceSum(new byte[] {
                (byte)(transportLength >>> 24), (byte)(transportLength >>> 16), (byte)(transportLength >>> 8),
                (byte)transportLength, 0, 0, 0, (byte)protocol}, 0, 8, sum);
        }
        else
        {
            sum = referenceSum(p, 12, 8, 0);
            sum = referenceSum(new byte[] {0, (byte)protocol, (byte)(transportLength >>> 8), (byte)transportLength},
                0, 4, sum);
        }
        return sum;
    }

    /** @return the transport checksum the packet should carry (computed with its field taken as zero). */
    static int referenceTransportChecksum(final byte[] p, final int protocol, final int fieldOffset)
    {
        final int t = transportOffset(p);
        final byte[] copy = Arrays.copyOf(p, p.length);
        copy[t + fieldOffset] = 0;
        copy[t + fieldOffset + 1] = 0;
        final int sum = referenceSum(copy, t, p.length - t, referencePseudoHeader(p, protocol));
        return ~sum & 0xFFFF;
    }

    /** @return true if the TCP checksum of the packet verifies (pseudo-header included). */
    static boolean tcpChecksumValid(final byte[] p)
    {
        final int t = transportOffset(p);
        return referenceSum(p, t, p.length - t, referencePseudoHeader(p, 6)) == 0xFFFF;
    }

    /** @return true if the IPv4 header checksum verifies. */
    static boolean ipv4HeaderChecksumValid(final byte[] p)
    {
        return referenceSum(p, 0, (p[0] & 0xF) * 4, 0) == 0xFFFF;
    }

    // ------------------------------------------------------------------ field access

    static int version(final byte[] p)
    {
        return (p[0] >> 4) & 0xF;
    }

    /** @return offset of the transport header (IPv4 IHL; IPv6 after destination/hop-by-hop options headers). */
    static int transportOffset(final byte[] p)
    {
        if (version(p) == 4)
        {
            return (p[0] & 0xF) * 4;
        }
        int next = p[6] & 0xFF;
        int offset = 40;
        while (next == 0 || next == 60 || next == 43)
        {
            next = p[offset] & 0xFF;
            offset += ((p[offset + 1] & 0xFF) + 1) * 8;
        }
        return offset;
    }

    static int tcpHeaderLength(final byte[] p)
    {
        return ((p[transportOffset(p) + 12] >> 4) & 0xF) * 4;
    }

    static int headersLength(final byte[] p)
    {
        return transportOffset(p) + tcpHeaderLength(p);
    }

    static long seq(final byte[] p)
    {
        return getInt(p, transportOffset(p) + 4);
    }

    static long ack(final byte[] p)
    {
        return getInt(p, transportOffset(p) + 8);
    }

    static int tcpFlags(final byte[] p)
    {
        return p[transportOffset(p) + 13] & 0xFF;
    }

    static int window(final byte[] p)
    {
        return getShort(p, transportOffset(p) + 14);
    }

    static int tcpChecksumField(final byte[] p)
    {
        return getShort(p, transportOffset(p) + 16);
    }

    static int sourcePort(final byte[] p)
    {
        return getShort(p, transportOffset(p));
    }

    static int destinationPort(final byte[] p)
    {
        return getShort(p, transportOffset(p) + 2);
    }

    static int ipv4TotalLength(final byte[] p)
    {
        return getShort(p, 2);
    }

    static int ipv4Id(final byte[] p)
    {
        return getShort(p, 4);
    }

    static int ipv6PayloadLength(final byte[] p)
    {
        return getShort(p, 4);
    }

    static byte[] payload(final byte[] p)
    {
        return Arrays.copyOfRange(p, headersLength(p), p.length);
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static int getShort(final byte[] b, final int offset)
    {
        return ((b[offset] & 0xFF) << 8) | (b[offset + 1] & 0xFF);
    }

    static long getInt(final byte[] b, final int offset)
    {
        return ((long)(b[offset] & 0xFF) << 24) | ((b[offset + 1] & 0xFF) << 16) | ((b[offset + 2] & 0xFF) << 8) |
            (b[offset + 3] & 0xFF);
    }

    static void putShort(final byte[] b, final int offset, final int value)
    {
        b[offset] = (byte)(value >>> 8);
        b[offset + 1] = (byte)value;
    }

    static void putInt(final byte[] b, final int offset, final long value)
    {
        b[offset] = (byte)(value >>> 24);
        b[offset + 1] = (byte)(value >>> 16);
        b[offset + 2] = (byte)(value >>> 8);
        b[offset + 3] = (byte)value;
    }

    static byte[] randomBytes(final java.util.Random random, final int length)
    {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }
}
