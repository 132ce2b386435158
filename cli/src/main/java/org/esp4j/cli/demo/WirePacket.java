package org.esp4j.cli.demo;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.esp.EspHeader;
import org.esp4j.core.esp.EspTrailer;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.TcpHeader;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One TCP, UDP or ESP packet of the demo's capture, as the wire check needs it: direction, ports, SPI and, where it
 * can be read (clear, or ESP with NULL encryption, RFC 2410), the SIP start line it carries. IPv6 without extension
 * headers and IPv4; ESP raw (protocol 50) or in UDP port 4500 (RFC 3948).
 *
 * @param index     frame number from 1.
 * @param timeNs    capture time.
 * @param source    IP source.
 * @param protocol  6 or 17 of the SIP (for ESP: the inner protocol when readable, else 0).
 * @param sport     source port (inner, for readable ESP; else 0).
 * @param dport     destination port (same).
 * @param spi       the ESP SPI (unsigned 32-bit), or -1 for a clear packet.
 * @param startLine the SIP start line the payload begins with, or null.
 * @param dataBytes bytes of TCP/UDP payload (readable packets only; else -1).
 */
record WirePacket(long index, long timeNs, InetAddress source, int protocol, int sport, int dport, long spi,
    String startLine, int dataBytes)
{
    /**
     * @param pcap       the capture.
     * @param icvBytes   ICV length of the SAs (to find the NULL-encrypted payload's end).
     * @param nullCipher true when the ESP payload is in clear (NULL encryption).
     * @return the TCP/UDP/ESP packets in capture order.
     * @throws IOException when the capture cannot be read.
     */
    static List<WirePacket> read(final Path pcap, final int icvBytes, final boolean nullCipher) throws IOException
    {
        final List<WirePacket> packets = new ArrayList<>();
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            long index = 0;
            while (reader.next(frame))
            {
                index++;
                final WirePacket packet = parse(index, frame, icvBytes, nullCipher);
                if (packet != null)
                {
                    packets.add(packet);
                }
            }
        }
        return packets;
    }

    private static WirePacket parse(final long index, final PcapFrame frame, final int icvBytes, final boolean nullCipher)
        throws IOException
    {
        final byte[] data = frame.data();
        final int ip = frame.networkOffset();
        if (ip < 0 || frame.length() - ip < Ipv4Header.MIN_LENGTH)
        {
            return null;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(data, 0, frame.length());
        final int version = Ipv4Header.version(buffer, ip);
        final int protocol;
        final int payload;
        final InetAddress source;
        if (version == Ipv6Header.VERSION && frame.length() - ip >= Ipv6Header.LENGTH)
        {
            protocol = Ipv6Header.nextHeader(buffer, ip);
            payload = ip + Ipv6Header.LENGTH;
            source = address(data, ip + Ipv6Header.SOURCE_OFFSET, 16);
        }
        else if (version == Ipv4Header.VERSION)
        {
            protocol = Ipv4Header.protocol(buffer, ip);
            payload = ip + Ipv4Header.headerLength(buffer, ip);
            source = address(data, ip + Ipv4Header.SOURCE_OFFSET, 4);
        }
        else
        {
            return null;
        }
        final int end = frame.length();
        if (protocol == IpProtocol.ESP)
        {
            return esp(index, frame.timestampNs(), source, buffer, payload, end, icvBytes, nullCipher);
        }
        if (protocol == IpProtocol.UDP && end - payload >= UdpHeader.LENGTH + EspHeader.SEQUENCE_OFFSET &&
            UdpHeader.destinationPort(buffer, payload) == UdpHeader.ESP_IN_UDP_PORT &&
            EspHeader.spi(buffer, payload + UdpHeader.LENGTH) != 0)
        {
            return esp(index, frame.timestampNs(), source, buffer, payload + UdpHeader.LENGTH, end, icvBytes,
                nullCipher);
        }
        if (protocol != IpProtocol.TCP && protocol != IpProtocol.UDP)
        {
            return null;
        }
        final int from = dataOffset(buffer, protocol, payload);
        return new WirePacket(index, frame.timestampNs(), source, protocol, UdpHeader.sourcePort(buffer, payload),
            UdpHeader.destinationPort(buffer, payload), -1, startLine(data, from, end), Math.max(0, end - from));
    }

    private static InetAddress address(final byte[] data, final int at, final int length) throws IOException
    {
        return InetAddress.getByAddress(Arrays.copyOfRange(data, at, at + length));
    }

    private static WirePacket esp(
        final long index, final long timeNs, final InetAddress source, final UnsafeBuffer buffer, final int esp,
        final int end, final int icvBytes, final boolean nullCipher)
    {
        final long spi = EspHeader.spi(buffer, esp);
        if (!nullCipher || end - esp < EspHeader.LENGTH + EspTrailer.LENGTH + icvBytes + 8)
        {
            return new WirePacket(index, timeNs, source, 0, 0, 0, spi, null, -1);
        }
        // RFC 4303 §2: SPI, sequence number, payload, padding, pad length, next header, ICV; NULL has no IV.
        final int trailer = end - icvBytes - EspTrailer.LENGTH;
        final int nextHeader = EspTrailer.nextHeader(buffer, trailer);
        final int inner = esp + EspHeader.LENGTH;
        final int innerEnd = trailer - EspTrailer.padLength(buffer, trailer);
        if (innerEnd - inner < 8 || nextHeader != IpProtocol.TCP && nextHeader != IpProtocol.UDP)
        {
            return new WirePacket(index, timeNs, source, 0, 0, 0, spi, null, -1);
        }
        final int from = dataOffset(buffer, nextHeader, inner);
        return new WirePacket(index, timeNs, source, nextHeader, UdpHeader.sourcePort(buffer, inner),
            UdpHeader.destinationPort(buffer, inner), spi, startLine(buffer.byteArray(), from, innerEnd),
            Math.max(0, innerEnd - from));
    }

    private static int dataOffset(final UnsafeBuffer buffer, final int protocol, final int transport)
    {
        return protocol == IpProtocol.UDP ? transport + UdpHeader.LENGTH :
            transport + TcpHeader.headerLength(buffer, transport);
    }

    private static String startLine(final byte[] data, final int from, final int end)
    {
        if (from >= end)
        {
            return null;
        }
        int eol = from;
        while (eol < end && data[eol] != '\r' && data[eol] != '\n')
        {
            eol++;
        }
        final String line = new String(data, from, eol - from, StandardCharsets.US_ASCII);
        return line.endsWith(" SIP/2.0") || line.startsWith("SIP/2.0 ") ? line : null;
    }

    /**
     * @return the SIP summary as the ladder writes it: the method, or the status code and reason.
     */
    String summary()
    {
        if (startLine == null)
        {
            return null;
        }
        return startLine.startsWith("SIP/2.0 ") ? startLine.substring(8) : startLine.substring(0, startLine.indexOf(' '));
    }
}
