package org.esp4j.core.sa;

/**
 * Receives SA events ({@code org.esp4j.core.spd.SpdEventListener} adds the SPD's acquire events). Called on the
 * thread that caused the event, which may be a packet thread: implementations must be quick and must not block (hand
 * the event to a queue).
 */
public interface SaEventListener
{
    /** Ignores every event. */
    SaEventListener NO_OP = (type, sa) -> {};

    /**
     * @param type what happened.
     * @param sa   to which SA.
     */
    void onSaEvent(SaEventType type, SecurityAssociation sa);
}
