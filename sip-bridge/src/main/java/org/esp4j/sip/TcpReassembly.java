package org.esp4j.sip;

import org.esp4j.sip.lifecycle.FlowKey;
import org.esp4j.sip.message.SipStreamFramer;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SIP-over-TCP state of a watcher, bounded: at most {@link #maxFlows()} flows (the least recently used one is
 * evicted to make room, preferring one with no partial message), at most {@link #maxBytesPerFlow()} bytes buffered per flow (a flow that would hold more
 * loses its partial message), and no flow idle for longer than {@link #idleTimeoutNs()}. Only flows that carried
 * something that looks like SIP get state, so a flood of other segments costs nothing here. Each eviction is
 * counted. Not thread-safe: the {@link SipBridge}'s thread owns it.
 * <p>
 * So the live reassembly state is at most {@code maxFlows} entries and {@code maxFlows * maxBytesPerFlow} buffered
 * bytes (by default 256 flows and 128 KiB, 32 MiB), whatever arrives.
 */
public final class TcpReassembly
{
    /** Default most flows. */
    public static final int DEFAULT_MAX_FLOWS = 256;
    /** Default most bytes buffered per flow: a 64 KiB message with room to spare. */
    public static final int DEFAULT_MAX_BYTES_PER_FLOW = 128 * 1024;
    /** Most least-recently-used flows looked at for one without a partial message, when one must be evicted. */
    static final int EVICTION_SCAN = 64;
    /** Default idle timeout: 60 s, longer than SIP's 32 s transaction timeout (RFC 3261 Timer B/F). */
    public static final long DEFAULT_IDLE_TIMEOUT_NS = 60_000_000_000L;

    /** State of one direction of one TCP connection. */
    static final class Flow
    {
        /** Next expected sequence number, unsigned 32-bit, or -1 before the first segment. */
        long nextSequence = -1;
        /** Present while a partial message is buffered. */
        SipStreamFramer framer;
        long lastActivityNs;
    }

    private final int maxFlows;
    private final int maxBytesPerFlow;
    private final long idleTimeoutNs;
    private final LinkedHashMap<FlowKey, Flow> flows;
    private long flowsEvicted;
    private long flowsIdleExpired;
    private long flowsOverflowed;
    private long bytesScannedByClosedFramers;

    /**
     * @param maxFlows        most flows with state.
     * @param maxBytesPerFlow most bytes buffered per flow.
     * @param idleTimeoutNs   a flow without segments this long is dropped.
     */
    public TcpReassembly(final int maxFlows, final int maxBytesPerFlow, final long idleTimeoutNs)
    {
        if (maxFlows < 1 || maxBytesPerFlow < 1 || idleTimeoutNs <= 0)
        {
            throw new IllegalArgumentException("tcp reassembly: limits must be positive");
        }
        this.maxFlows = maxFlows;
        this.maxBytesPerFlow = maxBytesPerFlow;
        this.idleTimeoutNs = idleTimeoutNs;
        this.flows = new LinkedHashMap<>(Math.min(maxFlows, 1024) * 2, 0.75f, true);
    }

    /** @return the default limits. */
    public static TcpReassembly withDefaults()
    {
        return new TcpReassembly(DEFAULT_MAX_FLOWS, DEFAULT_MAX_BYTES_PER_FLOW, DEFAULT_IDLE_TIMEOUT_NS);
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
        if (flows.size() >= maxFlows)
        {
            evictOne();
        }
        final Flow flow = new Flow();
        flow.lastActivityNs = nowNs;
        flows.put(key, flow);
        return flow;
    }

    /**
     * Make room for one flow: the least recently used flow with no partial message, looked for among the
     * {@link #EVICTION_SCAN} least recently used, else the least recently used. A flow without a partial message
     * loses nothing but its sequence number (its next SIP segment starts a new flow), while evicting one with a
     * partial message loses that message, perhaps a de-REGISTER.
     */
    private void evictOne()
    {
        Iterator<Map.Entry<FlowKey, Flow>> it = flows.entrySet().iterator();
        for (int i = 0; i < EVICTION_SCAN && it.hasNext(); i++)
        {
            final Flow candidate = it.next().getValue();
            if (candidate.framer == null)
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
    }

    /**
     * @param flow   a flow about to take {@code length} more bytes.
     * @param length bytes of the segment.
     * @return false when the flow would buffer more than {@link #maxBytesPerFlow()}: its partial message is dropped
     * and counted, and the segment is not taken.
     */
    boolean admit(final Flow flow, final int length)
    {
        final int buffered = flow.framer == null ? 0 : flow.framer.bufferedBytes();
        if ((long)buffered + length > maxBytesPerFlow)
        {
            dropPartial(flow);
            flowsOverflowed++;
            return false;
        }
        return true;
    }

    /**
     * Drop the flows idle for longer than the timeout.
     *
     * @param nowNs the clock.
     * @return flows dropped.
     */
    public int expire(final long nowNs)
    {
        int expired = 0;
        final Iterator<Flow> it = flows.values().iterator();
        while (it.hasNext())
        {
            final Flow flow = it.next();
            if (nowNs - flow.lastActivityNs >= idleTimeoutNs)
            {
                retire(flow);
                it.remove();
                expired++;
            }
            else
            {
                break; // access order: the rest were used more recently
            }
        }
        flowsIdleExpired += expired;
        return expired;
    }

    private void retire(final Flow flow)
    {
        dropPartial(flow);
    }

    /** @return flows with state now. */
    public int flowCount()
    {
        return flows.size();
    }

    /** @return flows with a partial message buffered now. */
    public int bufferedFlowCount()
    {
        int n = 0;
        for (final Flow flow : flows.values())
        {
            n += flow.framer != null && flow.framer.bufferedBytes() > 0 ? 1 : 0;
        }
        return n;
    }

    /** @return bytes buffered now, over all flows. */
    public long bufferedBytes()
    {
        long n = 0;
        for (final Flow flow : flows.values())
        {
            n += flow.framer == null ? 0 : flow.framer.bufferedBytes();
        }
        return n;
    }

    /** @return bytes the framers have examined so far (their work, linear in the bytes received). */
    public long bytesScanned()
    {
        long n = bytesScannedByClosedFramers;
        for (final Flow flow : flows.values())
        {
            n += flow.framer == null ? 0 : flow.framer.bytesScanned();
        }
        return n;
    }

    /** @return flows evicted to stay within {@link #maxFlows()}. */
    public long flowsEvicted()
    {
        return flowsEvicted;
    }

    /** @return flows dropped after {@link #idleTimeoutNs()} without a segment. */
    public long flowsIdleExpired()
    {
        return flowsIdleExpired;
    }

    /** @return partial messages dropped because they would exceed {@link #maxBytesPerFlow()}. */
    public long flowsOverflowed()
    {
        return flowsOverflowed;
    }

    /** @return most flows. */
    public int maxFlows()
    {
        return maxFlows;
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
