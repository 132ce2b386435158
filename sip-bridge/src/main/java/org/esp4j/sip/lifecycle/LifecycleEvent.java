package org.esp4j.sip.lifecycle;

/**
 * One thing the bridge did or noticed, with the registration it belongs to, so that a user can see why an SA
 * exists or went away. Events never carry key material.
 */
public final class LifecycleEvent
{
    /**
     * Kinds of event.
     */
    public enum Type
    {
        /** A REGISTER's Security-Client was recorded (RFC 3329 §2.3.1 step 1). */
        SECURITY_CLIENT_RECORDED,
        /** A mechanism was chosen from the offers. */
        MECHANISM_CHOSEN,
        /** One SA was handed to the sink. */
        SA_INSTALLED,
        /** One SA was removed from the sink. */
        SA_REMOVED,
        /** One SA's state or lifetime changed. */
        SA_UPDATED,
        /** The 401 created a temporary set (TS 33.203 §7.1). */
        TEMPORARY_SET_CREATED,
        /** The 200 OK made the temporary set established. */
        SET_ESTABLISHED,
        /** An unchallenged re-registration extended the established set. */
        LIFETIME_EXTENDED,
        /** A newer set was established: the previous one is now old (TS 33.203 §7.4). */
        SET_MARKED_OLD,
        /** A set was deleted: see the detail for why. */
        SET_DELETED,
        /** The de-registration completed and every set of the registration was deleted. */
        DEREGISTERED,
        /**
         * A passive P-CSCF kept the keys of the S-CSCF's 401 ({@code ck}/{@code ik}); the temporary set follows when
         * the P-CSCF's own 401 to the UE shows the Security-Server (see {@link LifecycleConfig#passive()}).
         */
        NETWORK_KEYS_LEARNT,
        /** The P-CSCF rewrote a message (added Security-Server, stripped ck/ik): {@link #message()} holds it. */
        MESSAGE_REWRITTEN,
        /** The request must be rejected with {@link #statusCode()}: bidding-down, bad header, pool exhausted. */
        REQUEST_REJECTED,
        /** AUTN verified: RES, CK, IK known. */
        AKA_SUCCESS,
        /** AUTN's MAC (or AMF) did not verify: the network is not authentic (RFC 3310 §3.4). */
        AKA_MAC_FAILURE,
        /** SQN not fresh: {@link #detail()} holds the AUTS (RFC 3310 §3.3). */
        AKA_SYNC_FAILURE,
        /** The UE's Authorization header for the next REGISTER: {@link #authorization()}. */
        AUTHORIZATION_COMPUTED,
        /** The digest response in an Authorization header matched RES. */
        DIGEST_VERIFIED,
        /** The digest response did not match RES (wrong K/OP or a forged response). */
        DIGEST_MISMATCH,
        /** A message could not be parsed. */
        PARSE_ERROR,
        /** Something unexpected that did not stop processing. */
        WARNING,
        /**
         * A request with the Call-ID, CSeq and top Via branch of one already seen: a retransmission (RFC 3261
         * §17.1.2), which leaves the state machine where it is.
         */
        RETRANSMISSION_IGNORED,
        /**
         * A passive P-CSCF saw the application choose a flow (UE address and ports) or an inbound SPI that another
         * live registration already uses: no SA of the new set was installed (the application's answer is not the
         * bridge's to reject). Counted in {@link SaLifecycleEngine#flowConflicts()}.
         */
        FLOW_CONFLICT
    }

    private final Type type;
    private final RegistrationIdentity identity;
    private final SaSpec sa;
    private final String detail;
    private final int statusCode;
    private final byte[] message;
    private final String authorization;
    private final String fullDetail;

    LifecycleEvent(
        final Type type,
        final RegistrationIdentity identity,
        final SaSpec sa,
        final String detail,
        final int statusCode,
        final byte[] message,
        final String authorization,
        final String fullDetail)
    {
        this.type = type;
        this.identity = identity;
        this.sa = sa;
        this.detail = detail;
        this.statusCode = statusCode;
        this.message = message;
        this.authorization = authorization;
        this.fullDetail = fullDetail;
    }

    static LifecycleEvent of(final Type type, final RegistrationIdentity identity, final SaSpec sa, final String detail)
    {
        return new LifecycleEvent(type, identity, sa, detail, 0, null, null, null);
    }

    /**
     * An event whose detail has a short form and a long one, e.g. the mechanisms of a Security-Client and the whole
     * header.
     */
    static LifecycleEvent of(
        final Type type, final RegistrationIdentity identity, final SaSpec sa, final String detail,
        final String fullDetail)
    {
        return new LifecycleEvent(type, identity, sa, detail, 0, null, null, fullDetail);
    }

    /**
     * @param detail what could not be parsed, naming the header.
     * @return a {@link Type#PARSE_ERROR} event.
     */
    public static LifecycleEvent parseError(final String detail)
    {
        return new LifecycleEvent(Type.PARSE_ERROR, null, null, detail, 0, null, null, null);
    }

    /**
     * @return the kind of event.
     */
    public Type type()
    {
        return type;
    }

    /**
     * @return the registration, or null for events not tied to one.
     */
    public RegistrationIdentity identity()
    {
        return identity;
    }

    /**
     * @return the SA for SA events, else null.
     */
    public SaSpec sa()
    {
        return sa;
    }

    /**
     * @return human-readable detail.
     */
    public String detail()
    {
        return detail;
    }

    /**
     * @return the detail in full: for {@link Type#SECURITY_CLIENT_RECORDED} the whole Security-Client, where
     * {@link #detail()} names each mechanism's algorithms, SPIs and ports only; for the other events the same as
     * {@link #detail()}.
     */
    public String fullDetail()
    {
        return fullDetail != null ? fullDetail : detail;
    }

    /**
     * @return the SIP status to answer with for {@link Type#REQUEST_REJECTED}, else 0.
     */
    public int statusCode()
    {
        return statusCode;
    }

    /**
     * @return a copy of the rewritten message for {@link Type#MESSAGE_REWRITTEN}, else null.
     */
    public byte[] message()
    {
        return message == null ? null : message.clone();
    }

    /**
     * @return the Authorization header value for {@link Type#AUTHORIZATION_COMPUTED}, else null.
     */
    public String authorization()
    {
        return authorization;
    }

    public String toString()
    {
        final String full = fullDetail();
        return type + (statusCode != 0 ? " " + statusCode : "") + (full != null ? ": " + full : "") +
            (sa != null ? " " + sa : "") + (identity != null ? " [" + identity + "]" : "");
    }
}
