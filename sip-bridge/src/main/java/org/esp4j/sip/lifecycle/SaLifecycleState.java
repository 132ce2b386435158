package org.esp4j.sip.lifecycle;

/**
 * State of an SA in the TS 33.203 §7.4 lifecycle.
 */
public enum SaLifecycleState
{
    /** Created on the 401 challenge; lives for reg-await-auth until the 200 OK. */
    TEMPORARY("temporary"),
    /** Confirmed by the 200 OK; lives for the registration expiry plus 30 s. */
    ESTABLISHED("established"),
    /** Replaced by a newer established set; deleted once the newer set carries traffic, or at its expiry. */
    OLD("old");

    private final String text;

    SaLifecycleState(final String text)
    {
        this.text = text;
    }

    public String toString()
    {
        return text;
    }
}
