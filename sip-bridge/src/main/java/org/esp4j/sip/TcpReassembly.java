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
 * No flow with bytes buffered is kept idle for longer than {@link #idleTimeoutNs()}. Only flows that carried
 * something that looks like SIP, or a SYN (a new connection, perhaps on ports a closed one used), get state, so a
 * flood of other segments costs nothing here, and a flood of SYNs costs at most the sequence numbers of flows without
 * buffered bytes (evicted first). Each loss is counted. Not thread-safe: the
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
 * <p>
 * <b>Connections on the same ports.</b> A UE that reuses its port opens a new connection on the flow of a closed one,
 * and segments of the old one (sent again, or late on the way) may still come. Only segments that the receiving TCP
 * could take for the current connection's are framed (RFC 9293 3.10.7.4, RFC 7323 5):
 * <ul>
 * <li>not before the first byte after the SYN that began it, nor at or after its FIN;</li>
 * <li>with a TCP timestamp not older than its SYN's, when both carry one (PAWS: a Linux sender's clock runs on
 * across connections between the same addresses, so an old connection's segment is older than the new SYN);</li>
 * <li>within a receive window of the next expected byte: a peer that has not yet seen a window beyond the SYN's
 * (65,535 bytes, not scaled) sends no further, and the window grows only as bytes arrive, so after a SYN at most
 * {@link #INITIAL_WINDOW} plus twice the bytes seen since, at most {@link #MAX_WINDOW}. A new connection whose
 * initial sequence number is below the old one's numbers would otherwise keep the old segments as if after a hole, and
 * skipping that hole could frame an old de-REGISTER into the new stream.</li>
 * </ul>
 * Each segment turned away is counted ({@link #segmentsOfEarlierConnection()}, {@link #segmentsOutsideWindow()}).
 * The window could also turn away a live connection's segments if this watcher lost its place (a SYN it missed):
 * {@link #MAX_SEGMENTS_AHEAD} contiguous segments outside the window start the flow over
 * ({@link #flowsResynchronised()}), which a dead connection sending its oldest segment again never does. A flow
 * closed by a FIN or RST is remembered without buffers for the idle timeout (as TCP's TIME-WAIT): its late segments are
 * dropped, counted, until a SYN opens it again (or a segment far from the closed connection's numbers: a SYN missed);
 * a closed flow is the first to go when the flow cap needs room.
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
    /** How far behind a connection's latest timestamp its {@link Flow#timestampFloor} may fall: a quarter of the space. */
    static final long TIMESTAMP_FLOOR_LAG = 1L << 30;
    /** {@link #classify} verdicts. */
    static final int IN_WINDOW = 0;
    static final int EARLIER_CONNECTION = 1;
    static final int OUTSIDE_WINDOW = 2;
    /** Most segments kept per flow after a hole, waiting for TCP to send the missing one again. */
    public static final int MAX_SEGMENTS_AHEAD = 8;
    /** Default idle timeout: 60 s, longer than SIP's 32 s transaction timeout (RFC 3261 Timer B/F). */
    public static final long DEFAULT_IDLE_TIMEOUT_NS = 60_000_000_000L;
    /** The most a peer may send past the next byte before it sees a window update: the SYN's, never scaled. */
    public static final int INITIAL_WINDOW = 65_535;
    /** The most bytes past (or before) the next expected byte a segment of the connection may start. */
    public static final int MAX_WINDOW = 1 << 20;

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
        /** The first byte after the SYN that began the connection, or -1 when no SYN was seen. */
        long startSequence = -1;
        /**
         * No segment of the connection has an older TCP timestamp (TSval): the SYN's, moved on as the connection's
         * timestamps run on so that it stays within {@link #TIMESTAMP_FLOOR_LAG} of them (a connection older than 2^31
         * timestamp ticks, 24.8 days at 1 ms, is not taken for an older one); -1 when the SYN had none.
         */
        long timestampFloor = -1;
        /** The sequence number of the connection's FIN (no byte at or after it is the connection's), or -1. */
        long finSequence = -1;
        /** End of the last segment outside the window, and how many such segments were contiguous up to it. */
        long outsideEnd = -1;
        int outsideRun;
        /** Ended by a FIN or RST, kept without buffers so that late segments are known as the closed connection's. */
        boolean closed;
        long closedAtNs;
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
    /** The closed flows, in the order they closed. */
    private final LinkedHashMap<FlowKey, Flow> closed;
    private long flowsEvicted;
    private long flowsIdleExpired;
    private long flowsOverflowed;
    private long segmentsAhead;
    private long holesSkipped;
    private long bytesScannedByClosedFramers;
    private long partialsDroppedByNewConnection;
    private long partialsDroppedByClose;
    private long segmentsOfEarlierConnection;
    private long segmentsOutsideWindow;
    private long flowsResynchronised;

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
        this.closed = new LinkedHashMap<>(Math.min(maxFlows, 1024) * 2, 0.75f, false);
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
            if (flow.isBuffering())
            {
                buffering.get(key); // access order: the idle timeout looks at the least recently active first
            }
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
        if (!closed.isEmpty())
        {
            final Iterator<Flow> oldest = closed.values().iterator();
            flows.remove(oldest.next().key);
            oldest.remove();
            flowsEvicted++;
            return;
        }
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
     * A RST, or a FIN with every byte before it seen, ended the flow: what it left buffered (a message the connection
     * ended in the middle of, or segments after a hole that will never be filled) is dropped, counted when there was
     * any, and the flow is kept closed, without buffers, for the idle timeout (or until the flow cap needs room).
     */
    void close(final Flow flow, final long nowNs)
    {
        if (flow.isBuffering())
        {
            partialsDroppedByClose++;
        }
        retire(flow);
        flow.closed = true;
        flow.closedAtNs = nowNs;
        closed.remove(flow.key);
        closed.put(flow.key, flow);
    }

    void remove(final FlowKey key)
    {
        final Flow flow = flows.remove(key);
        if (flow != null)
        {
            retire(flow);
            closed.remove(key);
        }
    }

    /**
     * A closed flow given bytes without sequence numbers ({@link SipBridge#onMessage}), or far from the closed
     * connection's: open again, as new.
     */
    void reopen(final Flow flow)
    {
        if (flow.closed)
        {
            closed.remove(flow.key);
            flow.closed = false;
            forgetConnection(flow);
            flow.startSequence = -1;
            flow.timestampFloor = -1;
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
     * A SYN: a new connection on the flow's addresses and ports. What an old connection left buffered is dropped,
     * counted when there was any (a partial message that will never complete); a closed flow is open again.
     *
     * @param start     the first byte after the SYN.
     * @param timestamp the SYN's TSval, or -1.
     */
    void newConnection(final Flow flow, final long start, final long timestamp)
    {
        if (flow.isBuffering())
        {
            partialsDroppedByNewConnection++;
        }
        startOver(flow);
        if (flow.closed)
        {
            closed.remove(flow.key);
            flow.closed = false;
        }
        forgetConnection(flow);
        flow.startSequence = start;
        flow.nextSequence = start;
        flow.timestampFloor = timestamp;
    }

    /**
     * A run of contiguous segments outside the window: the connection this watcher lost its place in (a SYN it
     * missed). Framing starts over at the next segment; counted.
     */
    void resynchronise(final Flow flow)
    {
        flowsResynchronised++;
        startOver(flow);
        forgetConnection(flow);
        flow.startSequence = -1;
    }

    private static void forgetConnection(final Flow flow)
    {
        flow.nextSequence = -1;
        flow.finSequence = -1;
        flow.outsideEnd = -1;
        flow.outsideRun = 0;
    }

    /**
     * The FIN's place is known: kept segments at or after it are not the connection's (an older connection's that
     * happened to fall after the hole); they go, counted.
     */
    void finAt(final Flow flow, final long finSequence)
    {
        flow.finSequence = finSequence;
        int kept = 0;
        for (int i = 0; i < flow.aheadCount; i++)
        {
            final Segment segment = flow.ahead[i];
            if (((segment.sequence - finSequence) & SEQUENCE_MASK) < HALF_SEQUENCE_SPACE)
            {
                segmentsOfEarlierConnection++;
                flow.aheadBytes -= segment.bytes.length;
            }
            else
            {
                flow.ahead[kept++] = segment;
            }
        }
        for (int i = kept; i < flow.aheadCount; i++)
        {
            flow.ahead[i] = null;
        }
        flow.aheadCount = kept;
        if (!flow.isBuffering())
        {
            buffering.remove(flow.key);
        }
    }

    /**
     * Whether a segment may be the flow's connection's (see the class comment): {@link #IN_WINDOW},
     * {@link #EARLIER_CONNECTION} (before its SYN, at or after its FIN, older than its SYN, or the flow closed), or
     * {@link #OUTSIDE_WINDOW}.
     *
     * @param sequence  where the segment starts.
     * @param timestamp its TSval, or -1.
     * @param atFin     true when a segment at or after the FIN is still the connection's (a RST, or the FIN itself).
     */
    int classify(final Flow flow, final long sequence, final long timestamp, final boolean atFin)
    {
        if (flow.closed || isBefore(timestamp, flow.timestampFloor))
        {
            return EARLIER_CONNECTION;
        }
        final long next = flow.nextSequence;
        if (next < 0)
        {
            return IN_WINDOW;
        }
        final long since = flow.startSequence < 0 ? MAX_WINDOW :
            Math.min((next - flow.startSequence) & SEQUENCE_MASK, MAX_WINDOW);
        final long behind = (next - sequence) & SEQUENCE_MASK;
        if (behind != 0 && behind < HALF_SEQUENCE_SPACE)
        {
            if (behind <= since)
            {
                return IN_WINDOW; // sent again: what was seen already is skipped
            }
            return since < MAX_WINDOW ? EARLIER_CONNECTION : OUTSIDE_WINDOW;
        }
        if (!atFin && flow.finSequence >= 0 && !isBefore(sequence, flow.finSequence))
        {
            return EARLIER_CONNECTION;
        }
        final long window = flow.startSequence < 0 ? MAX_WINDOW : Math.min(MAX_WINDOW, INITIAL_WINDOW + 2 * since);
        return ((sequence - next) & SEQUENCE_MASK) < window ? IN_WINDOW : OUTSIDE_WINDOW;
    }

    /**
     * A segment with data on a closed flow: the closed connection's (or an earlier one's) when it starts within
     * {@link #MAX_WINDOW} of its end (its FIN, or where a RST found it), which is where its late segments are, or has a
     * TCP timestamp older than the closed connection's floor; else a connection whose SYN this watcher missed, and the
     * flow opens again without a place (counted as {@link #flowsResynchronised()}).
     *
     * @return true when the segment is the closed connection's (the caller drops and counts it).
     */
    boolean ofClosedConnection(final Flow flow, final long sequence, final long timestamp)
    {
        final long end = flow.finSequence >= 0 ? flow.finSequence : flow.nextSequence;
        final long distance = (sequence - end) & SEQUENCE_MASK;
        if (end < 0 || distance < MAX_WINDOW || distance > SEQUENCE_MASK - MAX_WINDOW ||
            isBefore(timestamp, flow.timestampFloor))
        {
            return true;
        }
        flowsResynchronised++;
        reopen(flow);
        return false;
    }

    /**
     * A segment with data outside the window: counted, and when it makes {@link #MAX_SEGMENTS_AHEAD} contiguous ones
     * the flow is {@link #resynchronise resynchronised}.
     *
     * @return true when the flow was resynchronised (the segment starts it over), false when the segment is dropped.
     */
    boolean outsideWindow(final Flow flow, final long sequence, final int length)
    {
        segmentsOutsideWindow++;
        flow.outsideRun = sequence == flow.outsideEnd ? flow.outsideRun + 1 : 1;
        flow.outsideEnd = (sequence + length) & SEQUENCE_MASK;
        if (flow.outsideRun < MAX_SEGMENTS_AHEAD)
        {
            return false;
        }
        resynchronise(flow);
        return true;
    }

    /**
     * @return true when unsigned 32-bit {@code a} comes before {@code b} (within half the space); false when either is
     * -1 (unknown).
     */
    static boolean isBefore(final long a, final long b)
    {
        return a >= 0 && b >= 0 && a != b && ((b - a) & SEQUENCE_MASK) < HALF_SEQUENCE_SPACE;
    }

    /** A segment of the connection was taken: its timestamp moves the floor on when that falls too far behind. */
    static void timestampSeen(final Flow flow, final long timestamp)
    {
        if (flow.timestampFloor >= 0 && timestamp >= 0)
        {
            final long ahead = (timestamp - flow.timestampFloor) & SEQUENCE_MASK;
            if (ahead > TIMESTAMP_FLOOR_LAG && ahead < HALF_SEQUENCE_SPACE)
            {
                flow.timestampFloor = (timestamp - TIMESTAMP_FLOOR_LAG) & SEQUENCE_MASK;
            }
        }
    }

    void segmentOfEarlierConnection()
    {
        segmentsOfEarlierConnection++;
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
                break; // access order: the rest were active more recently
            }
        }
        flowsIdleExpired += expired;
        final Iterator<Flow> closedFlows = closed.values().iterator();
        while (closedFlows.hasNext())
        {
            final Flow flow = closedFlows.next();
            if (nowNs - flow.closedAtNs < idleTimeoutNs)
            {
                break; // in the order they closed
            }
            closedFlows.remove();
            flows.remove(flow.key);
        }
        return expired;
    }

    private void retire(final Flow flow)
    {
        dropBuffers(flow);
        buffering.remove(flow.key);
    }

    /** @return open flows with state now (not counting the closed ones remembered). */
    public int flowCount()
    {
        return flows.size() - closed.size();
    }

    /** @return closed flows remembered now, so that their late segments are known (each counts to the flow cap). */
    public int closedFlowCount()
    {
        return closed.size();
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

    /**
     * @return segments dropped as an earlier connection's: before the SYN that began the flow's connection, at or
     * after its FIN (also on a closed flow), or with a TCP timestamp older than the SYN's.
     */
    public long segmentsOfEarlierConnection()
    {
        return segmentsOfEarlierConnection;
    }

    /** @return segments dropped because they start beyond the receive window of (or far before) the next byte. */
    public long segmentsOutsideWindow()
    {
        return segmentsOutsideWindow;
    }

    /** @return flows started over after a run of contiguous segments outside the window (a lost place). */
    public long flowsResynchronised()
    {
        return flowsResynchronised;
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
