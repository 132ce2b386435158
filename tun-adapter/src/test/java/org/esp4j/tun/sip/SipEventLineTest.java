package org.esp4j.tun.sip;

import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.tun.log.LogLevel;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SipEventLineTest
{
    @Test
    void shouldLogFailuresAsWarningsAndTheRestOfARegistrationAsInfo()
    {
        final Set<LifecycleEvent.Type> warnings = EnumSet.of(LifecycleEvent.Type.REQUEST_REJECTED,
            LifecycleEvent.Type.AKA_MAC_FAILURE, LifecycleEvent.Type.AKA_SYNC_FAILURE,
            LifecycleEvent.Type.DIGEST_MISMATCH, LifecycleEvent.Type.PARSE_ERROR, LifecycleEvent.Type.WARNING,
            LifecycleEvent.Type.FLOW_CONFLICT);
        for (final LifecycleEvent.Type type : LifecycleEvent.Type.values())
        {
            assertEquals(warnings.contains(type) ? LogLevel.WARN : LogLevel.INFO, SipEventLine.level(type),
                type.name());
        }
    }

    @Test
    void shouldWriteAnEventWithoutSaOrRegistrationAsItsTypeAndDetailAtEveryLevel()
    {
        final LifecycleEvent event = LifecycleEvent.parseError("Security-Client: no mechanism");
        assertEquals("PARSE_ERROR: Security-Client: no mechanism", SipEventLine.text(event, LogLevel.INFO));
        assertEquals(event.toString(), SipEventLine.text(event, LogLevel.DEBUG));
    }
}
