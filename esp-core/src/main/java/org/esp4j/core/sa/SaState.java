package org.esp4j.core.sa;

/** Life of an SA, as Linux's {@code XFRM_STATE_*}. */
public enum SaState
{
    /** In use. */
    VALID,
    /** A soft limit was reached: still in use, the owner should rekey. */
    DYING,
    /** A hard limit was reached, or the sequence number ran out: packets are dropped and counted. */
    EXPIRED,
    /** Removed from the SAD; keys zeroed. */
    DELETED
}
