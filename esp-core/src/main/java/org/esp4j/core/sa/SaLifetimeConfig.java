package org.esp4j.core.sa;

/**
 * Soft and hard SA limits, as Linux {@code struct xfrm_lifetime_cfg} and {@code ip xfrm state ... limit}.
 * <p>
 * A soft limit raises an event so the owner can rekey; a hard limit expires the SA, after which its packets are
 * dropped and counted ({@code XfrmInStateExpired} / {@code XfrmOutStateExpired}). {@link #INFINITE} means no limit.
 * Time limits count from the SA's addition ({@code *AddExpiresNs}) or from its first use ({@code *UseExpiresNs}).
 */
public final class SaLifetimeConfig
{
    /** No limit, printed as {@code (INF)} like {@code ip xfrm}. */
    public static final long INFINITE = Long.MAX_VALUE;

    /** No limit on anything. */
    public static final SaLifetimeConfig UNLIMITED = builder().build();

    private final long bytesSoftLimit;
    private final long bytesHardLimit;
    private final long packetsSoftLimit;
    private final long packetsHardLimit;
    private final long softAddExpiresNs;
    private final long hardAddExpiresNs;
    private final long softUseExpiresNs;
    private final long hardUseExpiresNs;

    private SaLifetimeConfig(final Builder builder)
    {
        bytesSoftLimit = builder.bytesSoftLimit;
        bytesHardLimit = builder.bytesHardLimit;
        packetsSoftLimit = builder.packetsSoftLimit;
        packetsHardLimit = builder.packetsHardLimit;
        softAddExpiresNs = builder.softAddExpiresNs;
        hardAddExpiresNs = builder.hardAddExpiresNs;
        softUseExpiresNs = builder.softUseExpiresNs;
        hardUseExpiresNs = builder.hardUseExpiresNs;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** @return a builder with this config's values. */
    public Builder toBuilder()
    {
        return new Builder()
            .bytesSoftLimit(bytesSoftLimit).bytesHardLimit(bytesHardLimit)
            .packetsSoftLimit(packetsSoftLimit).packetsHardLimit(packetsHardLimit)
            .softAddExpiresNs(softAddExpiresNs).hardAddExpiresNs(hardAddExpiresNs)
            .softUseExpiresNs(softUseExpiresNs).hardUseExpiresNs(hardUseExpiresNs);
    }

    public long bytesSoftLimit()
    {
        return bytesSoftLimit;
    }

    public long bytesHardLimit()
    {
        return bytesHardLimit;
    }

    public long packetsSoftLimit()
    {
        return packetsSoftLimit;
    }

    public long packetsHardLimit()
    {
        return packetsHardLimit;
    }

    public long softAddExpiresNs()
    {
        return softAddExpiresNs;
    }

    public long hardAddExpiresNs()
    {
        return hardAddExpiresNs;
    }

    public long softUseExpiresNs()
    {
        return softUseExpiresNs;
    }

    public long hardUseExpiresNs()
    {
        return hardUseExpiresNs;
    }

    /** @return true when no limit is set. */
    public boolean isUnlimited()
    {
        return bytesSoftLimit == INFINITE && bytesHardLimit == INFINITE && packetsSoftLimit == INFINITE &&
            packetsHardLimit == INFINITE && softAddExpiresNs == INFINITE && hardAddExpiresNs == INFINITE &&
            softUseExpiresNs == INFINITE && hardUseExpiresNs == INFINITE;
    }

    public String toString()
    {
        return "soft " + format(bytesSoftLimit) + "(bytes), " + format(packetsSoftLimit) + "(packets), " +
            "add " + formatSeconds(softAddExpiresNs) + ", use " + formatSeconds(softUseExpiresNs) + "; hard " +
            format(bytesHardLimit) + "(bytes), " + format(packetsHardLimit) + "(packets), add " +
            formatSeconds(hardAddExpiresNs) + ", use " + formatSeconds(hardUseExpiresNs);
    }

    /**
     * @param value a limit.
     * @return the limit as {@code ip xfrm} prints it.
     */
    public static String format(final long value)
    {
        return value == INFINITE ? "(INF)" : Long.toString(value);
    }

    /**
     * @param valueNs a time limit.
     * @return the limit in seconds as {@code ip xfrm} prints it.
     */
    public static String formatSeconds(final long valueNs)
    {
        return valueNs == INFINITE ? "(INF)" : (valueNs / 1_000_000_000L) + "(sec)";
    }

    public boolean equals(final Object o)
    {
        if (!(o instanceof SaLifetimeConfig))
        {
            return false;
        }
        final SaLifetimeConfig that = (SaLifetimeConfig)o;
        return bytesSoftLimit == that.bytesSoftLimit && bytesHardLimit == that.bytesHardLimit &&
            packetsSoftLimit == that.packetsSoftLimit && packetsHardLimit == that.packetsHardLimit &&
            softAddExpiresNs == that.softAddExpiresNs && hardAddExpiresNs == that.hardAddExpiresNs &&
            softUseExpiresNs == that.softUseExpiresNs && hardUseExpiresNs == that.hardUseExpiresNs;
    }

    public int hashCode()
    {
        return Long.hashCode(bytesHardLimit) * 31 + Long.hashCode(hardAddExpiresNs);
    }

    /**
     * Builder; every limit defaults to {@link #INFINITE}. A value of 0 is taken as "no limit", as the kernel does.
     */
    public static final class Builder
    {
        private long bytesSoftLimit = INFINITE;
        private long bytesHardLimit = INFINITE;
        private long packetsSoftLimit = INFINITE;
        private long packetsHardLimit = INFINITE;
        private long softAddExpiresNs = INFINITE;
        private long hardAddExpiresNs = INFINITE;
        private long softUseExpiresNs = INFINITE;
        private long hardUseExpiresNs = INFINITE;

        public Builder bytesSoftLimit(final long value)
        {
            bytesSoftLimit = check("byte-soft", value);
            return this;
        }

        public Builder bytesHardLimit(final long value)
        {
            bytesHardLimit = check("byte-hard", value);
            return this;
        }

        public Builder packetsSoftLimit(final long value)
        {
            packetsSoftLimit = check("packet-soft", value);
            return this;
        }

        public Builder packetsHardLimit(final long value)
        {
            packetsHardLimit = check("packet-hard", value);
            return this;
        }

        public Builder softAddExpiresNs(final long value)
        {
            softAddExpiresNs = check("time-soft", value);
            return this;
        }

        public Builder hardAddExpiresNs(final long value)
        {
            hardAddExpiresNs = check("time-hard", value);
            return this;
        }

        public Builder softUseExpiresNs(final long value)
        {
            softUseExpiresNs = check("time-use-soft", value);
            return this;
        }

        public Builder hardUseExpiresNs(final long value)
        {
            hardUseExpiresNs = check("time-use-hard", value);
            return this;
        }

        public SaLifetimeConfig build()
        {
            return new SaLifetimeConfig(this);
        }

        private static long check(final String name, final long value)
        {
            if (value < 0)
            {
                throw new IllegalArgumentException("limit " + name + " must not be negative: " + value);
            }
            return value == 0 ? INFINITE : value;
        }
    }
}
