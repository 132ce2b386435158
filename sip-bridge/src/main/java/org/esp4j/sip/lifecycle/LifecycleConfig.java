package org.esp4j.sip.lifecycle;

import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.AkaKeyring;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Settings of the SA lifecycle: role, timers (TS 24.229 reg-await-auth; registration expiry + 30 s per
 * TS 33.203 §7.4), algorithm preference, the P-CSCF's SPI and port pools, and optional AKA credentials. Build with
 * {@link #builder(Role)}.
 */
public final class LifecycleConfig
{
    /** Default reg-await-auth: 4 minutes (TS 24.229 Table 7.7.1). */
    public static final long DEFAULT_REG_AWAIT_AUTH_NS = TimeUnit.MINUTES.toNanos(4);
    /** SA lifetime beyond the registration expiry (TS 33.203 §7.4.1). */
    public static final long DEFAULT_EXPIRY_GRACE_NS = TimeUnit.SECONDS.toNanos(30);

    private final Role role;
    private final LongSupplier nanoClock;
    private final long regAwaitAuthNs;
    private final long expiryGraceNs;
    private final long defaultRegistrationExpirySeconds;
    private final List<AlgorithmPair> preference;
    private final SpiPool spiPool;
    private final PortPool portPool;
    private final int protectedServerPort;
    private final AkaAlgorithm akaAlgorithm;
    private final AkaKeyring akaKeyring;
    private final int sqnWindowSize;
    private final boolean installOnAkaFailure;
    private final Supplier<String> cnonceSupplier;
    private final boolean passive;

    private LifecycleConfig(final Builder b)
    {
        this.role = b.role;
        this.nanoClock = b.nanoClock;
        this.regAwaitAuthNs = b.regAwaitAuthNs;
        this.expiryGraceNs = b.expiryGraceNs;
        this.defaultRegistrationExpirySeconds = b.defaultRegistrationExpirySeconds;
        this.preference = List.copyOf(b.preference);
        this.spiPool = b.spiPool != null ? b.spiPool : new SpiPool(SpiPool.MIN_ALLOCATABLE_SPI, 0xFFFF_FFFFL);
        this.portPool = b.portPool != null ? b.portPool : new PortPool(20000, 59999);
        this.protectedServerPort = b.protectedServerPort;
        this.akaAlgorithm = b.akaAlgorithm;
        this.akaKeyring = b.akaKeyring;
        this.sqnWindowSize = b.sqnWindowSize;
        this.installOnAkaFailure = b.installOnAkaFailure;
        this.cnonceSupplier = b.cnonceSupplier;
        this.passive = b.passive;
    }

    /**
     * @param role UE or P-CSCF.
     * @return a builder with defaults.
     */
    public static Builder builder(final Role role)
    {
        return new Builder(role);
    }

    /**
     * @return role.
     */
    public Role role()
    {
        return role;
    }

    /**
     * @return monotonic clock in nanoseconds.
     */
    public LongSupplier nanoClock()
    {
        return nanoClock;
    }

    /**
     * @return lifetime of a temporary set.
     */
    public long regAwaitAuthNs()
    {
        return regAwaitAuthNs;
    }

    /**
     * @return time an established set outlives the registration expiry.
     */
    public long expiryGraceNs()
    {
        return expiryGraceNs;
    }

    /**
     * @return expiry assumed when a 200 OK to REGISTER states none.
     */
    public long defaultRegistrationExpirySeconds()
    {
        return defaultRegistrationExpirySeconds;
    }

    /**
     * @return supported algorithm pairs, most preferred first.
     */
    public List<AlgorithmPair> preference()
    {
        return preference;
    }

    /**
     * @return the P-CSCF's SPI pool.
     */
    public SpiPool spiPool()
    {
        return spiPool;
    }

    /**
     * @return the P-CSCF's port-c pool.
     */
    public PortPool portPool()
    {
        return portPool;
    }

    /**
     * @return the P-CSCF's protected server port (port-s), the same for every set.
     */
    public int protectedServerPort()
    {
        return protectedServerPort;
    }

    /**
     * @return AKA functions keyed with K and OP/OPc, or null when the keys are unknown.
     */
    public AkaAlgorithm akaAlgorithm()
    {
        return akaAlgorithm;
    }

    /**
     * @return the keyring of many subscribers, or null when there is one subscriber ({@link #akaAlgorithm()}).
     */
    public AkaKeyring akaKeyring()
    {
        return akaKeyring;
    }

    /**
     * @param impi a registration's private identity (may be null).
     * @return the AKA functions of that subscriber: from the keyring when there is one (null when it does not know
     * the IMPI), else {@link #akaAlgorithm()}.
     */
    public AkaAlgorithm akaAlgorithmFor(final String impi)
    {
        return akaKeyring == null ? akaAlgorithm : impi == null ? null : akaKeyring.algorithmFor(impi);
    }

    /**
     * @return the UE's SQN freshness window.
     */
    public int sqnWindowSize()
    {
        return sqnWindowSize;
    }

    /**
     * @return true to create the SAs the exchange shows even when the local AKA check fails (trace replay).
     */
    public boolean installOnAkaFailure()
    {
        return installOnAkaFailure;
    }

    /**
     * @return source of cnonce values for the UE's Authorization.
     */
    public Supplier<String> cnonceSupplier()
    {
        return cnonceSupplier;
    }

    /**
     * @return true when the bridge only watches the wire and cannot change what is sent (see
     * {@link Builder#passive(boolean)}).
     */
    public boolean passive()
    {
        return passive;
    }

    /**
     * Builder for {@link LifecycleConfig}.
     */
    public static final class Builder
    {
        private final Role role;
        private LongSupplier nanoClock = System::nanoTime;
        private long regAwaitAuthNs = DEFAULT_REG_AWAIT_AUTH_NS;
        private long expiryGraceNs = DEFAULT_EXPIRY_GRACE_NS;
        private long defaultRegistrationExpirySeconds = 3600;
        private List<AlgorithmPair> preference = AlgorithmPair.DEFAULT_PREFERENCE;
        private SpiPool spiPool;
        private PortPool portPool;
        private int protectedServerPort = 5064;
        private AkaAlgorithm akaAlgorithm;
        private AkaKeyring akaKeyring;
        private int sqnWindowSize = 32;
        private boolean installOnAkaFailure;
        private Supplier<String> cnonceSupplier = Builder::randomCnonce;
        private boolean passive;

        private Builder(final Role role)
        {
            this.role = Objects.requireNonNull(role, "role");
        }

        /**
         * @param nanoClock monotonic clock, e.g. a test's manual clock.
         * @return this.
         */
        public Builder nanoClock(final LongSupplier nanoClock)
        {
            this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
            return this;
        }

        /**
         * @param regAwaitAuthNs lifetime of temporary sets, positive.
         * @return this.
         */
        public Builder regAwaitAuthNs(final long regAwaitAuthNs)
        {
            if (regAwaitAuthNs <= 0)
            {
                throw new IllegalArgumentException("regAwaitAuthNs: must be positive, got " + regAwaitAuthNs);
            }
            this.regAwaitAuthNs = regAwaitAuthNs;
            return this;
        }

        /**
         * @param expiryGraceNs time established sets outlive the registration, not negative.
         * @return this.
         */
        public Builder expiryGraceNs(final long expiryGraceNs)
        {
            if (expiryGraceNs < 0)
            {
                throw new IllegalArgumentException("expiryGraceNs: must not be negative, got " + expiryGraceNs);
            }
            this.expiryGraceNs = expiryGraceNs;
            return this;
        }

        /**
         * @param seconds expiry assumed when a 200 OK states none.
         * @return this.
         */
        public Builder defaultRegistrationExpirySeconds(final long seconds)
        {
            this.defaultRegistrationExpirySeconds = seconds;
            return this;
        }

        /**
         * @param preference supported algorithm pairs, most preferred first, not empty.
         * @return this.
         */
        public Builder preference(final List<AlgorithmPair> preference)
        {
            if (preference.isEmpty())
            {
                throw new IllegalArgumentException("preference: at least one algorithm pair");
            }
            this.preference = preference;
            return this;
        }

        /**
         * @param spiPool P-CSCF SPI pool.
         * @return this.
         */
        public Builder spiPool(final SpiPool spiPool)
        {
            this.spiPool = spiPool;
            return this;
        }

        /**
         * @param portPool P-CSCF port-c pool.
         * @return this.
         */
        public Builder portPool(final PortPool portPool)
        {
            this.portPool = portPool;
            return this;
        }

        /**
         * @param port P-CSCF port-s, 1..65535.
         * @return this.
         */
        public Builder protectedServerPort(final int port)
        {
            if (port < 1 || port > 65535)
            {
                throw new IllegalArgumentException("protectedServerPort: outside 1..65535: " + port);
            }
            this.protectedServerPort = port;
            return this;
        }

        /**
         * @param akaAlgorithm Milenage or test algorithm keyed with the subscriber's K; null when unknown.
         * @return this.
         */
        public Builder akaAlgorithm(final AkaAlgorithm akaAlgorithm)
        {
            this.akaAlgorithm = akaAlgorithm;
            return this;
        }

        /**
         * @param akaKeyring the keys of many subscribers by IMPI (a UE farm's, or the UEs a P-CSCF serves); when
         *                   set, it is used instead of {@link #akaAlgorithm(AkaAlgorithm)}.
         * @return this.
         */
        public Builder akaKeyring(final AkaKeyring akaKeyring)
        {
            this.akaKeyring = akaKeyring;
            return this;
        }

        /**
         * @param size UE SQN freshness window, at least 1.
         * @return this.
         */
        public Builder sqnWindowSize(final int size)
        {
            this.sqnWindowSize = size;
            return this;
        }

        /**
         * @param install true to still create the SAs an exchange shows when the local AKA check fails; for trace
         *                replay with keys that do not match the trace.
         * @return this.
         */
        public Builder installOnAkaFailure(final boolean install)
        {
            this.installOnAkaFailure = install;
            return this;
        }

        /**
         * @param supplier source of cnonce values.
         * @return this.
         */
        public Builder cnonceSupplier(final Supplier<String> supplier)
        {
            this.cnonceSupplier = Objects.requireNonNull(supplier, "cnonceSupplier");
            return this;
        }

        /**
         * A passive bridge only watches the SIP on the wire (the daemon's SIP bridge) and cannot forward the
         * {@link LifecycleEvent.Type#MESSAGE_REWRITTEN} 401, so the P-CSCF application, not the bridge, chooses the
         * Security-Server. A passive P-CSCF therefore allocates nothing when the S-CSCF's 401 arrives: it keeps the
         * challenge's keys ({@code ck}/{@code ik}, TS 33.203 §6.1 and §7, or those the configured K
         * gives) and creates the temporary set when it sees the 401 the P-CSCF sends to the UE, with that 401's
         * Security-Server and the kept keys. Without a passive bridge (trace replay, an embedding P-CSCF that
         * forwards the rewritten 401) the bridge chooses. The UE role is the same either way.
         *
         * @param passive true when the bridge cannot rewrite what it sees.
         * @return this.
         */
        public Builder passive(final boolean passive)
        {
            this.passive = passive;
            return this;
        }

        /**
         * @return the config.
         */
        public LifecycleConfig build()
        {
            return new LifecycleConfig(this);
        }

        private static String randomCnonce()
        {
            final byte[] bytes = new byte[8];
            new SecureRandom().nextBytes(bytes);
            return Base64.getEncoder().encodeToString(bytes);
        }
    }
}
