package org.esp4j.tun.control;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.esp4j.core.spd.SpdEventListener;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.tun.daemon.DaemonConductor;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Carries SA events and acquires from the threads that raise them (packet threads, the SAD's callers, the expiry
 * sweep) to the {@link ControlServer}, which writes them to {@code xfrm monitor} clients.
 * <p>
 * Never blocks the caller: an event is one small immutable {@link ControlEvent} offered to a bounded lock-free
 * Agrona {@link ManyToOneConcurrentArrayQueue}; when the queue is full the event is dropped and counted
 * ({@link #dropped()}), as the kernel drops netlink multicasts to a slow listener. While no monitor is connected
 * ({@link #monitoring(boolean)} false) events are not even queued, so an idle control socket costs the packet path
 * one volatile read per event.
 * <p>
 * Use it as the {@link org.esp4j.core.sa.SecurityAssociationDatabase}'s listener, and as the
 * {@link org.esp4j.core.esp.EspProcessor}'s for acquires, or subscribe it to another dispatcher of those events.
 * One {@link ControlEvents} feeds one {@link ControlServer} (there is one consumer).
 */
public final class ControlEvents implements SpdEventListener, DaemonConductor.PolicyEventListener
{
    /** Events held for the control thread before new ones are dropped. */
    public static final int DEFAULT_CAPACITY = 4096;

    private final ManyToOneConcurrentArrayQueue<ControlEvent> queue;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean monitoring;

    public ControlEvents()
    {
        this(DEFAULT_CAPACITY);
    }

    /**
     * @param capacity events held before new ones are dropped (rounded up to a power of two).
     */
    public ControlEvents(final int capacity)
    {
        queue = new ManyToOneConcurrentArrayQueue<>(capacity);
    }

    public void onSaEvent(final SaEventType type, final SecurityAssociation sa)
    {
        if (monitoring)
        {
            offer(new ControlEvent(type, sa, null, 0, 0, 0, 0, 0, 0, 0, null));
        }
    }

    public void onPolicyEvent(final DaemonConductor.PolicyEventType type, final SecurityPolicy policy)
    {
        if (monitoring)
        {
            offer(new ControlEvent(null, null, policy, 0, 0, 0, 0, 0, 0, 0, type));
        }
    }

    public void onAcquire(
        final SecurityPolicy policy,
        final long srcHigh,
        final long srcLow,
        final long dstHigh,
        final long dstLow,
        final int protocol,
        final int srcPort,
        final int dstPort)
    {
        if (monitoring)
        {
            offer(new ControlEvent(null, null, policy, srcHigh, srcLow, dstHigh, dstLow, protocol, srcPort, dstPort, null));
        }
    }

    /**
     * Turn queuing on while at least one monitor listens (called by the control thread).
     *
     * @param monitoring true to queue events, false to ignore them.
     */
    public void monitoring(final boolean monitoring)
    {
        this.monitoring = monitoring;
    }

    /** @return true while events are queued. */
    public boolean isMonitoring()
    {
        return monitoring;
    }

    /** @return true while a monitor is connected: only then does the conductor work out policy events. */
    public boolean isListening()
    {
        return monitoring;
    }

    /** @return events dropped because the queue was full. */
    public long dropped()
    {
        return dropped.get();
    }

    /**
     * Hand queued events to the consumer, on the calling (single consumer) thread.
     *
     * @param consumer receives each event in order.
     * @param limit    most events to take in this call.
     * @return number of events taken.
     */
    public int drain(final Consumer<ControlEvent> consumer, final int limit)
    {
        return queue.drain(consumer, limit);
    }

    private void offer(final ControlEvent event)
    {
        if (!queue.offer(event))
        {
            dropped.incrementAndGet();
        }
    }
}
