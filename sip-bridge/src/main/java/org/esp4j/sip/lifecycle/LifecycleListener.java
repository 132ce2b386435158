package org.esp4j.sip.lifecycle;

/**
 * Receives every {@link LifecycleEvent} as it happens.
 */
@FunctionalInterface
public interface LifecycleListener
{
    /** A listener that ignores events. */
    LifecycleListener NONE = event -> {};

    /**
     * @param event what happened.
     */
    void onEvent(LifecycleEvent event);
}
