package org.esp4j.core.esp;

import org.agrona.DirectBuffer;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.UdpHeader;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Tells what an IP packet is, for tools that must route packets before processing them (which SAD, which log
 * line): raw ESP, RFC 3948 ESP-in-UDP, or something else, with its 5-tuple and, for ESP, its SPI and sequence.
 * Reuses its fields; one instance per thread.
 */
public final class EspPacketClassifier
{
    /** Not a parsable IP packet. */
    public static final int NOT_IP = 0;
    /** IP but not ESP. */
    public static final int PLAIN = 1;
    /** ESP as IP protocol 50. */
    public static final int ESP = 2;
    /** ESP inside UDP port 4500 (RFC 3948). */
    public static final int ESP_IN_UDP = 3;

    private final IpPacketInfo info = new IpPacketInfo();
    private long spi = -1;
    private long sequence = -1;

    /**
     * @param buffer packet buffer.
     * @param offset packet start.
     * @param length packet length.
     * @return {@link #NOT_IP}, {@link #PLAIN}, {@link #ESP} or {@link #ESP_IN_UDP}.
     */
    public int classify(final DirectBuffer buffer, final int offset, final int length)
    {
        spi = -1;
        sequence = -1;
        if (!info.parse(buffer, offset, length, false))
        {
            return NOT_IP;
        }
        int espAt = -1;
        int kind = PLAIN;
        if (info.protocol == IpProtocol.ESP)
        {
            espAt = info.upperOffset;
            kind = ESP;
        }
        else if (info.protocol == IpProtocol.UDP && info.destinationPort == UdpHeader.ESP_IN_UDP_PORT)
        {
            final int payload = info.upperOffset + UdpHeader.LENGTH;
            final int payloadLength = info.packetLength - payload;
            if (payloadLength > 1 && !(payloadLength >= 4 && buffer.getInt(offset + payload, BIG_ENDIAN) == 0))
            {
                espAt = payload;
                kind = ESP_IN_UDP;
            }
        }
        if (espAt >= 0 && info.packetLength - espAt >= 4)
        {
            spi = EspHeader.spi(buffer, offset + espAt);
            if (info.packetLength - espAt >= EspHeader.LENGTH)
            {
                sequence = EspHeader.sequence(buffer, offset + espAt);
            }
        }
        return kind;
    }

    /** @return the SPI of the last ESP packet, unsigned, or -1. */
    public long spi()
    {
        return spi;
    }

    /** @return the 32-bit wire sequence number of the last ESP packet, or -1. */
    public long sequence()
    {
        return sequence;
    }

    public boolean ipv4()
    {
        return info.ipv4;
    }

    public long sourceHigh()
    {
        return info.sourceHigh;
    }

    public long sourceLow()
    {
        return info.sourceLow;
    }

    public long destinationHigh()
    {
        return info.destinationHigh;
    }

    public long destinationLow()
    {
        return info.destinationLow;
    }

    public int protocol()
    {
        return info.protocol;
    }

    public int sourcePort()
    {
        return info.sourcePort;
    }

    public int destinationPort()
    {
        return info.destinationPort;
    }
}
