package org.esp4j.tun.sip;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Outbound packets that must wait until host changes are in force, held per packet instead of blocking the outbound
 * thread: the SIP bridge's message that announces SAs (a P-CSCF's 401, a UE's protected REGISTER) may leave only once
 * the conductor has installed those SAs and the nftables drops of clear packets on their flows. The outbound agent
 * keeps forwarding everything else meanwhile.
 * <pre>
 *   outbound thread                                   conductor thread
 *   hold(packet, ticket T) ---- copy ---> [ FIFO ]
 *                                            ^   command queue (one coalesced command)
 *   doWork(): drain <------------------------+------ onOutcome(T, inForce)   (changes complete in ticket order)
 *     head.ticket &lt;= in force: release   (the packet goes through the processor again, in hold order)
 *     a change reported not in force: drop what waits (counted), never send it
 *     older than the deadline: drop (counted)
 * </pre>
 * <b>Tickets.</b> Each batch of changes the bridge hands the conductor gets the next ticket (1, 2, ...); the conductor
 * applies them in that order, so "in force up to T" is one number. A held packet waits for the ticket the bridge
 * names: that of the SAs it announces, or of its flow's SAs under way (a received 401's), or of its flow's packet held
 * before it. Packets are released in the order they were held, so the packets of one flow keep their order. A change
 * reported not in force drops every packet still waiting (each may depend on it); the SIP client's retransmission
 * tries again.
 * <p>
 * <b>Bounded.</b> At most {@link #MAX_PACKETS} packets and {@link #MAX_BYTES} bytes; a packet that does not fit is
 * dropped and counted. A packet held longer than the deadline is dropped and counted.
 * <p>
 * <b>Threads.</b> {@link #onOutcome} is called on the conductor's thread (or, for a change refused before it was
 * queued, on the submitter's: it is safe from any thread); every other method on the outbound agent's thread, which
 * owns the packets. The outcomes reach it as a command on a many-to-one queue, as aeron-driver's {@code SenderProxy}
 * reaches the sender: at most one command waits, and it takes the newest outcomes when it runs.
 */
public final class HoldArea
{
    /** Most packets held at once. */
    public static final int MAX_PACKETS = 1024;
    /** Most bytes held at once. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    /** Where a released packet goes: through the outbound path again (outbound thread). */
    @FunctionalInterface
    public interface Release
    {
        /**
         * @param packet     the packet, valid during the call.
         * @param attachment what {@link #hold} was given with it.
         */
        void release(DirectBuffer packet, int offset, int length, Object attachment);
    }

    /** Told about a held packet that was dropped (outbound thread), so what it carried can be cleaned up. */
    @FunctionalInterface
    public interface Dropped
    {
        void dropped(Object attachment);
    }

    /** Wakes the outbound thread out of its idle poll when an outcome was queued (an eventfd in its poll set). */
    public interface Wake
    {
        /** No wake-up: the outbound thread finds the outcomes at its next duty cycle (tests). */
        Wake NONE = new Wake()
        {
            public void signal()
            {
            }

            public void clear()
            {
            }
        };

        /** Conductor thread: a command was queued. */
        void signal();

        /** Outbound thread, before it drains the commands: take the wake-up. */
        void clear();
    }

    /** The counters of the hold area (in the daemon, its {@code TunSipHold*} counters). */
    public record Counters(AtomicCounter held, AtomicCounter released, AtomicCounter full, AtomicCounter notInForce)
    {
    }

    private static final class Entry
    {
        final byte[] packet;
        final long ticket;
        final long heldAtNs;
        final Object attachment;

        Entry(final byte[] packet, final long ticket, final long heldAtNs, final Object attachment)
        {
            this.packet = packet;
            this.ticket = ticket;
            this.heldAtNs = heldAtNs;
            this.attachment = attachment;
        }
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private final NanoClock clock;
    private final long deadlineNs;
    private final Counters counters;
    private final Dropped dropped;
    private final Wake wake;
    private final int maxPackets;
    private final int maxBytes;
    // conductor (or a submitter told "busy") -> outbound: the newest outcomes and at most one command that takes them;
    // many producers: with one-to-one, a second producer racing the first's offer could overwrite its queued command
    // after the outbound thread cleared the flag, and with the flag left up no outcome was ever taken again
    private final ManyToOneConcurrentArrayQueue<Runnable> commandQueue = new ManyToOneConcurrentArrayQueue<>(2);
    private final AtomicLong reportedInForce = new AtomicLong();
    private final AtomicLong reportedNotInForce = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong reportedSettled = new AtomicLong();
    private final AtomicBoolean commandQueued = new AtomicBoolean();
    private final Runnable takeOutcomes = this::takeOutcomes;
    // outbound thread
    private long inForce;
    private long settled;
    private long notInForceFrom = Long.MAX_VALUE;
    private int bytes;
    private boolean releasing;

    /**
     * @param clock      the deadline's clock.
     * @param deadlineNs how long a packet may wait.
     * @param counters   held, released and dropped packets.
     * @param dropped    told about each dropped packet's attachment.
     * @param wake       wakes the outbound thread when a command was queued (its idle strategy may be in poll).
     */
    public HoldArea(
        final NanoClock clock, final long deadlineNs, final Counters counters, final Dropped dropped, final Wake wake)
    {
        this(clock, deadlineNs, counters, dropped, wake, MAX_PACKETS, MAX_BYTES);
    }

    HoldArea(
        final NanoClock clock,
        final long deadlineNs,
        final Counters counters,
        final Dropped dropped,
        final Wake wake,
        final int maxPackets,
        final int maxBytes)
    {
        this.clock = clock;
        this.deadlineNs = deadlineNs;
        this.counters = counters;
        this.dropped = dropped;
        this.wake = wake;
        this.maxPackets = maxPackets;
        this.maxBytes = maxBytes;
    }

    /**
     * The conductor completed the change batch of a ticket (conductor thread, tickets in order; any thread is safe).
     *
     * @param ticket   the batch's ticket.
     * @param inForce  true if the host follows it; false if it could not be applied or confirmed.
     */
    public void onOutcome(final long ticket, final boolean inForce)
    {
        reportedSettled.accumulateAndGet(ticket, Math::max);
        if (inForce)
        {
            reportedInForce.accumulateAndGet(ticket, Math::max);
        }
        else
        {
            reportedNotInForce.accumulateAndGet(ticket, Math::min);
        }
        if (!commandQueued.getAndSet(true))
        {
            commandQueue.offer(takeOutcomes); // at most one waits: the queue always has room
            wake.signal();
        }
    }

    /**
     * Hold a copy of a packet until the changes up to {@code ticket} are in force (outbound thread). While packets are
     * being released ({@link #doWork}), a packet held again goes to the front, so it stays ahead of the packets held
     * after it.
     *
     * @return false if the area is full: the packet is dropped and counted (and {@code attachment} is not kept).
     */
    public boolean hold(
        final DirectBuffer packet, final int offset, final int length, final long ticket, final Object attachment)
    {
        if (entries.size() >= maxPackets || bytes + length > maxBytes)
        {
            counters.full().increment();
            return false;
        }
        final byte[] copy = new byte[length]; // control plane (SIP), bounded above
        packet.getBytes(offset, copy);
        final Entry entry = new Entry(copy, ticket, clock.nanoTime(), attachment);
        if (releasing)
        {
            entries.addFirst(entry);
        }
        else
        {
            entries.addLast(entry);
            counters.held().increment();
        }
        bytes += length;
        return true;
    }

    /** @return true when no packet is held (outbound thread). */
    public boolean isEmpty()
    {
        return entries.isEmpty();
    }

    /**
     * @return messages dropped so far, not sent in clear: the area was full, or their changes were not in force in
     * time (any thread: read from the counters).
     */
    public long dropped()
    {
        return counters.full().get() + counters.notInForce().get();
    }

    /** @return packets held (outbound thread). */
    public int size()
    {
        return entries.size();
    }

    /** @return the newest ticket known here to be in force (outbound thread). */
    public long inForce()
    {
        return inForce;
    }

    /** @return the newest ticket known here to have an outcome, in force or not (outbound thread). */
    public long settled()
    {
        return settled;
    }

    /**
     * Take the conductor's outcomes, release what they allow in hold order, drop what a change not in force or the
     * deadline rules out (outbound thread, at the start of its duty cycle).
     *
     * @return packets released or dropped.
     */
    public int doWork(final Release release)
    {
        wake.clear();
        commandQueue.drain(Runnable::run);
        if (entries.isEmpty())
        {
            notInForceFrom = Long.MAX_VALUE;
            return 0;
        }
        int work = 0;
        releasing = true;
        try
        {
            while (!entries.isEmpty())
            {
                final Entry head = entries.peekFirst();
                if (head.ticket >= notInForceFrom)
                {
                    work += dropAll();
                    break;
                }
                if (head.ticket > inForce)
                {
                    break;
                }
                entries.pollFirst();
                bytes -= head.packet.length;
                counters.released().increment();
                view.wrap(head.packet);
                release.release(view, 0, head.packet.length, head.attachment);
                work++;
            }
        }
        finally
        {
            releasing = false;
            notInForceFrom = Long.MAX_VALUE;
        }
        final long nowNs = clock.nanoTime();
        while (!entries.isEmpty() && nowNs - entries.peekFirst().heldAtNs >= deadlineNs)
        {
            drop(entries.pollFirst());
            work++;
        }
        return work;
    }

    private void takeOutcomes()
    {
        commandQueued.set(false); // before the reads: an outcome reported after them queues a command of its own
        inForce = Math.max(inForce, reportedInForce.get());
        settled = Math.max(settled, reportedSettled.get());
        notInForceFrom = Math.min(notInForceFrom, reportedNotInForce.getAndSet(Long.MAX_VALUE));
    }

    private int dropAll()
    {
        int count = 0;
        while (!entries.isEmpty())
        {
            drop(entries.pollFirst());
            count++;
        }
        return count;
    }

    private void drop(final Entry entry)
    {
        bytes -= entry.packet.length;
        counters.notInForce().increment();
        dropped.dropped(entry.attachment);
    }
}
