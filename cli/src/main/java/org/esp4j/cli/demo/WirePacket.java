package org.esp4j.cli.demo;

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
    static final int ESP_IN_UDP_PORT = 4500;

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
        if (ip < 0 || frame.length() - ip < 20)
        {
            return null;
        }
        final int version = (data[ip] >> 4) & 0xF;
        final int protocol;
        final int payload;
        final InetAddress source;
        if (version == 6 && frame.length() - ip >= 40)
        {
            protocol = data[ip + 6] & 0xFF;
            payload = ip + 40;
            source = InetAddress.getByAddress(Arrays.copyOfRange(data, ip + 8, ip + 24));
        }
        else if (version == 4)
        {
            protocol = data[ip + 9] & 0xFF;
            payload = ip + (data[ip] & 0xF) * 4;
            source = InetAddress.getByAddress(Arrays.copyOfRange(data, ip + 12, ip + 16));
        }
        else
        {
            return null;
        }
        final int end = frame.length();
        if (protocol == 50)
        {
            return esp(index, frame.timestampNs(), source, data, payload, end, icvBytes, nullCipher);
        }
        if (protocol == 17 && end - payload >= 12 && u16(data, payload + 2) == ESP_IN_UDP_PORT &&
            u32(data, payload + 8) != 0)
        {
            return esp(index, frame.timestampNs(), source, data, payload + 8, end, icvBytes, nullCipher);
        }
        if (protocol != 6 && protocol != 17)
        {
            return null;
        }
        final int from = dataOffset(data, protocol, payload);
        return new WirePacket(index, frame.timestampNs(), source, protocol, u16(data, payload), u16(data, payload + 2),
            -1, startLine(data, from, end), Math.max(0, end - from));
    }

    private static WirePacket esp(
        final long index, final long timeNs, final InetAddress source, final byte[] data, final int esp, final int end,
        final int icvBytes, final boolean nullCipher)
    {
        final long spi = u32(data, esp);
        if (!nullCipher || end - esp < 8 + 2 + icvBytes + 8)
        {
            return new WirePacket(index, timeNs, source, 0, 0, 0, spi, null, -1);
        }
        // RFC 4303 §2: SPI, sequence number, payload, padding, pad length, next header, ICV; NULL has no IV.
        final int nextHeader = data[end - icvBytes - 1] & 0xFF;
        final int padLength = data[end - icvBytes - 2] & 0xFF;
        final int inner = esp + 8;
        final int innerEnd = end - icvBytes - 2 - padLength;
        if (innerEnd - inner < 8 || nextHeader != 6 && nextHeader != 17)
        {
            return new WirePacket(index, timeNs, source, 0, 0, 0, spi, null, -1);
        }
        final int from = dataOffset(data, nextHeader, inner);
        return new WirePacket(index, timeNs, source, nextHeader, u16(data, inner), u16(data, inner + 2), spi,
            startLine(data, from, innerEnd), Math.max(0, innerEnd - from));
    }

    private static int dataOffset(final byte[] data, final int protocol, final int transport)
    {
        return protocol == 17 ? transport + 8 : transport + ((data[transport + 12] >> 4) & 0xF) * 4;
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

    private static int u16(final byte[] data, final int at)
    {
        return ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
    }

    private static long u32(final byte[] data, final int at)
    {
        return ((long)u16(data, at) << 16) | u16(data, at + 2);
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
