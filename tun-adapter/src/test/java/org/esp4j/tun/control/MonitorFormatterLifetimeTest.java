package org.esp4j.tun.control;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.xfrm.XfrmStateParser;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xfrm monitor} shows the lifetime an update put in force, not the one the SA was added with.
 */
class MonitorFormatterLifetimeTest
{
    private static final String SA_LINE = "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0xa82588f1 mode transport " +
        "auth-trunc 'hmac(sha1)' 0xf769bcd751044604127672711c6d344100000000 96 enc 'ecb(cipher_null)' \"\" " +
        "limit time-hard 240";

    @Test
    void shouldShowTheLifetimeInForceInAnUpdatedEvent()
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(XfrmCounters.inMemory(), clock, null);
        final SaConfig added = XfrmStateParser.parseAdd(SA_LINE);
        final SecurityAssociation sa = sad.add(added);
        sad.update(added.toBuilder()
            .lifetime(SaLifetimeConfig.builder().hardAddExpiresNs(TimeUnit.SECONDS.toNanos(600_030)).build()).build());

        final String text =
            MonitorFormatter.format(new ControlEvent(SaEventType.UPDATED, sa, null, 0, 0, 0, 0, 0, 0, 0, null));

        assertTrue(text.startsWith("Updated src 2001:db8::1 dst 2001:db8::2\n"), text);
        assertTrue(text.contains("\tlifetime config:\n"), text);
        assertTrue(text.contains("expire add: soft 0(sec), hard 600030(sec)"), text);
    }
}
