package org.esp4j.tun.daemon;

import org.esp4j.core.spd.SpdEventListener;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.SecurityPolicy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Hands SA events and acquires from the threads that raise them (the conductor through the SAD, the packet threads)
 * straight to the subscribers, on the raising thread: no queue and no thread of its own. A subscriber must
 * therefore never block; the control socket's {@code ControlEvents} offers each event to its own bounded queue and
 * drops (and counts) when it is full. Acquires are rate-limited per policy (one a second), as the kernel does for
 * XFRM_MSG_ACQUIRE.
 */
final class DaemonEvents implements SpdEventListener
{
    private static final long ACQUIRE_INTERVAL_NS = 1_000_000_000L;

    private final List<SpdEventListener> subscribers = new CopyOnWriteArrayList<>();
    private final Map<SecurityPolicy, Long> lastAcquireNs = new ConcurrentHashMap<>();
    private final AtomicLong failed = new AtomicLong();
    private final Consumer<String> log;

    DaemonEvents(final Consumer<String> log)
    {
        this.log = log;
    }

    public void onSaEvent(final SaEventType type, final SecurityAssociation sa)
    {
        for (final SpdEventListener subscriber : subscribers)
        {
            try
            {
                subscriber.onSaEvent(type, sa);
            }
            catch (final RuntimeException ex)
            {
                onFailure(ex);
            }
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
        if (subscribers.isEmpty())
        {
            return;
        }
        final long now = System.nanoTime();
        final Long last = lastAcquireNs.get(policy);
        if (last != null && now - last < ACQUIRE_INTERVAL_NS)
        {
            return;
        }
        if (lastAcquireNs.size() > 4096)
        {
            lastAcquireNs.clear(); // bounded: policies come and go
        }
        lastAcquireNs.put(policy, now);
        for (final SpdEventListener subscriber : subscribers)
        {
            try
            {
                subscriber.onAcquire(policy, srcHigh, srcLow, dstHigh, dstLow, protocol, srcPort, dstPort);
            }
            catch (final RuntimeException ex)
            {
                onFailure(ex);
            }
        }
    }

    AutoCloseable subscribe(final SpdEventListener listener)
    {
        subscribers.add(listener);
        return () -> subscribers.remove(listener);
    }

    /** @return events a subscriber threw on. */
    long failed()
    {
        return failed.get();
    }

    private void onFailure(final RuntimeException ex)
    {
        if (failed.getAndIncrement() == 0)
        {
            log.accept("event subscriber failed (logged once): " + ex);
        }
    }
}
