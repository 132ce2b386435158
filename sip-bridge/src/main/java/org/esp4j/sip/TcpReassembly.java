package org.esp4j.sip;

import org.esp4j.sip.lifecycle.FlowKey;
import org.esp4j.sip.message.SipStreamFramer;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SIP-over-TCP state of a watcher, bounded in two ways:
 * <ul>
 * <li>at most {@link #maxFlows()} flows with state (each its next sequence number, about 400 bytes): a P-CSCF
 * with 10,000 UEs over TCP has tens of thousands of such flows, and a flow that loses its state loses nothing but
 * the sequence number as long as its next message begins at a segment start. When full, the least recently used
 * flow without buffered bytes goes (looked for among the {@link #EVICTION_SCAN} least recently used, else the least
 * recently used);</li>
 * <li>at most {@link #maxBufferedFlows()} of them with bytes buffered (a partial message, or segments that arrived
 * after a hole), at most {@link #maxBytesPerFlow()} bytes each: when a further flow needs a buffer, the least
 * recently used flow with one loses it (it keeps its sequence number); a flow that would buffer more than its
 * share loses its partial message.</li>
 * </ul>
 * No flow with bytes buffered is kept idle for longer than {@link #idleTimeoutNs()}. Only flows that carried something that looks like
 * SIP get state, so a flood of other segments costs nothing here. Each loss is counted. Not thread-safe: the
 * {@link SipBridge}'s thread owns it.
 * <p>
 * So the live reassembly state is at most {@code maxFlows} small entries and {@code maxBufferedFlows *
 * maxBytesPerFlow} buffered bytes (by default 65,536 flows of about 400 bytes, 27 MiB, and 256 buffers of 128 KiB, 32 MiB),
 * whatever arrives.
 * <p>
 * <b>Holes.</b> A segment that arrives after a hole in the sequence (a segment lost on the way, which TCP sends
 * again, so the ones after it arrive first) is kept, copied, up to {@link #MAX_SEGMENTS_AHEAD} per flow, and
 * handed on once the hole is filled: otherwise the retransmitted segment would look like one already seen and the
 * message that spans the hole would be lost. When more arrive than that (a hole this watcher will never see filled,
 * such as a segment the kernel delivered to the host but not to the watch's socket), the hole is skipped: the
 * partial message goes, and framing starts over at the first kept segment that begins a SIP message.
 */
public final class TcpReassembly
{
    /** Default most flows with state (about 400 bytes each without a buffer: the key's two addresses, the entry). */
    public static final int DEFAULT_MAX_FLOWS = 65_536;
    /** Most flows a watcher may be configured to keep. */
    public static final int MAX_FLOWS_LIMIT = 1 << 22;
    /** Default most flows with bytes buffered (a partial message, or segments after a hole). */
    public static final int DEFAULT_MAX_BUFFERED_FLOWS = 256;
    /** Default most bytes buffered per flow: a 64 KiB message with room to spare. */
    public static final int DEFAULT_MAX_BYTES_PER_FLOW = 128 * 1024;
    /** Most least-recently-used flows looked at for one without buffered bytes, when one must be evicted. */
    static final int EVICTION_SCAN = 64;
    /** Most segments kept per flow after a hole, waiting for TCP to send the missing one again. */
    public static final int MAX_SEGMENTS_AHEAD = 8;
    /** Default idle timeout: 60 s, longer than SIP's 32 s transaction timeout (RFC 3261 Timer B/F). */
    public static final long DEFAULT_IDLE_TIMEOUT_NS = 60_000_000_000L;

    private static final long SEQUENCE_MASK = 0xFFFF_FFFFL;
    private static final long HALF_SEQUENCE_SPACE = 0x8000_0000L;

    /** A segment that arrived after a hole: its sequence number and a copy of its payload. */
    record Segment(long sequence, byte[] bytes)
    {
    }

    /** State of one direction of one TCP connection. */
    static final class Flow
    {
        final FlowKey key;
        /** Next expected sequence number, unsigned 32-bit, or -1 before the first segment. */
        long nextSequence = -1;
        /** Present while a partial message is buffered. */
        SipStreamFramer framer;
        /** Segments after a hole, in sequence order from {@link #nextSequence}; null when none. */
        Segment[] ahead;
        int aheadCount;
        int aheadBytes;
        long lastActivityNs;

        Flow(final FlowKey key)
        {
            this.key = key;
        }

        boolean isBuffering()
        {
            return framer != null || aheadCount > 0;
        }
    }

    private int maxFlows;
    private final int maxBufferedFlows;
    private final int maxBytesPerFlow;
    private final long idleTimeoutNs;
    private final LinkedHashMap<FlowKey, Flow> flows;
    /** The flows with bytes buffered, least recently given bytes first. */
    private final LinkedHashMap<FlowKey, Flow> buffering;
    private long flowsEvicted;
    private long flowsIdleExpired;
    private long flowsOverflowed;
    private long segmentsAhead;
    private long holesSkipped;
    private long bytesScannedByClosedFramers;
    private long partialsDroppedByNewConnection;
    private long partialsDroppedByClose;

    /**
     * @param maxFlows        most flows with state.
     * @param maxBytesPerFlow most bytes buffered per flow.
     * @param idleTimeoutNs   a flow without segments this long is dropped.
     */
    public TcpReassembly(final int maxFlows, final int maxBytesPerFlow, final long idleTimeoutNs)
    {
        this(maxFlows, Math.min(maxFlows, DEFAULT_MAX_BUFFERED_FLOWS), maxBytesPerFlow, idleTimeoutNs);
    }

    /**
     * @param maxFlows         most flows with state.
     * @param maxBufferedFlows most flows with bytes buffered.
     * @param maxBytesPerFlow  most bytes buffered per flow.
     * @param idleTimeoutNs    a flow without segments this long is dropped.
     */
    public TcpReassembly(
        final int maxFlows, final int maxBufferedFlows, final int maxBytesPerFlow, final long idleTimeoutNs)
    {
        if (maxFlows < 1 || maxFlows > MAX_FLOWS_LIMIT || maxBufferedFlows < 1 || maxBytesPerFlow < 1 ||
            idleTimeoutNs <= 0)
        {
            throw new IllegalArgumentException("tcp reassembly: limits must be positive (flows at most " +
                MAX_FLOWS_LIMIT + ")");
        }
        this.maxFlows = maxFlows;
        this.maxBufferedFlows = maxBufferedFlows;
        this.maxBytesPerFlow = maxBytesPerFlow;
        this.idleTimeoutNs = idleTimeoutNs;
        this.flows = new LinkedHashMap<>(Math.min(maxFlows, 1024) * 2, 0.75f, true);
        this.buffering = new LinkedHashMap<>(Math.min(maxBufferedFlows, 1024) * 2, 0.75f, true);
    }

    /** @return the default limits. */
    public static TcpReassembly withDefaults()
    {
        return new TcpReassembly(
            DEFAULT_MAX_FLOWS, DEFAULT_MAX_BUFFERED_FLOWS, DEFAULT_MAX_BYTES_PER_FLOW, DEFAULT_IDLE_TIMEOUT_NS);
    }

    /**
     * Change the most flows with state (a daemon's {@code sip.tcp.flows}); flows beyond a lower limit go at the next
     * new flow. Call it from the owning thread.
     *
     * @param maxFlows 1 to {@link #MAX_FLOWS_LIMIT}.
     */
    public void maxFlows(final int maxFlows)
    {
        if (maxFlows < 1 || maxFlows > MAX_FLOWS_LIMIT)
        {
            throw new IllegalArgumentException("tcp reassembly: flows must be 1.." + MAX_FLOWS_LIMIT + ": " + maxFlows);
        }
        this.maxFlows = maxFlows;
    }

    Flow get(final FlowKey key, final long nowNs)
    {
        final Flow flow = flows.get(key);
        if (flow != null)
        {
            flow.lastActivityNs = nowNs;
        }
        return flow;
    }

    Flow create(final FlowKey key, final long nowNs)
    {
        while (flows.size() >= maxFlows)
        {
            evictOne();
        }
        final Flow flow = new Flow(key);
        flow.lastActivityNs = nowNs;
        flows.put(key, flow);
        return flow;
    }

    /**
     * Make room for one flow: the least recently used flow with nothing buffered, looked for among the
     * {@link #EVICTION_SCAN} least recently used, else the least recently used. A flow without buffered bytes loses
     * nothing but its sequence number (its next SIP segment starts a new flow), while evicting one with a partial
     * message loses that message, perhaps a de-REGISTER.
     */
    private void evictOne()
    {
        Iterator<Map.Entry<FlowKey, Flow>> it = flows.entrySet().iterator();
        for (int i = 0; i < EVICTION_SCAN && it.hasNext(); i++)
        {
            final Flow candidate = it.next().getValue();
            if (!candidate.isBuffering())
            {
                it.remove();
                flowsEvicted++;
                return;
            }
        }
        it = flows.entrySet().iterator();
        retire(it.next().getValue());
        it.remove();
        flowsEvicted++;
    }

    /**
     * A flow is about to buffer bytes: when it is a further flow beyond {@link #maxBufferedFlows()}, the least
     * recently buffering one loses its buffer (counted as an eviction; it keeps its sequence number).
     */
    void buffering(final Flow flow)
    {
        if (buffering.get(flow.key) != null)
        {
            return; // access order: now the most recent
        }
        if (buffering.size() >= maxBufferedFlows)
        {
            final Iterator<Flow> it = buffering.values().iterator();
            final Flow oldest = it.next();
            it.remove();
            dropBuffers(oldest);
            flowsEvicted++;
        }
        buffering.put(flow.key, flow);
    }

    /**
     * A RST, or a FIN with every byte before it seen, ended the flow: its state goes, and what it left buffered (a
     * message the connection ended in the middle of, or segments after a hole that will never be filled) is dropped,
     * counted when there was any.
     */
    void close(final FlowKey key)
    {
        final Flow flow = flows.get(key);
        if (flow != null && flow.isBuffering())
        {
            partialsDroppedByClose++;
        }
        remove(key);
    }

    void remove(final FlowKey key)
    {
        final Flow flow = flows.remove(key);
        if (flow != null)
        {
            retire(flow);
        }
    }

    /** Drop the flow's partial message (a gap, an error, a completed message). */
    void dropPartial(final Flow flow)
    {
        if (flow.framer != null)
        {
            bytesScannedByClosedFramers += flow.framer.bytesScanned();
            flow.framer = null;
        }
        if (!flow.isBuffering())
        {
            buffering.remove(flow.key);
        }
    }

    /**
     * @param flow   a flow about to take {@code length} more bytes.
     * @param length bytes of the segment.
     * @return false when the flow would buffer more than {@link #maxBytesPerFlow()}: its partial message is dropped
     * and counted, and the segment is not taken.
     */
    boolean admit(final Flow flow, final int length)
    {
        final int buffered = (flow.framer == null ? 0 : flow.framer.bufferedBytes()) + flow.aheadBytes;
        if ((long)buffered + length > maxBytesPerFlow)
        {
            dropPartial(flow);
            flowsOverflowed++;
            return false;
        }
        buffering(flow);
        return true;
    }

    /**
     * Keep a segment that arrived after a hole until the hole is filled.
     *
     * @return false when the flow already keeps {@link #MAX_SEGMENTS_AHEAD} segments or the bytes would pass
     * {@link #maxBytesPerFlow()}: the caller skips the hole.
     */
    boolean holdAhead(final Flow flow, final long sequence, final byte[] bytes, final int offset, final int length)
    {
        final long distance = (sequence - flow.nextSequence) & SEQUENCE_MASK;
        int at = 0;
        while (at < flow.aheadCount)
        {
            final Segment kept = flow.ahead[at];
            final long keptDistance = (kept.sequence - flow.nextSequence) & SEQUENCE_MASK;
            if (keptDistance == distance && kept.bytes.length >= length)
            {
                return true; // sent again before the hole was filled: already kept
            }
            if (keptDistance > distance)
            {
                break;
            }
            at++;
        }
        final int buffered = (flow.framer == null ? 0 : flow.framer.bufferedBytes()) + flow.aheadBytes;
        if (flow.aheadCount == MAX_SEGMENTS_AHEAD || (long)buffered + length > maxBytesPerFlow)
        {
            return false;
        }
        if (flow.ahead == null)
        {
            flow.ahead = new Segment[MAX_SEGMENTS_AHEAD];
        }
        buffering(flow);
        System.arraycopy(flow.ahead, at, flow.ahead, at + 1, flow.aheadCount - at);
        final byte[] copy = new byte[length];
        System.arraycopy(bytes, offset, copy, 0, length);
        flow.ahead[at] = new Segment(sequence, copy);
        flow.aheadCount++;
        flow.aheadBytes += length;
        segmentsAhead++;
        return true;
    }

    /**
     * @return the first kept segment if it begins at or before the flow's next sequence number (the hole before it
     * is filled), removed from the flow; else null.
     */
    Segment nextInOrder(final Flow flow)
    {
        if (flow.aheadCount == 0)
        {
            return null;
        }
        final Segment first = flow.ahead[0];
        if (((first.sequence - flow.nextSequence) & SEQUENCE_MASK) != 0 &&
            ((flow.nextSequence - first.sequence) & SEQUENCE_MASK) >= HALF_SEQUENCE_SPACE)
        {
            return null; // still after a hole
        }
        removeFirstAhead(flow);
        return first;
    }

    /**
     * Give up waiting for a hole to be filled: the partial message goes, and so do the kept segments before the first
     * that starts a SIP message, where framing starts over. Counted.
     *
     * @return the flow's next sequence number now: that segment's, or -1 when no kept segment starts a message.
     */
    long skipHole(final Flow flow)
    {
        holesSkipped++;
        dropPartial(flow);
        while (flow.aheadCount > 0)
        {
            final Segment first = flow.ahead[0];
            if (SipBridge.looksLikeSip(first.bytes, 0, first.bytes.length))
            {
                flow.nextSequence = first.sequence;
                return flow.nextSequence;
            }
            removeFirstAhead(flow);
        }
        flow.nextSequence = -1;
        dropPartial(flow);
        return -1;
    }

    /** Forget every kept segment and the partial message: framing starts over at the next segment. */
    void startOver(final Flow flow)
    {
        dropBuffers(flow);
        buffering.remove(flow.key);
    }

    /**
     * A SYN on a flow with state: a new connection on the same addresses and ports. What the old connection left
     * buffered is dropped, counted when there was any (a partial message that will never complete).
     */
    void newConnection(final Flow flow)
    {
        if (flow.isBuffering())
        {
            partialsDroppedByNewConnection++;
        }
        startOver(flow);
    }

    private void removeFirstAhead(final Flow flow)
    {
        flow.aheadBytes -= flow.ahead[0].bytes.length;
        System.arraycopy(flow.ahead, 1, flow.ahead, 0, flow.aheadCount - 1);
        flow.ahead[--flow.aheadCount] = null;
    }

    private void dropBuffers(final Flow flow)
    {
        if (flow.framer != null)
        {
            bytesScannedByClosedFramers += flow.framer.bytesScanned();
            flow.framer = null;
        }
        flow.ahead = null;
        flow.aheadCount = 0;
        flow.aheadBytes = 0;
    }

    /**
     * Drop the flows with bytes buffered that were idle for longer than the timeout (a partial message that will not
     * complete). A flow without buffered bytes keeps its sequence number however long it is idle, until it closes or
     * the flow cap evicts it: a registered UE's connection carries nothing until its re-registration, often many
     * minutes later, and the message then is framed from the known sequence even when it does not begin at a segment
     * start.
     *
     * @param nowNs the clock.
     * @return flows dropped.
     */
    public int expire(final long nowNs)
    {
        int expired = 0;
        final Iterator<Flow> it = buffering.values().iterator();
        while (it.hasNext())
        {
            final Flow flow = it.next();
            if (nowNs - flow.lastActivityNs >= idleTimeoutNs)
            {
                it.remove();
                dropBuffers(flow);
                flows.remove(flow.key);
                expired++;
            }
            else
            {
                break; // access order: the rest were buffered more recently
            }
        }
        flowsIdleExpired += expired;
        return expired;
    }

    private void retire(final Flow flow)
    {
        dropBuffers(flow);
        buffering.remove(flow.key);
    }

    /** @return flows with state now. */
    public int flowCount()
    {
        return flows.size();
    }

    /** @return flows with a partial message or kept segments buffered now. */
    public int bufferedFlowCount()
    {
        int n = 0;
        for (final Flow flow : buffering.values())
        {
            n += flow.framer != null && flow.framer.bufferedBytes() > 0 || flow.aheadCount > 0 ? 1 : 0;
        }
        return n;
    }

    /** @return bytes buffered now, over all flows. */
    public long bufferedBytes()
    {
        long n = 0;
        for (final Flow flow : buffering.values())
        {
            n += (flow.framer == null ? 0 : flow.framer.bufferedBytes()) + flow.aheadBytes;
        }
        return n;
    }

    /** @return bytes the framers have examined so far (their work, linear in the bytes received). */
    public long bytesScanned()
    {
        long n = bytesScannedByClosedFramers;
        for (final Flow flow : buffering.values())
        {
            n += flow.framer == null ? 0 : flow.framer.bytesScanned();
        }
        return n;
    }

    /** @return flows evicted to stay within {@link #maxFlows()}, and buffers dropped to stay within
     * {@link #maxBufferedFlows()}. */
    public long flowsEvicted()
    {
        return flowsEvicted;
    }

    /** @return flows with bytes buffered dropped after {@link #idleTimeoutNs()} without a segment. */
    public long flowsIdleExpired()
    {
        return flowsIdleExpired;
    }

    /** @return partial messages dropped because they would exceed {@link #maxBytesPerFlow()}. */
    public long flowsOverflowed()
    {
        return flowsOverflowed;
    }

    /** @return segments that arrived after a hole and were kept until it was filled (or skipped). */
    public long segmentsAhead()
    {
        return segmentsAhead;
    }

    /** @return holes given up on: more segments arrived after them than a flow keeps. */
    public long holesSkipped()
    {
        return holesSkipped;
    }

    /** @return flows whose buffered bytes were dropped because a SYN began a new connection on the same ports. */
    public long partialsDroppedByNewConnection()
    {
        return partialsDroppedByNewConnection;
    }

    /**
     * @return flows whose buffered bytes were dropped because a RST or FIN ended the connection before the message
     * completed.
     */
    public long partialsDroppedByClose()
    {
        return partialsDroppedByClose;
    }

    /** @return most flows. */
    public int maxFlows()
    {
        return maxFlows;
    }

    /** @return most flows with bytes buffered. */
    public int maxBufferedFlows()
    {
        return maxBufferedFlows;
    }

    /** @return most bytes buffered per flow. */
    public int maxBytesPerFlow()
    {
        return maxBytesPerFlow;
    }

    /** @return idle timeout. */
    public long idleTimeoutNs()
    {
        return idleTimeoutNs;
    }
}
