package org.esp4j.tun.daemon;

import org.esp4j.core.sa.SaEventListener;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.SecurityPolicy;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes SA events and acquires from the SAD and the packet threads (never blocks them: a full queue drops the event
 * and counts it in {@link #dropped()}) and delivers them to subscribers on the event thread. Acquires are
 * rate-limited per policy (one a second), as the kernel does for XFRM_MSG_ACQUIRE.
 */
final class DaemonEvents implements SaEventListener
{
    private record Event(SaEventType type, SecurityAssociation sa, SecurityPolicy policy,
        long srcHigh, long srcLow, long dstHigh, long dstLow, int protocol, int srcPort, int dstPort)
    {
    }

    private static final int CAPACITY = 4096;
    private static final long ACQUIRE_INTERVAL_NS = 1_000_000_000L;

    private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final List<SaEventListener> subscribers = new CopyOnWriteArrayList<>();
    private final java.util.Map<SecurityPolicy, Long> lastAcquireNs = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    public void onSaEvent(final SaEventType type, final SecurityAssociation sa)
    {
        if (!queue.offer(new Event(type, sa, null, 0, 0, 0, 0, 0, 0, 0)))
        {
            dropped.incrementAndGet();
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
        final long now = System.nanoTime();
        final Long last = lastAcquireNs.get(policy);
        if (last != null && now - last < ACQUIRE_INTERVAL_NS)
        {
            return;
        }
        lastAcquireNs.put(policy, now);
        if (!queue.offer(new Event(null, null, policy, srcHigh, srcLow, dstHigh, dstLow, protocol, srcPort, dstPort)))
        {
            dropped.incrementAndGet();
        }
    }

    AutoCloseable subscribe(final SaEventListener listener)
    {
        subscribers.add(listener);
        return () -> subscribers.remove(listener);
    }

    long dropped()
    {
        return dropped.get();
    }

    /**
     * Deliver the events waiting, waiting at most {@code timeoutMs} for the first.
     *
     * @return number delivered.
     */
    int deliver(final long timeoutMs, final java.util.function.Consumer<String> log) throws InterruptedException
    {
        Event event = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
        int count = 0;
        while (event != null)
        {
            for (final SaEventListener subscriber : subscribers)
            {
                try
                {
                    if (event.type() != null)
                    {
                        subscriber.onSaEvent(event.type(), event.sa());
                    }
                    else
                    {
                        subscriber.onAcquire(event.policy(), event.srcHigh(), event.srcLow(), event.dstHigh(),
                            event.dstLow(), event.protocol(), event.srcPort(), event.dstPort());
                    }
                }
                catch (final RuntimeException ex)
                {
                    log.accept("event subscriber failed: " + ex);
                }
            }
            count++;
            event = queue.poll();
        }
        return count;
    }
}
