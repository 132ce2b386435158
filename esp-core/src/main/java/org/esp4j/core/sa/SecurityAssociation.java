package org.esp4j.core.sa;

import org.esp4j.core.xfrm.XfrmAddresses;
import org.esp4j.core.counters.SaCounters;
import org.esp4j.core.crypto.EspTransform;
import org.esp4j.core.crypto.EspTransforms;
import org.esp4j.core.crypto.IvSource;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.replay.ReplayWindow;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A transport-mode ESP security association at run time (RFC 4301 §4.4.2): its config, outbound sequence number,
 * inbound replay window, lifetime state and counters.
 * <p>
 * Threading: any number of threads may protect or check packets on one SA at once.
 * <ul>
 *   <li>Outbound sequence numbers come from one atomic counter, taken only when the packet will be sent, so no
 *       number is used twice or skipped.</li>
 *   <li>The replay window is guarded by its own monitor; the expensive ICV check runs outside it, and the window is
 *       re-checked and updated only after the ICV verified (RFC 4303 §3.4.3).</li>
 *   <li>Cipher and MAC state is per thread ({@link #transform()}).</li>
 *   <li>Lifetime state changes by compare-and-set, so each event fires once.</li>
 * </ul>
 */
public final class SecurityAssociation
{
    private static final long NONE = Long.MAX_VALUE;

    private final SaConfig config;
    private final long spi;
    private final long sourceHigh;
    private final long sourceLow;
    private final long destinationHigh;
    private final long destinationLow;
    private final boolean ipv4;
    private final boolean esn;
    private final SaCounters counters;
    private final ReplayWindow replayWindow;
    /** Window size 0 without ESN: every number is acceptable and nothing is recorded (RFC 4303 §3.4.3). */
    private final boolean replayOff;
    private final long addTimeNs;
    private final long epochOffsetNs;
    private final SaEventListener listener;

    // Limits are replaced as a whole by updateLifetime (e.g. a SIP re-registration extends an SA); each field is
    // volatile so a packet thread sees either the old or the new value of each, both of which are valid limits.
    private volatile SaLifetimeConfig lifetime;
    private volatile long bytesSoftLimit;
    private volatile long bytesHardLimit;
    private volatile long packetsSoftLimit;
    private volatile long packetsHardLimit;
    private volatile long softAddDeadlineNs;
    private volatile long hardAddDeadlineNs;
    private volatile long softUseDeadlineNs = NONE;
    private volatile long hardUseDeadlineNs = NONE;

    private final AtomicLong nextOutboundSequence = new AtomicLong(1);
    private final AtomicInteger state = new AtomicInteger(SaState.VALID.ordinal());
    private final AtomicLong firstUseNs = new AtomicLong(NONE);

    private final ThreadLocal<EspTransform> transforms;
    private final CopyOnWriteArrayList<EspTransform> allTransforms = new CopyOnWriteArrayList<>();
    private volatile IvSource ivSourceOverride;

    SecurityAssociation(
        final SaConfig config,
        final SaCounters counters,
        final long addTimeNs,
        final long epochOffsetNs,
        final SaEventListener listener)
    {
        this.config = config;
        this.counters = counters;
        this.addTimeNs = addTimeNs;
        this.epochOffsetNs = epochOffsetNs;
        this.listener = listener;
        spi = config.spi();
        sourceHigh = IpAddressBits.high(config.source());
        sourceLow = IpAddressBits.low(config.source());
        destinationHigh = IpAddressBits.high(config.destination());
        destinationLow = IpAddressBits.low(config.destination());
        ipv4 = config.isIpv4();
        esn = config.esn();
        replayWindow = new ReplayWindow(config.replayWindowSize(), esn);
        replayOff = config.replayWindowSize() == 0 && !esn;

        applyLifetime(config.lifetime());

        transforms = ThreadLocal.withInitial(() ->
        {
            final EspTransform transform = EspTransforms.newTransform(config);
            final IvSource ivSource = ivSourceOverride;
            if (ivSource != null)
            {
                transform.ivSource(ivSource);
            }
            allTransforms.add(transform);
            return transform;
        });
    }

    public SaConfig config()
    {
        return config;
    }

    /** @return the SPI, unsigned 32-bit. */
    public long spi()
    {
        return spi;
    }

    public long sourceHigh()
    {
        return sourceHigh;
    }

    public long sourceLow()
    {
        return sourceLow;
    }

    public long destinationHigh()
    {
        return destinationHigh;
    }

    public long destinationLow()
    {
        return destinationLow;
    }

    public boolean isIpv4()
    {
        return ipv4;
    }

    public boolean esn()
    {
        return esn;
    }

    public SaState state()
    {
        return SaState.values()[state.get()];
    }

    /** @return true while the SA passes traffic (valid or dying). */
    public boolean isUsable()
    {
        return state.get() <= SaState.DYING.ordinal();
    }

    public SaCounters counters()
    {
        return counters;
    }

    /** @return the SA's nanosecond clock time of addition. */
    public long addTimeNs()
    {
        return addTimeNs;
    }

    /** @return epoch ns of addition. */
    public long addTimeEpochNs()
    {
        return addTimeNs + epochOffsetNs;
    }

    /** @return the next outbound sequence number (the one the next protected packet will carry). */
    public long nextOutboundSequence()
    {
        return nextOutboundSequence.get();
    }

    /**
     * Set the next outbound sequence number, e.g. to reproduce a capture or to test overflow.
     *
     * @param sequence next sequence number, at least 1.
     */
    public void nextOutboundSequence(final long sequence)
    {
        if (sequence < 1)
        {
            throw new IllegalArgumentException("sequence numbers start at 1: " + sequence);
        }
        nextOutboundSequence.set(sequence);
    }

    /**
     * Replace the IV source of every transform of this SA, present and future (for reproducing reference packets).
     *
     * @param ivSource the source.
     */
    public void ivSource(final IvSource ivSource)
    {
        ivSourceOverride = ivSource;
        for (final EspTransform transform : allTransforms)
        {
            transform.ivSource(ivSource);
        }
    }

    /** @return this thread's transform (created on first use by a thread). */
    public EspTransform transform()
    {
        return transforms.get();
    }

    /**
     * Take the next outbound sequence number. Without ESN the counter must not cycle (RFC 4303 §3.3.3): at 2^32 the
     * SA expires and this returns -1.
     *
     * @return the sequence number or -1 when exhausted.
     */
    public long takeOutboundSequence()
    {
        final long sequence = nextOutboundSequence.getAndIncrement();
        if (!esn && sequence > 0xFFFF_FFFFL)
        {
            nextOutboundSequence.set(0x1_0000_0000L);
            if (expire())
            {
                listener.onSaEvent(SaEventType.SEQUENCE_OVERFLOW, this);
            }
            return -1;
        }
        return sequence;
    }

    /**
     * Check the hard limits before a packet uses the SA, and expire it if one was reached.
     *
     * @param nowNs the clock.
     * @return true if the SA may carry the packet.
     */
    public boolean checkHardLimits(final long nowNs)
    {
        if (state.get() > SaState.DYING.ordinal())
        {
            return false;
        }
        if (nowNs >= hardAddDeadlineNs || nowNs >= hardUseDeadlineNs ||
            counters.packets() >= packetsHardLimit || counters.bytes() >= bytesHardLimit)
        {
            if (expire())
            {
                listener.onSaEvent(SaEventType.HARD_EXPIRED, this);
            }
            return false;
        }
        return true;
    }

    /**
     * Account a packet that used the SA, and raise the soft-expiry event when a soft limit is crossed.
     *
     * @param bytes packet bytes counted against the lifetime.
     * @param nowNs the clock.
     */
    public void onPacket(final int bytes, final long nowNs)
    {
        if (firstUseNs.get() == NONE && firstUseNs.compareAndSet(NONE, nowNs))
        {
            final SaLifetimeConfig lifetime = this.lifetime;
            softUseDeadlineNs = deadline(nowNs, lifetime.softUseExpiresNs());
            hardUseDeadlineNs = deadline(nowNs, lifetime.hardUseExpiresNs());
        }
        counters.onPacket(bytes, nowNs + epochOffsetNs);
        if (state.get() == SaState.VALID.ordinal() &&
            (counters.packets() >= packetsSoftLimit || counters.bytes() >= bytesSoftLimit ||
            nowNs >= softAddDeadlineNs || nowNs >= softUseDeadlineNs))
        {
            softExpire();
        }
    }

    /**
     * Check the time limits without traffic (the SAD's periodic sweep).
     *
     * @param nowNs the clock.
     */
    public void pollTimeLimits(final long nowNs)
    {
        if (state.get() == SaState.VALID.ordinal() && (nowNs >= softAddDeadlineNs || nowNs >= softUseDeadlineNs))
        {
            softExpire();
        }
        if (state.get() <= SaState.DYING.ordinal() && (nowNs >= hardAddDeadlineNs || nowNs >= hardUseDeadlineNs))
        {
            if (expire())
            {
                listener.onSaEvent(SaEventType.HARD_EXPIRED, this);
            }
        }
    }

    /** @return the lifetime limits in force. */
    public SaLifetimeConfig lifetime()
    {
        return lifetime;
    }

    /**
     * Replace the lifetime limits, counted as before from the SA's addition and first use (so to extend an SA by
     * D from now, add {@code now - addTimeNs()} to D). An expired SA stays expired; a dying SA becomes valid again
     * only if no new soft limit is reached.
     *
     * @param newLifetime the new limits.
     * @param nowNs       the clock, to judge the new soft time limits.
     */
    public void updateLifetime(final SaLifetimeConfig newLifetime, final long nowNs)
    {
        applyLifetime(newLifetime);
        final long firstUse = firstUseNs.get();
        if (firstUse != NONE)
        {
            softUseDeadlineNs = deadline(firstUse, newLifetime.softUseExpiresNs());
            hardUseDeadlineNs = deadline(firstUse, newLifetime.hardUseExpiresNs());
        }
        if (counters.packets() < packetsSoftLimit && counters.bytes() < bytesSoftLimit &&
            nowNs < softAddDeadlineNs && nowNs < softUseDeadlineNs)
        {
            state.compareAndSet(SaState.DYING.ordinal(), SaState.VALID.ordinal());
        }
    }

    private void applyLifetime(final SaLifetimeConfig newLifetime)
    {
        lifetime = newLifetime;
        bytesSoftLimit = newLifetime.bytesSoftLimit();
        bytesHardLimit = newLifetime.bytesHardLimit();
        packetsSoftLimit = newLifetime.packetsSoftLimit();
        packetsHardLimit = newLifetime.packetsHardLimit();
        softAddDeadlineNs = deadline(addTimeNs, newLifetime.softAddExpiresNs());
        hardAddDeadlineNs = deadline(addTimeNs, newLifetime.hardAddExpiresNs());
    }

    /** @return first use on the SA's clock, or -1 if never used. */
    public long firstUseNs()
    {
        final long value = firstUseNs.get();
        return value == NONE ? -1 : value;
    }

    /**
     * Replay pre-check of a received packet in one step: infer the full sequence number (ESN high bits, RFC 4303
     * Appendix A) and classify it, without changing the window. With anti-replay off and no ESN there is no window
     * state to read, so no lock is taken.
     *
     * @param wireSequence the 32-bit sequence number from the packet.
     * @return the full sequence number if acceptable, or -1 for a replay, a number left of the window, or zero.
     */
    public long replayPreCheck(final long wireSequence)
    {
        if (replayOff)
        {
            return wireSequence;
        }
        synchronized (replayWindow)
        {
            final long sequence = replayWindow.inferSequence(wireSequence);
            return replayWindow.classify(sequence) == ReplayWindow.ACCEPTABLE ? sequence : -1;
        }
    }

    /**
     * Mark a verified packet as received.
     *
     * @param sequence full sequence number.
     * @return false if another thread received the same number meanwhile.
     */
    public boolean replayCheckAndUpdate(final long sequence)
    {
        if (replayOff)
        {
            return true;
        }
        synchronized (replayWindow)
        {
            return replayWindow.checkAndUpdate(sequence);
        }
    }

    /** @return highest sequence number received. */
    public long replayHighestSequence()
    {
        synchronized (replayWindow)
        {
            return replayWindow.highestSequence();
        }
    }

    void markDeleted()
    {
        state.set(SaState.DELETED.ordinal());
        for (final EspTransform transform : allTransforms)
        {
            transform.destroy();
        }
        allTransforms.clear();
        config.zeroKeys();
    }

    private boolean expire()
    {
        while (true)
        {
            final int current = state.get();
            if (current > SaState.DYING.ordinal())
            {
                return false;
            }
            if (state.compareAndSet(current, SaState.EXPIRED.ordinal()))
            {
                return true;
            }
        }
    }

    private void softExpire()
    {
        if (state.compareAndSet(SaState.VALID.ordinal(), SaState.DYING.ordinal()))
        {
            listener.onSaEvent(SaEventType.SOFT_EXPIRED, this);
        }
    }

    private static long deadline(final long startNs, final long durationNs)
    {
        if (durationNs == SaLifetimeConfig.INFINITE)
        {
            return NONE;
        }
        final long deadline = startNs + durationNs;
        return deadline < startNs ? NONE : deadline;
    }

    /** @return a description without keys. */
    public String toString()
    {
        return "SecurityAssociation{" + XfrmAddresses.toText(config.source()) + " -> " +
            XfrmAddresses.toText(config.destination()) + " spi " + config.spiHex() + " (" + spi + ") " + state() + "}";
    }
}
