package org.esp4j.tun.sip;

import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SipSummaryTest
{
    private static final long PERIOD_NS = 60_000_000_000L;

    @Test
    void shouldCountFailuresByTypeAndDropsSinceTheLastLineOnly()
    {
        final SipSummary summary = new SipSummary(PERIOD_NS, 0);
        summary.onEvent(LifecycleEvent.Type.SET_ESTABLISHED);
        summary.onEvent(LifecycleEvent.Type.REQUEST_REJECTED);
        summary.onEvent(LifecycleEvent.Type.REQUEST_REJECTED);
        summary.onEvent(LifecycleEvent.Type.DIGEST_MISMATCH);
        assertNull(summary.line(PERIOD_NS - 1, 0, 0, 0, 4), "not before the period");

        assertEquals("summary of the last 75 s: 1 registrations (sets established), 0 de-registrations, 0 SAs " +
            "installed, 0 removed; 4 failures (REQUEST_REJECTED 2, DIGEST_MISMATCH 1, unhandled 1); dropped: 3 held " +
            "messages (TunSipHoldFull, TunSipHoldNotInForce), 5 partial TCP messages; 4 SAs now",
            summary.line(75_000_000_000L, 3, 5, 1, 4));

        assertNull(summary.line(200_000_000_000L, 3, 5, 1, 4), "nothing since the last line");
        assertEquals("summary of the last 135 s: 0 registrations (sets established), 0 de-registrations, 0 SAs " +
            "installed, 0 removed; 0 failures; dropped: 0 held messages (TunSipHoldFull, TunSipHoldNotInForce), " +
            "2 partial TCP messages; 4 SAs now", summary.line(210_000_000_000L, 3, 7, 1, 4));
    }
}
