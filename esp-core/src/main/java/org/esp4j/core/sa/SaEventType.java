package org.esp4j.core.sa;

/** What happened to an SA, as {@code ip xfrm monitor} reports it. */
public enum SaEventType
{
    ADDED,
    UPDATED,
    /** A soft lifetime limit was reached: rekey. */
    SOFT_EXPIRED,
    /** A hard lifetime limit was reached: the SA no longer passes traffic. */
    HARD_EXPIRED,
    /** The outbound sequence number reached 2^32-1 without ESN (RFC 4303 §3.3.3): the SA expires. */
    SEQUENCE_OVERFLOW,
    DELETED
}
