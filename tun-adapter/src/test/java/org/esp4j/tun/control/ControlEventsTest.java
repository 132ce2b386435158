package org.esp4j.tun.control;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.xfrm.XfrmAddresses;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlEventsTest
{
    private static final byte[] KEY = new byte[20];

    static
    {
        java.util.Arrays.fill(KEY, (byte)0x11);
    }

    @Test
    void shouldQueuePolicyEventsAndPrintThemAsIpXfrmMonitorDoes()
    {
        final ControlEvents events = new ControlEvents(8);
        events.monitoring(true);
        final org.esp4j.core.spd.SecurityPolicyDatabase spd = new org.esp4j.core.spd.SecurityPolicyDatabase();
        final org.esp4j.core.spd.SecurityPolicy policy = spd.add(org.esp4j.core.xfrm.XfrmPolicyParser.parseAdd(
            "src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062 dir out"));
        events.onPolicyEvent(org.esp4j.tun.daemon.DaemonConductor.PolicyEventType.ADDED, policy);
        events.onPolicyEvent(org.esp4j.tun.daemon.DaemonConductor.PolicyEventType.UPDATED, policy);
        events.onPolicyEvent(org.esp4j.tun.daemon.DaemonConductor.PolicyEventType.DELETED, policy);
        final List<String> printed = new ArrayList<>();
        assertEquals(3, events.drain(event ->
        {
            assertEquals(MonitorFormatter.POLICY, MonitorFormatter.group(event));
            assertFalse(event.isAcquire());
            printed.add(MonitorFormatter.format(event));
        }, 10));
        final String text = org.esp4j.core.xfrm.XfrmFormatter.formatPolicy(policy.config());
        assertTrue(text.startsWith("src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062"), text);
        assertEquals(List.of(text, "Updated " + text, "Deleted " + text), printed);
    }

    @Test
    void nothingIsQueuedWhileNobodyMonitors()
    {
        final ControlEvents events = new ControlEvents(8);
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(
            XfrmCounters.inMemory(), new CachedNanoClock(), events);
        sad.add(config(0x1000));
        assertEquals(0, events.drain(e -> { }, 100));
        assertEquals(0, events.dropped());
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking()
    {
        final ControlEvents events = new ControlEvents(8);
        events.monitoring(true);
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(
            XfrmCounters.inMemory(), new CachedNanoClock(), events);
        for (int i = 0; i < 10; i++)
        {
            sad.add(config(0x1000 + i));
        }
        final List<ControlEvent> taken = new ArrayList<>();
        assertEquals(8, events.drain(taken::add, 100));
        assertEquals(2, events.dropped());
        assertEquals(SaEventType.ADDED, taken.get(0).type());
        assertEquals(0x1000, taken.get(0).sa().spi());
    }

    @Test
    void deletedSaIsPrintedWithoutKeysAfterItsKeysWereZeroed()
    {
        final ControlEvents events = new ControlEvents();
        events.monitoring(true);
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(
            XfrmCounters.inMemory(), new CachedNanoClock(), events);
        sad.add(config(0xffffffffL));
        sad.flush();
        final List<String> printed = new ArrayList<>();
        events.drain(e -> printed.add(MonitorFormatter.format(e)), 100);
        assertEquals(2, printed.size());
        assertTrue(printed.get(0).startsWith("src 2001:db8::1 dst 2001:db8::2\n\tproto esp spi 0xffffffff "),
            printed.get(0));
        assertTrue(printed.get(1).startsWith("Deleted src 2001:db8::1 dst 2001:db8::2\n"), printed.get(1));
        for (final String text : printed)
        {
            assertTrue(text.contains("<<Keys hidden>>"), text);
            assertFalse(text.contains("1111111111") || text.contains("0000000000"), "no key bytes, zeroed or not");
        }
    }

    private static SaConfig config(final long spi)
    {
        return SaConfig.builder()
            .source(XfrmAddresses.parse("2001:db8::1"))
            .destination(XfrmAddresses.parse("2001:db8::2"))
            .spi(spi)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, KEY.clone())
            .encryption(EncryptionAlgorithm.NULL, new byte[0])
            .build();
    }
}
