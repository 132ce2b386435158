package org.esp4j.core.counters;

/**
 * Global ESP counters. The {@code Xfrm*} names and meanings are those of Linux {@code /proc/net/xfrm_stat}
 * (Documentation/networking/xfrm_proc.rst) so users can compare a userspace run with a kernel one line by line;
 * the {@code Esp4j*} counters are ours and count what the kernel does not (deliveries, dummy packets, carrier
 * errors).
 * <p>
 * Every packet the data path reads is delivered, passed, or counted against exactly one drop reason.
 */
public enum XfrmCounter
{
    /** All errors which are not matched by others. */
    XfrmInError(false),
    /** No buffer is left (here: the buffer lacks room for the result). */
    XfrmInBufferError(false),
    /** Header error: truncated IP/ESP header, unsupported fragment, bad IP version. */
    XfrmInHdrError(false),
    /** No state is found, i.e. the SPI (and destination) is unknown. */
    XfrmInNoStates(false),
    /** Transformation protocol specific error, e.g. the ICV check failed or the padding is bad. */
    XfrmInStateProtoError(false),
    /** Transformation mode specific error. */
    XfrmInStateModeError(false),
    /** Sequence error, i.e. the sequence number is out of the window or already seen (replay). */
    XfrmInStateSeqError(false),
    /** State is expired (hard limit reached). */
    XfrmInStateExpired(false),
    /** State has a mismatched option, e.g. the inner packet is outside the SA's selector. */
    XfrmInStateMismatch(false),
    /** State is invalid: here, the SA was deleted while the packet was in flight (it is not delivered). */
    XfrmInStateInvalid(false),
    /** No matching template for states, e.g. inbound SAs are correct but the policy requires another SA. */
    XfrmInTmplMismatch(false),
    /** No policy is found for the state, e.g. inbound protected traffic no policy accepts. */
    XfrmInNoPols(false),
    /** Policy discards. */
    XfrmInPolBlock(false),
    /** Policy error. */
    XfrmInPolError(false),
    /** All errors which are not matched by others. */
    XfrmOutError(false),
    /** Bundle generation error. */
    XfrmOutBundleGenError(false),
    /** Bundle check error. */
    XfrmOutBundleCheckError(false),
    /** No state is found for a protect policy. */
    XfrmOutNoStates(false),
    /** Transformation protocol specific error. */
    XfrmOutStateProtoError(false),
    /** Transformation mode specific error. */
    XfrmOutStateModeError(false),
    /** Sequence error, i.e. sequence number overflow (RFC 4303 3.3.3). */
    XfrmOutStateSeqError(false),
    /** State is expired. */
    XfrmOutStateExpired(false),
    /** Policy discards. */
    XfrmOutPolBlock(false),
    /** Policy is dead. */
    XfrmOutPolDead(false),
    /** Policy error. */
    XfrmOutPolError(false),
    /** Forward routing of a packet is not allowed. */
    XfrmFwdHdrError(false),
    /** State is invalid, perhaps expired: here, the SA was deleted while the packet was in flight (it is not sent). */
    XfrmOutStateInvalid(false),
    /** State hasn't been fully acquired before use. */
    XfrmAcquireError(false),

    /** Inbound ESP packets that verified and were delivered as plaintext. */
    Esp4jInDelivered(true),
    /** Inbound packets without ESP that policy let through. */
    Esp4jInBypass(true),
    /** Inbound ESP dummy packets (next header 59, RFC 4303 2.6), verified then dropped. */
    Esp4jInDummy(false),
    /** Inbound RFC 3948 NAT-keepalive packets, consumed. */
    Esp4jInNatKeepalive(false),
    /** Outbound packets protected with ESP. */
    Esp4jOutProtected(true),
    /** Outbound packets a bypass policy (or no policy) let through. */
    Esp4jOutBypass(true),
    /** Outbound packets larger than the path allows (answered with ICMP too-big or fragmented by the daemon). */
    Esp4jOutTooBig(false),
    /** Packets read from the TUN device that were not IP. */
    Esp4jTunHdrError(false),
    /** Read or write errors on the TUN device. */
    Esp4jTunIoError(false),
    /** Read or write errors on the carrier sockets. */
    Esp4jCarrierIoError(false),
    /**
     * Outbound ICMP/ICMPv6 errors dropped because they quote a packet of a flow an inbound policy requires ESP for,
     * and the SA of the reverse flow is missing or lacks {@code flag icmp}: sent in clear they would expose the quoted
     * plaintext (RFC 4301 §6.1.1).
     */
    Esp4jOutIcmpErrorBlock(false);

    /** Agrona counter type id of the global counters. */
    public static final int TYPE_ID = 1100;

    private final boolean success;

    XfrmCounter(final boolean success)
    {
        this.success = success;
    }

    /** @return true for counters of packets that went through, false for drop reasons. */
    public boolean isSuccess()
    {
        return success;
    }
}
