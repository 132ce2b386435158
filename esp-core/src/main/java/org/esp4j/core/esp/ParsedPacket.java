package org.esp4j.core.esp;

import org.agrona.DirectBuffer;

/**
 * Read-only view of the packet an {@link EspProcessor} (for its {@link OutboundObserver}) or an
 * {@link EspPacketClassifier} has just parsed: the selector fields. One instance per parser, valid until the next
 * packet (no allocation per packet).
 */
public final class ParsedPacket
{
    private final IpPacketInfo info;
    private DirectBuffer buffer;
    private int offset;

    ParsedPacket(final IpPacketInfo info)
    {
        this.info = info;
    }

    ParsedPacket wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** @return the buffer holding the packet. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** @return where the IP header starts in {@link #buffer()}. */
    public int offset()
    {
        return offset;
    }

    /** @return the packet's length by its IP length fields. */
    public int length()
    {
        return info.packetLength;
    }

    /** @return true for IPv4. */
    public boolean ipv4()
    {
        return info.ipv4;
    }

    /** @return the upper-layer protocol (behind IPv6 extension headers). */
    public int protocol()
    {
        return info.protocol;
    }

    /** @return the upper-layer source port (UDP, TCP, SCTP), or 0. */
    public int sourcePort()
    {
        return info.sourcePort;
    }

    /** @return the upper-layer destination port (UDP, TCP, SCTP), or 0. */
    public int destinationPort()
    {
        return info.destinationPort;
    }

    /** @return high 64 bits of the source address (IPv4-mapped for IPv4). */
    public long sourceHigh()
    {
        return info.sourceHigh;
    }

    /** @return low 64 bits of the source address. */
    public long sourceLow()
    {
        return info.sourceLow;
    }

    /** @return high 64 bits of the destination address (IPv4-mapped for IPv4). */
    public long destinationHigh()
    {
        return info.destinationHigh;
    }

    /** @return low 64 bits of the destination address. */
    public long destinationLow()
    {
        return info.destinationLow;
    }
}
