package org.esp4j.sip;

import org.esp4j.sip.ip.IpPacket;
import org.esp4j.sip.lifecycle.FlowKey;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.LifecycleListener;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaLifecycleEngine;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.lifecycle.SecurityAssociationSink;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.message.SipStreamFramer;
import org.esp4j.sip.message.Transport;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Facade of the SIP bridge: feed it the SIP signalling of IMS registrations and it drives the SA lifecycle
 * (see {@link SaLifecycleEngine}), installing and removing SAs in the {@link SecurityAssociationSink} given.
 * <p>
 * Feed each message as it crosses the wire: a received message when it arrives, a sent one once it has gone out
 * (a de-registration's SAs are removed when its final response is fed). The one exception is the P-CSCF's 401 from
 * the S-CSCF: feed it on arrival, and forward the {@link LifecycleEvent.Type#MESSAGE_REWRITTEN} message the bridge
 * returns (Security-Server added, {@code ck}/{@code ik} stripped) -- unless the bridge is
 * {@link LifecycleConfig#passive() passive}, when the P-CSCF's own 401 to the UE is fed like any sent message.
 * <p>
 * TCP input may be whole messages or any split of the stream: it is framed per flow by Content-Length. Not
 * thread-safe: drive one bridge from one thread.
 */
public final class SipBridge
{
    private final SaLifecycleEngine engine;
    private final Role role;
    private final TcpReassembly tcp;
    private final java.util.function.LongSupplier clock;

    private static final long SEQUENCE_MASK = 0xFFFF_FFFFL;

    /**
     * @param config   role, timers, pools, credentials.
     * @param sink     where SAs are installed.
     * @param listener receives every event as it happens (also returned by each call).
     */
    public SipBridge(final LifecycleConfig config, final SecurityAssociationSink sink, final LifecycleListener listener)
    {
        this(config, sink, listener, TcpReassembly.withDefaults());
    }

    /**
     * @param config   role, timers, pools, credentials.
     * @param sink     where SAs are installed.
     * @param listener receives every event as it happens (also returned by each call).
     * @param tcp      the bounded TCP reassembly state (its limits).
     */
    public SipBridge(
        final LifecycleConfig config, final SecurityAssociationSink sink, final LifecycleListener listener, final TcpReassembly tcp)
    {
        this.engine = new SaLifecycleEngine(config, sink, listener);
        this.role = config.role();
        this.tcp = tcp;
        this.clock = config.nanoClock();
    }

    /**
     * @return the role played.
     */
    public Role role()
    {
        return role;
    }

    /**
     * Feed SIP bytes: a UDP datagram, or TCP stream bytes (whole messages or fragments).
     *
     * @param transport UDP or TCP.
     * @param src       source address.
     * @param srcPort   source port.
     * @param dst       destination address.
     * @param dstPort   destination port.
     * @param bytes     buffer.
     * @param offset    first byte.
     * @param length    number of bytes.
     * @return what the bridge did; a parse failure is a {@link LifecycleEvent.Type#PARSE_ERROR} event, not an
     * exception.
     */
    public List<LifecycleEvent> onMessage(
        final Transport transport,
        final InetAddress src,
        final int srcPort,
        final InetAddress dst,
        final int dstPort,
        final byte[] bytes,
        final int offset,
        final int length)
    {
        if (transport == Transport.UDP)
        {
            final SipMessage message;
            try
            {
                message = SipMessageParser.parse(bytes, offset, length);
            }
            catch (final SipParseException ex)
            {
                return List.of(LifecycleEvent.parseError(ex.getMessage()));
            }
            return engine.onMessage(message, src, srcPort, dst, dstPort);
        }
        final long nowNs = clock.getAsLong();
        final FlowKey key = new FlowKey(src, srcPort, dst, dstPort);
        TcpReassembly.Flow flow = tcp.get(key, nowNs);
        if (flow == null)
        {
            flow = tcp.create(key, nowNs);
        }
        tcp.reopen(flow);
        final List<LifecycleEvent> events = frame(flow, key, bytes, offset, length);
        if (flow.framer == null && flow.nextSequence < 0)
        {
            tcp.remove(key); // stream bytes without segment numbers: nothing to keep between messages
        }
        return events;
    }

    private List<LifecycleEvent> frame(
        final TcpReassembly.Flow flow, final FlowKey key, final byte[] bytes, final int offset, final int length)
    {
        final InetAddress src = key.src();
        final int srcPort = key.srcPort();
        final InetAddress dst = key.dst();
        final int dstPort = key.dstPort();
        if (!tcp.admit(flow, length))
        {
            return List.of(LifecycleEvent.parseError("TCP " + org.esp4j.sip.util.InetAddressText.format(src, srcPort) +
                " -> " + org.esp4j.sip.util.InetAddressText.format(dst, dstPort) + ": more than " + tcp.maxBytesPerFlow() +
                " bytes buffered without a complete message, partial message dropped"));
        }
        if (flow.framer == null)
        {
            flow.framer = new SipStreamFramer();
        }
        final List<SipMessage> messages;
        try
        {
            messages = flow.framer.onBytes(bytes, offset, length);
        }
        catch (final SipParseException ex)
        {
            tcp.dropPartial(flow);
            return List.of(LifecycleEvent.parseError(ex.getMessage()));
        }
        if (flow.framer.bufferedBytes() == 0)
        {
            tcp.dropPartial(flow);
        }
        if (messages.isEmpty())
        {
            return List.of();
        }
        if (messages.size() == 1)
        {
            return engine.onMessage(messages.get(0), src, srcPort, dst, dstPort);
        }
        final List<LifecycleEvent> events = new ArrayList<>();
        for (final SipMessage message : messages)
        {
            events.addAll(engine.onMessage(message, src, srcPort, dst, dstPort));
        }
        return events;
    }

    /**
     * Feed a message already parsed (e.g. from a trace).
     *
     * @param message the message.
     * @param src     source address.
     * @param srcPort source port.
     * @param dst     destination address.
     * @param dstPort destination port.
     * @return what the bridge did.
     */
    public List<LifecycleEvent> onMessage(
        final SipMessage message, final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort)
    {
        return engine.onMessage(message, src, srcPort, dst, dstPort);
    }

    /**
     * Feed a plaintext IPv4 or IPv6 packet; SIP in its UDP or TCP payload is processed, anything else ignored.
     * TCP payloads are reassembled per flow in sequence order (a gap drops the partial message).
     *
     * @param packet buffer holding the packet.
     * @param offset first byte of the IP header.
     * @param length packet length.
     * @return what the bridge did.
     */
    public List<LifecycleEvent> onIpPacket(final byte[] packet, final int offset, final int length)
    {
        final IpPacket ip;
        try
        {
            ip = IpPacket.parse(packet, offset, length);
        }
        catch (final IllegalArgumentException ex)
        {
            return List.of(LifecycleEvent.parseError(ex.getMessage()));
        }
        return onIpPacket(ip, packet);
    }

    /**
     * Feed a plaintext packet already parsed (by the caller, who needed its fields first): as
     * {@link #onIpPacket(byte[], int, int)} without parsing it again.
     *
     * @param ip     the parsed packet, or null (not UDP or TCP, or a fragment: ignored).
     * @param packet buffer holding the packet {@code ip} was parsed from.
     * @return what the bridge did.
     */
    public List<LifecycleEvent> onIpPacket(final IpPacket ip, final byte[] packet)
    {
        if (ip == null)
        {
            return List.of();
        }
        if (!ip.isTcp())
        {
            if (ip.payloadLength() == 0 || !looksLikeSip(packet, ip.payloadOffset(), ip.payloadLength()))
            {
                return List.of();
            }
            return onMessage(Transport.UDP, ip.src(), ip.srcPort(), ip.dst(), ip.dstPort(),
                packet, ip.payloadOffset(), ip.payloadLength());
        }
        return onTcpSegment(ip, packet);
    }

    private List<LifecycleEvent> onTcpSegment(final IpPacket ip, final byte[] packet)
    {
        final long nowNs = clock.getAsLong();
        final FlowKey key = new FlowKey(ip.src(), ip.srcPort(), ip.dst(), ip.dstPort());
        TcpReassembly.Flow flow = tcp.get(key, nowNs);
        final int flags = ip.tcpFlags();
        final long timestamp = ip.tcpTimestamp();
        final boolean reset = (flags & IpPacket.TCP_RST) != 0;
        final boolean fin = (flags & IpPacket.TCP_FIN) != 0;
        long sequence = ip.tcpSequence();
        int offset = ip.payloadOffset();
        int length = ip.payloadLength();
        if ((flags & IpPacket.TCP_SYN) != 0)
        {
            sequence = (sequence + 1) & SEQUENCE_MASK;
            if (flow == null)
            {
                // A new connection, perhaps on addresses and ports a closed one used whose state is gone (a UE that
                // reuses its port-c): its sequence numbers from here, so that a late retransmission of the old
                // connection (a de-REGISTER sent again) is not taken as the start of this one's stream.
                flow = tcp.create(key, nowNs);
                tcp.newConnection(flow, sequence, timestamp);
            }
            else if (flow.startSequence == sequence)
            {
                // The same SYN again (its SYN-ACK lost, or seen late): not a new connection, nothing to start over.
            }
            else if (TcpReassembly.isBefore(timestamp, flow.timestampFloor))
            {
                tcp.segmentOfEarlierConnection(); // the SYN of a connection before the current one, seen late
                return List.of();
            }
            else
            {
                // A new connection on the same addresses and ports (the old one closed or died unseen): nothing of
                // the old one belongs to it, and its sequence numbers start here.
                tcp.newConnection(flow, sequence, timestamp);
            }
        }
        if (flow != null && flow.closed && (length == 0 || tcp.ofClosedConnection(flow, sequence, timestamp)))
        {
            if (length > 0)
            {
                tcp.segmentOfEarlierConnection(); // a late segment of the closed connection: never framed
            }
            return List.of();
        }
        if (length == 0 && !fin && !reset)
        {
            // A segment without bytes (an ACK, a window update, a keep-alive probe) says nothing of the bytes before
            // it: it may be seen before the data sent ahead of it or after data sent after it, and taking its number
            // would skip that data or wait for a hole that is not there.
            return List.of();
        }
        if (flow != null)
        {
            final int verdict = tcp.classify(flow, sequence, timestamp, reset || length == 0);
            if (verdict == TcpReassembly.EARLIER_CONNECTION)
            {
                tcp.segmentOfEarlierConnection();
                return List.of();
            }
            if (verdict == TcpReassembly.OUTSIDE_WINDOW && (length == 0 || !tcp.outsideWindow(flow, sequence, length)))
            {
                return List.of();
            }
            if (reset)
            {
                tcp.close(flow, nowNs); // the RST's bytes, if any, are not stream data (RFC 9293 3.5.3)
                return List.of();
            }
            if (length > 0)
            {
                flow.outsideRun = 0;
            }
            TcpReassembly.timestampSeen(flow, timestamp);
            if (fin && !finAt(flow, (sequence + length) & SEQUENCE_MASK))
            {
                return List.of();
            }
            if (flow.finSequence >= 0)
            {
                final long beyond = (sequence + length - flow.finSequence) & SEQUENCE_MASK;
                if (beyond > 0 && beyond < length)
                {
                    length -= (int)beyond; // no byte at or after the FIN is the connection's
                }
            }
        }
        else if (reset)
        {
            return List.of();
        }
        List<LifecycleEvent> events = List.of();
        if (flow != null && length > 0 && isAfterHole(sequence, flow.nextSequence))
        {
            // A hole before this segment: one lost on the way, which TCP sends again after this one (also when this
            // one carries the FIN: the receiver's TCP still waits for the hole). Keep this one until then, else the
            // retransmission would look like a segment already seen.
            if (tcp.holdAhead(flow, sequence, packet, offset, length))
            {
                return events;
            }
            // More wait behind the hole than a flow keeps: give it up, start over at a kept message start.
            if (tcp.skipHole(flow) >= 0)
            {
                events = drainInOrder(flow, key, events);
            }
            if (isAfterHole(sequence, flow.nextSequence) && !tcp.holdAhead(flow, sequence, packet, offset, length))
            {
                tcp.startOver(flow); // start over at this segment
                flow.nextSequence = -1;
            }
            else if (isAfterHole(sequence, flow.nextSequence))
            {
                return events;
            }
        }
        final long expected = flow == null ? -1 : flow.nextSequence;
        if (expected >= 0 && length > 0 && sequence != expected)
        {
            // Retransmission: skip what was already seen.
            final long behind = (expected - sequence) & SEQUENCE_MASK;
            if (behind >= length)
            {
                return closeIfDone(flow, nowNs, events);
            }
            offset += (int)behind;
            length -= (int)behind;
            sequence = expected;
        }
        if (length == 0 || (flow == null || flow.framer == null) && !looksLikeSip(packet, offset, length))
        {
            // Nothing for the framer. Only flows that carried SIP, or a SYN, have state: other segments cost nothing.
            if (flow != null)
            {
                if (length > 0)
                {
                    flow.nextSequence = (sequence + length) & SEQUENCE_MASK;
                    events = drainInOrder(flow, key, events);
                }
                else if (flow.nextSequence < 0)
                {
                    flow.nextSequence = sequence; // a FIN on a flow whose place was lost: the connection ends here
                }
                events = closeIfDone(flow, nowNs, events);
            }
            return events;
        }
        if (flow == null)
        {
            flow = tcp.create(key, nowNs);
            if (fin)
            {
                tcp.finAt(flow, (sequence + length) & SEQUENCE_MASK);
            }
        }
        flow.nextSequence = (sequence + length) & SEQUENCE_MASK;
        events = concat(events, frame(flow, key, packet, offset, length));
        events = drainInOrder(flow, key, events);
        return closeIfDone(flow, nowNs, events);
    }

    /**
     * A FIN: its place is the connection's end. A FIN before bytes already framed is not this connection's; one before
     * a FIN already seen moves the end back (what lies between cannot be told from an old connection's).
     *
     * @return false when the FIN is not the connection's (counted): the segment is dropped.
     */
    private boolean finAt(final TcpReassembly.Flow flow, final long finSequence)
    {
        if (TcpReassembly.isBefore(finSequence, flow.nextSequence))
        {
            tcp.segmentOfEarlierConnection();
            return false;
        }
        if (flow.finSequence < 0 || TcpReassembly.isBefore(finSequence, flow.finSequence))
        {
            tcp.finAt(flow, finSequence);
        }
        return true;
    }

    /**
     * Close a flow once every byte before its FIN was framed: a FIN seen while bytes before it are missing (a segment
     * sent again, segments seen out of order) leaves the flow waiting for them, or for its idle timeout if they never
     * come.
     */
    private List<LifecycleEvent> closeIfDone(
        final TcpReassembly.Flow flow, final long nowNs, final List<LifecycleEvent> events)
    {
        if (flow.finSequence >= 0 && flow.nextSequence == flow.finSequence && !flow.closed)
        {
            tcp.close(flow, nowNs);
        }
        return events;
    }

    /** @return true when {@code sequence} is after {@code expected} (unsigned 32-bit, within half the space). */
    private static boolean isAfterHole(final long sequence, final long expected)
    {
        final long ahead = (sequence - expected) & SEQUENCE_MASK;
        return expected >= 0 && ahead != 0 && ahead < 0x8000_0000L;
    }

    /** Frame the kept segments the flow's sequence has reached (a hole was filled, or skipped). */
    private List<LifecycleEvent> drainInOrder(final TcpReassembly.Flow flow, final FlowKey key, final List<LifecycleEvent> events)
    {
        List<LifecycleEvent> all = events;
        TcpReassembly.Segment segment;
        while (flow.nextSequence >= 0 && (segment = tcp.nextInOrder(flow)) != null)
        {
            final byte[] bytes = segment.bytes();
            final long behind = (flow.nextSequence - segment.sequence()) & SEQUENCE_MASK;
            if (behind >= bytes.length)
            {
                continue; // all of it seen already
            }
            final int offset = (int)behind;
            int end = bytes.length;
            if (flow.finSequence >= 0)
            {
                final long beyond = (segment.sequence() + bytes.length - flow.finSequence) & SEQUENCE_MASK;
                end -= beyond > 0 && beyond < bytes.length - offset ? (int)beyond : 0; // not past the FIN
            }
            flow.nextSequence = (segment.sequence() + end) & SEQUENCE_MASK;
            if (flow.framer != null || looksLikeSip(bytes, offset, end - offset))
            {
                all = concat(all, frame(flow, key, bytes, offset, end - offset));
            }
        }
        return all;
    }

    private static List<LifecycleEvent> concat(final List<LifecycleEvent> first, final List<LifecycleEvent> second)
    {
        if (first.isEmpty())
        {
            return second;
        }
        if (second.isEmpty())
        {
            return first;
        }
        final List<LifecycleEvent> all = new ArrayList<>(first.size() + second.size());
        all.addAll(first);
        all.addAll(second);
        return all;
    }

    /**
     * Delete sets whose lifetime has run out; call periodically.
     *
     * @return what the bridge did.
     */
    public List<LifecycleEvent> expire()
    {
        tcp.expire(clock.getAsLong());
        return engine.expire();
    }

    /**
     * @return the TCP reassembly state, for its sizes and eviction counts.
     */
    public TcpReassembly tcpReassembly()
    {
        return tcp;
    }

    /**
     * @param src     source address.
     * @param srcPort source port.
     * @param dst     destination address.
     * @param dstPort destination port.
     * @return the SA protecting this flow, if any.
     */
    public Optional<SaSpec> protectingSa(final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort)
    {
        return engine.protectingSa(src, srcPort, dst, dstPort);
    }

    /**
     * @return every SA currently installed by this bridge.
     */
    public List<SaSpec> activeSas()
    {
        return engine.activeSas();
    }

    /**
     * @return the ports sec-agree has named for protected traffic (see {@link SaLifecycleEngine#protectedPorts()}).
     */
    public int[] protectedPorts()
    {
        return engine.protectedPorts();
    }

    /** @return see {@link SaLifecycleEngine#protectedPortsChanges()}. */
    public long protectedPortsChanges()
    {
        return engine.protectedPortsChanges();
    }

    /** @param bits 1,024 words the protected ports are added to (see {@link SaLifecycleEngine#protectedPortsInto}). */
    public void protectedPortsInto(final long[] bits)
    {
        engine.protectedPortsInto(bits);
    }

    /**
     * @return registrations the bridge holds state for.
     */
    public int registrationCount()
    {
        return engine.registrationCount();
    }

    /**
     * @return sets a passive P-CSCF could not install because another live registration uses the same flow or SPI
     * ({@link LifecycleEvent.Type#FLOW_CONFLICT}).
     */
    public long flowConflicts()
    {
        return engine.flowConflicts();
    }

    /**
     * @return TCP flows with a partial message buffered.
     */
    public int bufferedTcpFlows()
    {
        return tcp.bufferedFlowCount();
    }

    /** A SIP start line: "SIP/2.0 " at the start, or " SIP/2.0" ending the first line. Skips leading CRLFs. */
    static boolean looksLikeSip(final byte[] buffer, final int offset, final int length)
    {
        int start = offset;
        final int limit = offset + Math.min(length, 1024);
        while (start < limit && (buffer[start] == '\r' || buffer[start] == '\n'))
        {
            start++;
        }
        if (startsWith(buffer, start, limit, "SIP/2.0 "))
        {
            return true;
        }
        for (int i = start; i < limit; i++)
        {
            if (buffer[i] == '\n' || buffer[i] == '\r')
            {
                return i - start > 8 && startsWith(buffer, i - 8, limit, " SIP/2.0");
            }
        }
        return false;
    }

    private static boolean startsWith(final byte[] buffer, final int start, final int limit, final String text)
    {
        if (limit - start < text.length())
        {
            return false;
        }
        for (int i = 0; i < text.length(); i++)
        {
            if (buffer[start + i] != text.charAt(i))
            {
                return false;
            }
        }
        return true;
    }
}
