package org.esp4j.core.sa;

import org.esp4j.core.ip.IpAddressText;
import org.esp4j.core.counters.SaCounters;
import org.esp4j.core.crypto.EspTransform;
import org.esp4j.core.crypto.IvSource;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.replay.ReplayWindow;

import java.security.SecureRandom;
import java.util.Arrays;
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
 *   <li>Cipher and MAC state is per packet thread: each {@link EpochReclamation.Reader} (one per
 *       {@code EspProcessor}) has its own slot of transforms on the SA ({@link #transform(EpochReclamation.Reader)}),
 *       built on its first use. No transform is built once the SA is deleted.</li>
 *   <li>Lifetime state changes by compare-and-set, so each event fires once.</li>
 *   <li>Deletion has two steps ({@link EpochReclamation}): {@link SaState#DELETED} as soon as the SA leaves the
 *       database, so no new packet uses it; keys zeroed and transforms destroyed (and dropped, with every JDK
 *       {@code Cipher} in them) only once no packet thread can still be inside a call that looked it up.</li>
 *   <li>AES-GCM and AES-GMAC IVs: the sequence number XORed with a random 64-bit salt drawn when the SA is created
 *       ({@link #ivSalt()}, as Linux's {@code seqiv}), so an SA added again with the same key (after
 *       {@code state del}, or in another run of the daemon) uses different IVs although its sequence numbers
 *       start again at 1.</li>
 * </ul>
 */
public final class SecurityAssociation
{
    private static final long NONE = Long.MAX_VALUE;
    private static final EspTransform[] NO_TRANSFORMS = new EspTransform[0];
    /** {@link SaState#values()} copies its array on every call (32 bytes on the outbound path, per packet). */
    private static final SaState[] STATES = SaState.values();
    private static final SecureRandom IV_SALTS = new SecureRandom();

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

    private final long ivSalt;
    /** Indexed by {@link EpochReclamation.Reader#index()}; grown and replaced under this object's lock. */
    private volatile EspTransform[] transformSlots = NO_TRANSFORMS;
    /** The transform of {@link #transform()}, for callers outside a processor; guarded by this object's lock. */
    private EspTransform unregisteredTransform;
    private IvSource ivSourceOverride;
    /** Epoch at which the SA was retired; written and read under the SAD's lock. */
    private long retireEpoch = Long.MAX_VALUE;
    /** The SAD that holds the SA (null outside one): told of lifetime updates and sequence alerts. */
    private SecurityAssociationDatabase owner;
    /**
     * Taking this outbound sequence number, or a later one, raises the owner's sequence alert
     * ({@link SecurityAssociationDatabase#takeSequenceAlert()}): the mark a watcher set with
     * {@link #alertAtOutboundSequence(long)}, so that it need not look at idle SAs.
     */
    private volatile long sequenceAlertAt = NONE;

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
        ivSalt = IV_SALTS.nextLong();
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
        return STATES[state.get()];
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
        raiseSequenceAlert();
    }

    /**
     * Raise the owning SAD's sequence alert once this SA takes outbound sequence number {@code sequence} or a later
     * one (a watcher such as the daemon's sequence reservations, which then looks at its SAs again).
     *
     * @param sequence the mark, or {@code Long.MAX_VALUE} for none.
     */
    public void alertAtOutboundSequence(final long sequence)
    {
        sequenceAlertAt = sequence;
    }

    private void raiseSequenceAlert()
    {
        final SecurityAssociationDatabase sad = owner;
        if (sad != null)
        {
            sad.onSequenceAlert();
        }
    }

    void owner(final SecurityAssociationDatabase sad)
    {
        owner = sad;
    }

    /**
     * Replace the IV source of every transform of this SA, present and future (for reproducing reference packets).
     *
     * @param ivSource the source.
     */
    public synchronized void ivSource(final IvSource ivSource)
    {
        ivSourceOverride = ivSource;
        for (final EspTransform transform : transformSlots)
        {
            if (transform != null)
            {
                transform.ivSource(ivSource);
            }
        }
        if (unregisteredTransform != null)
        {
            unregisteredTransform.ivSource(ivSource);
        }
    }

    /**
     * @return the random 64-bit salt this SA's AES-GCM and AES-GMAC IVs are XORed with (RFC 4106 §3.1 asks only that
     * an IV never repeats under one key; a counter alone repeats whenever an SA starts again with a key it had).
     */
    public long ivSalt()
    {
        return ivSalt;
    }

    /**
     * The transform of a packet thread: each reader has its own, built on first use and destroyed when the SA is
     * reclaimed (or the reader unregistered). No allocation once built.
     *
     * @param reader the calling thread's registration, inside a call ({@link EpochReclamation.Reader#enter()}).
     * @return the transform, or null if the SA is deleted (no transform is built for a deleted SA).
     */
    public EspTransform transform(final EpochReclamation.Reader reader)
    {
        final int index = reader.index();
        final EspTransform[] slots = transformSlots;
        if (index < slots.length)
        {
            final EspTransform transform = slots[index];
            if (transform != null)
            {
                return transform;
            }
        }
        return newTransform(index);
    }

    /**
     * A transform for callers that use the SA outside an {@code EspProcessor} (tools, tests, benchmarks): one shared
     * transform, for one thread at a time, which {@link EpochReclamation} does not protect. Packet threads use
     * {@link #transform(EpochReclamation.Reader)}.
     *
     * @return the transform, or null once the SA is deleted.
     */
    public synchronized EspTransform transform()
    {
        if (state.get() == SaState.DELETED.ordinal())
        {
            return null;
        }
        if (unregisteredTransform == null)
        {
            unregisteredTransform = buildTransform();
        }
        return unregisteredTransform;
    }

    private synchronized EspTransform newTransform(final int index)
    {
        if (state.get() == SaState.DELETED.ordinal())
        {
            return null;
        }
        EspTransform[] slots = transformSlots;
        if (index < slots.length && slots[index] != null)
        {
            return slots[index];
        }
        if (index >= slots.length)
        {
            slots = Arrays.copyOf(slots, Math.max(index + 1, 2 * slots.length));
        }
        final EspTransform transform = buildTransform();
        slots[index] = transform;
        transformSlots = slots;
        return transform;
    }

    private EspTransform buildTransform()
    {
        final EspTransform transform = EspTransforms.newTransform(config, ivSalt);
        if (ivSourceOverride != null)
        {
            transform.ivSource(ivSourceOverride);
        }
        return transform;
    }

    /** Destroy one reader's transform (the reader is gone; its index will be reused). */
    synchronized void releaseTransform(final int index)
    {
        final EspTransform[] slots = transformSlots;
        if (index < slots.length && slots[index] != null)
        {
            slots[index].destroy();
            final EspTransform[] copy = slots.clone();
            copy[index] = null;
            transformSlots = copy;
        }
    }

    /** @return transforms built and not destroyed (for tests of reclamation). */
    synchronized int transformCount()
    {
        int count = unregisteredTransform == null ? 0 : 1;
        for (final EspTransform transform : transformSlots)
        {
            count += transform == null ? 0 : 1;
        }
        return count;
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
        if (sequence >= sequenceAlertAt)
        {
            raiseSequenceAlert();
        }
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

    /**
     * When the time limits next need a look without traffic ({@link #pollTimeLimits(long)}): the earliest soft (while
     * valid) or hard add/use deadline. Before the first use, a use limit cannot be reached before {@code nowNs} plus
     * the limit, so that is when to look again; the data path checks the limits of each packet besides.
     *
     * @param nowNs the clock.
     * @return the time, or {@code Long.MAX_VALUE} when nothing is left to check (no time limit, or expired).
     */
    long nextTimeCheckNs(final long nowNs)
    {
        final int current = state.get();
        if (current > SaState.DYING.ordinal())
        {
            return NONE;
        }
        final boolean valid = current == SaState.VALID.ordinal();
        final SaLifetimeConfig limits = lifetime;
        long next = hardAddDeadlineNs;
        if (valid)
        {
            next = Math.min(next, softAddDeadlineNs);
        }
        // from the first use itself, not the use deadlines: a packet thread sets those just after the first use
        final long firstUse = firstUseNs.get();
        final long useStartNs = firstUse != NONE ? firstUse : nowNs;
        next = Math.min(next, deadline(useStartNs, limits.hardUseExpiresNs()));
        if (valid)
        {
            next = Math.min(next, deadline(useStartNs, limits.softUseExpiresNs()));
        }
        return next;
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
        final SecurityAssociationDatabase sad = owner;
        if (sad != null)
        {
            sad.onLifetimeChanged(this);
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

    /** @return true once the SA has left the database: no packet may use it any more. */
    public boolean isDeleted()
    {
        return state.get() == SaState.DELETED.ordinal();
    }

    /** First step of deletion: visible at once to every packet thread, which then leaves the SA alone. */
    void markDeleted()
    {
        state.set(SaState.DELETED.ordinal());
    }

    void retireEpoch(final long epoch)
    {
        retireEpoch = epoch;
    }

    long retireEpoch()
    {
        return retireEpoch;
    }

    /** Second step of deletion, once no packet thread can be using the SA: wipe and drop every key copy. */
    synchronized void reclaim()
    {
        for (final EspTransform transform : transformSlots)
        {
            if (transform != null)
            {
                transform.destroy();
            }
        }
        transformSlots = NO_TRANSFORMS;
        if (unregisteredTransform != null)
        {
            unregisteredTransform.destroy();
            unregisteredTransform = null;
        }
        ivSourceOverride = null;
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
        return "SecurityAssociation{" + IpAddressText.format(config.source()) + " -> " +
            IpAddressText.format(config.destination()) + " spi " + config.spiHex() + " (" + spi + ") " + state() + "}";
    }
}
