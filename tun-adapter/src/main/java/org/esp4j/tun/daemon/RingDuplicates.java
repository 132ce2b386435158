package org.esp4j.tun.daemon;

import org.agrona.DirectBuffer;
import org.esp4j.core.esp.EspHeader;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;

import java.nio.ByteOrder;

/**
 * Recognises the second copy of one ESP packet taken by both the packet ring and the raw ESP socket. While the
 * conductor moves an SPI between the two paths (the ring's filter is widened before the early-drop table changes, and
 * narrowed after), the kernel can hand one packet to both; the copy processed second would otherwise fail the replay
 * check and be counted as {@code XfrmInStateSeqError}, indistinguishable from a real replay.
 * <p>
 * Each packet the inbound agent delivered is remembered by (SPI, sequence number, last 8 bytes of the ICV) and the
 * path it came by, in a direct-mapped table of {@link #CAPACITY} entries (no allocation; an entry is overwritten by a
 * later packet of the same slot). A packet that matches an entry of the <em>other</em> path is that packet's second
 * copy: dropped and counted as {@code TunRingDuplicateCopy}. A packet that matches an entry of its own path is a
 * replay on the wire and goes to the replay check as before. The two copies arrive within the same duty cycle or
 * the next few, so an entry only counts for {@link #COPY_WINDOW_NS}: a packet with the same bytes later on (an SA
 * installed again with the same SPI and key that sends the same plaintext again, as a lab's re-registration can) is a
 * new packet. Only ESP directly in IPv4 or IPv6 (no extension headers) is looked at: the ring takes nothing else.
 * Owned by the inbound agent's thread.
 */
final class RingDuplicates
{
    /** Entries remembered: well over the packets that can be in flight on both paths during one SA change. */
    static final int CAPACITY = 4096;

    /** How long after its delivery a packet's copy is recognised as one. */
    static final long COPY_WINDOW_NS = 50_000_000L;

    private final long[] deliveredNs = new long[CAPACITY];

    private final long[] spiAndSequence = new long[CAPACITY];
    private final long[] icvTails = new long[CAPACITY];
    private final boolean[] fromRing = new boolean[CAPACITY];
    private final boolean[] used = new boolean[CAPACITY];
    private long key;
    private long icvTail;
    private int slot = -1;

    /**
     * Look a received packet up (and keep its fingerprint for {@link #remember}).
     *
     * @return true if it is the second copy of a packet delivered from the other path.
     */
    boolean isSecondCopy(
        final DirectBuffer buffer, final int offset, final int length, final boolean ring, final long nowNs)
    {
        slot = -1;
        if (length < 1)
        {
            return false;
        }
        final int version = Ipv4Header.version(buffer, offset);
        final int esp;
        if (version == Ipv4Header.VERSION && length >= Ipv4Header.MIN_LENGTH)
        {
            esp = Ipv4Header.headerLength(buffer, offset);
            if (Ipv4Header.protocol(buffer, offset) != IpProtocol.ESP)
            {
                return false;
            }
        }
        else if (version == Ipv6Header.VERSION && length >= Ipv6Header.LENGTH)
        {
            esp = Ipv6Header.LENGTH;
            if (Ipv6Header.nextHeader(buffer, offset) != IpProtocol.ESP)
            {
                return false;
            }
        }
        else
        {
            return false;
        }
        if (length < esp + EspHeader.LENGTH + 8)
        {
            return false;
        }
        key = buffer.getLong(offset + esp, ByteOrder.BIG_ENDIAN); // SPI (32) | sequence number (32)
        icvTail = buffer.getLong(offset + length - 8, ByteOrder.BIG_ENDIAN);
        final long mixed = (key ^ icvTail) * 0x9E3779B97F4A7C15L;
        slot = (int)(mixed >>> 52) & (CAPACITY - 1);
        return used[slot] && spiAndSequence[slot] == key && icvTails[slot] == icvTail && fromRing[slot] != ring &&
            nowNs - deliveredNs[slot] <= COPY_WINDOW_NS;
    }

    /** The packet just looked up was delivered: remember it and its path. */
    void remember(final boolean ring, final long nowNs)
    {
        if (slot >= 0)
        {
            deliveredNs[slot] = nowNs;
            used[slot] = true;
            spiAndSequence[slot] = key;
            icvTails[slot] = icvTail;
            fromRing[slot] = ring;
        }
    }
}
