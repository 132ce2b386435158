package org.esp4j.core.counters;

/**
 * Global ESP counters. The {@code Xfrm*} names and meanings are those of Linux {@code /proc/net/xfrm_stat}
 * (Documentation/networking/xfrm_proc.rst) so users can compare a userspace run with a kernel one line by line;
 * the {@code Esp4j*} counters are ours and count what the kernel does not (deliveries, dummy packets, ICMP errors
 * held back). Counters of the daemon's TUN, carriers and ring are the daemon's own set.
 * <p>
 * Each counter is a {@link CounterDescriptor}: in the counters file it has type id {@link #TYPE_ID}, key = its
 * {@link #id()}, label = its {@link #label()}, and neither ever changes (see {@link CounterDescriptor}). Ids 35 to 37
 * ({@code Esp4jTunHdrError}, {@code Esp4jTunIoError}, {@code Esp4jCarrierIoError}) moved to the daemon's set and
 * are {@link #retiredIds() retired} here; a new counter takes the next free id, at the end.
 * <p>
 * Every packet the data path reads is delivered, passed, or counted against exactly one drop reason.
 */
public enum XfrmCounter implements CounterDescriptor
{
    /** All errors which are not matched by others. */
    XfrmInError(0, "XfrmInError", false),
    /** No buffer is left (here: the buffer lacks room for the result). */
    XfrmInBufferError(1, "XfrmInBufferError", false),
    /** Header error: truncated IP/ESP header, unsupported fragment, bad IP version. */
    XfrmInHdrError(2, "XfrmInHdrError", false),
    /** No state is found, i.e. the SPI (and destination) is unknown. */
    XfrmInNoStates(3, "XfrmInNoStates", false),
    /** Transformation protocol specific error, e.g. the ICV check failed or the padding is bad. */
    XfrmInStateProtoError(4, "XfrmInStateProtoError", false),
    /** Transformation mode specific error. */
    XfrmInStateModeError(5, "XfrmInStateModeError", false),
    /** Sequence error, i.e. the sequence number is out of the window or already seen (replay). */
    XfrmInStateSeqError(6, "XfrmInStateSeqError", false),
    /** State is expired (hard limit reached). */
    XfrmInStateExpired(7, "XfrmInStateExpired", false),
    /** State has a mismatched option, e.g. the inner packet is outside the SA's selector. */
    XfrmInStateMismatch(8, "XfrmInStateMismatch", false),
    /** State is invalid: here, the SA was deleted while the packet was in flight (it is not delivered). */
    XfrmInStateInvalid(9, "XfrmInStateInvalid", false),
    /** No matching template for states, e.g. inbound SAs are correct but the policy requires another SA. */
    XfrmInTmplMismatch(10, "XfrmInTmplMismatch", false),
    /** No policy is found for the state, e.g. inbound protected traffic no policy accepts. */
    XfrmInNoPols(11, "XfrmInNoPols", false),
    /** Policy discards. */
    XfrmInPolBlock(12, "XfrmInPolBlock", false),
    /** Policy error. */
    XfrmInPolError(13, "XfrmInPolError", false),
    /** All errors which are not matched by others. */
    XfrmOutError(14, "XfrmOutError", false),
    /** Bundle generation error. */
    XfrmOutBundleGenError(15, "XfrmOutBundleGenError", false),
    /** Bundle check error. */
    XfrmOutBundleCheckError(16, "XfrmOutBundleCheckError", false),
    /** No state is found for a protect policy. */
    XfrmOutNoStates(17, "XfrmOutNoStates", false),
    /** Transformation protocol specific error. */
    XfrmOutStateProtoError(18, "XfrmOutStateProtoError", false),
    /** Transformation mode specific error. */
    XfrmOutStateModeError(19, "XfrmOutStateModeError", false),
    /** Sequence error, i.e. sequence number overflow (RFC 4303 3.3.3). */
    XfrmOutStateSeqError(20, "XfrmOutStateSeqError", false),
    /** State is expired. */
    XfrmOutStateExpired(21, "XfrmOutStateExpired", false),
    /** Policy discards. */
    XfrmOutPolBlock(22, "XfrmOutPolBlock", false),
    /** Policy is dead. */
    XfrmOutPolDead(23, "XfrmOutPolDead", false),
    /** Policy error. */
    XfrmOutPolError(24, "XfrmOutPolError", false),
    /** Forward routing of a packet is not allowed. */
    XfrmFwdHdrError(25, "XfrmFwdHdrError", false),
    /** State is invalid, perhaps expired: here, the SA was deleted while the packet was in flight (it is not sent). */
    XfrmOutStateInvalid(26, "XfrmOutStateInvalid", false),
    /** State hasn't been fully acquired before use. */
    XfrmAcquireError(27, "XfrmAcquireError", false),

    /** Inbound ESP packets that verified and were delivered as plaintext. */
    Esp4jInDelivered(28, "Esp4jInDelivered", true),
    /** Inbound packets without ESP that policy let through. */
    Esp4jInBypass(29, "Esp4jInBypass", true),
    /** Inbound ESP dummy packets (next header 59, RFC 4303 2.6), verified then dropped. */
    Esp4jInDummy(30, "Esp4jInDummy", false),
    /** Inbound RFC 3948 NAT-keepalive packets, consumed. */
    Esp4jInNatKeepalive(31, "Esp4jInNatKeepalive", false),
    /** Outbound packets protected with ESP. */
    Esp4jOutProtected(32, "Esp4jOutProtected", true),
    /** Outbound packets a bypass policy (or no policy) let through. */
    Esp4jOutBypass(33, "Esp4jOutBypass", true),
    /** Outbound packets larger than the path allows (answered with ICMP too-big or fragmented by the daemon). */
    Esp4jOutTooBig(34, "Esp4jOutTooBig", false),
    /**
     * Outbound ICMP/ICMPv6 errors dropped because they quote a packet of a flow an inbound policy requires ESP for,
     * and the SA of the reverse flow is missing or lacks {@code flag icmp}: sent in clear they would expose the quoted
     * plaintext (RFC 4301 §6.1.1).
     */
    Esp4jOutIcmpErrorBlock(38, "Esp4jOutIcmpErrorBlock", false);

    /** Agrona counter type id of the global counters. */
    public static final int TYPE_ID = 1100;

    /** Ids this set used once and never uses again: the counters that moved to the daemon's set. */
    private static final int[] RETIRED_IDS = {35, 36, 37};

    private static final XfrmCounter[] BY_ID;

    static
    {
        final XfrmCounter[] counters = values();
        CounterDescriptors.checkIds(counters, RETIRED_IDS);
        int maxId = 0;
        for (final XfrmCounter counter : counters)
        {
            maxId = Math.max(maxId, counter.id);
        }
        BY_ID = new XfrmCounter[maxId + 1];
        for (final XfrmCounter counter : counters)
        {
            BY_ID[counter.id] = counter;
        }
    }

    private final int id;
    private final String label;
    private final boolean success;

    XfrmCounter(final int id, final String label, final boolean success)
    {
        this.id = id;
        this.label = label;
        this.success = success;
    }

    /** {@inheritDoc} */
    public int id()
    {
        return id;
    }

    /** {@inheritDoc} */
    public String label()
    {
        return label;
    }

    /** @return true for counters of packets that went through, false for drop reasons. */
    public boolean isSuccess()
    {
        return success;
    }

    /** @return the ids this set used once and never uses again (35 to 37, moved to the daemon's set). */
    public static int[] retiredIds()
    {
        return RETIRED_IDS.clone();
    }

    /**
     * @param id a counter's id, e.g. the key read from a counters file.
     * @return the counter with that id, or null if there is none (retired, or from a newer version).
     */
    public static XfrmCounter byId(final int id)
    {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}
