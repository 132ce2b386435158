package org.esp4j.tun.offload;

import java.util.Arrays;

/**
 * Test helper: IPv4 (no options, DF) and IPv6 UDP datagrams built byte by byte, with the checksums of the reference
 * sum in {@link TcpPackets} (RFC 1071 word by word, not the production {@link TransportChecksum}).
 */
final class UdpPackets
{
    static final int SOURCE_PORT = 40000;
    static final int DESTINATION_PORT = 5001;

    private UdpPackets()
    {
    }

    /** A datagram from {@code source} to {@code destination} (4 or 16 bytes each) with the given ports and payload. */
    static byte[] datagram(
        final byte[] source, final byte[] destination, final int sourcePort, final int destinationPort,
        final byte[] payload)
    {
        final boolean ipv6 = source.length == 16;
        final int ipHeader = ipv6 ? 40 : 20;
        final int udpLength = 8 + payload.length;
        final byte[] p = new byte[ipHeader + udpLength];
        if (ipv6)
        {
            p[0] = 0x60;
            TcpPackets.putShort(p, 4, udpLength);
            p[6] = 17;
            p[7] = 64;
            System.arraycopy(source, 0, p, 8, 16);
            System.arraycopy(destination, 0, p, 24, 16);
        }
        else
        {
            p[0] = 0x45;
            TcpPackets.putShort(p, 2, p.length);
            TcpPackets.putShort(p, 4, 0x1234);
            p[6] = 0x40; // DF
            p[8] = 64;
            p[9] = 17;
            System.arraycopy(source, 0, p, 12, 4);
            System.arraycopy(destination, 0, p, 16, 4);
            TcpPackets.putShort(p, 10, ~TcpPackets.referenceSum(p, 0, 20, 0) & 0xFFFF);
        }
        TcpPackets.putShort(p, ipHeader, sourcePort);
        TcpPackets.putShort(p, ipHeader + 2, destinationPort);
        TcpPackets.putShort(p, ipHeader + 4, udpLength);
        System.arraycopy(payload, 0, p, ipHeader + 8, payload.length);
        int checksum = TcpPackets.referenceTransportChecksum(p, 17, 6);
        if (checksum == 0)
        {
            checksum = 0xFFFF;
        }
        TcpPackets.putShort(p, ipHeader + 6, checksum);
        return p;
    }

    /** A datagram between the {@link TcpPackets} test addresses. */
    static byte[] datagram(final boolean ipv6, final byte[] payload)
    {
        return datagram(ipv6 ? TcpPackets.V6_SRC : TcpPackets.V4_SRC, ipv6 ? TcpPackets.V6_DST : TcpPackets.V4_DST,
            SOURCE_PORT, DESTINATION_PORT, payload);
    }

    /** @return true if the UDP checksum verifies (pseudo-header included). */
    static boolean checksumValid(final byte[] p)
    {
        final int t = TcpPackets.transportOffset(p);
        return TcpPackets.referenceSum(p, t, p.length - t, TcpPackets.referencePseudoHeader(p, 17)) == 0xFFFF;
    }

    static byte[] payload(final byte[] p)
    {
        return Arrays.copyOfRange(p, TcpPackets.transportOffset(p) + 8, p.length);
    }
}
