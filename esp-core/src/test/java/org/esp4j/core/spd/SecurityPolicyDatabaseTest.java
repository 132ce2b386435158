package org.esp4j.core.spd;

import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.ip.IpAddressBits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SPD lookup order (priority, lower first; then insertion), exact and wildcard selectors, port ranges, families.
 */
class SecurityPolicyDatabaseTest
{
    private static final int UDP = 17;
    private static final int TCP = 6;

    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final Exception ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    private SecurityPolicy add(final TrafficSelector selector, final PolicyAction action, final int priority)
    {
        return add(selector, PolicyDirection.OUT, action, priority);
    }

    private SecurityPolicy add(
        final TrafficSelector selector, final PolicyDirection direction, final PolicyAction action, final int priority)
    {
        final List<TemplateConfig> templates = action == PolicyAction.PROTECT ?
            List.of(new TemplateConfig(null, null, TemplateConfig.ANY_SPI, 0, false)) : List.of();
        return spd.add(new PolicyConfig(selector, direction, action, priority, 0, templates));
    }

    private SecurityPolicy lookup(final PolicyDirection direction, final String src, final String dst,
        final int protocol, final int srcPort, final int dstPort)
    {
        final InetAddress s = address(src);
        final InetAddress d = address(dst);
        return spd.lookup(direction, IpAddressBits.high(s), IpAddressBits.low(s), IpAddressBits.high(d),
            IpAddressBits.low(d), protocol, srcPort, dstPort);
    }

    private SecurityPolicy lookup(final String src, final String dst, final int protocol, final int srcPort,
        final int dstPort)
    {
        return lookup(PolicyDirection.OUT, src, dst, protocol, srcPort, dstPort);
    }

    private static TrafficSelector exact(final String src, final String dst, final int protocol, final int sport,
        final int dport)
    {
        return TrafficSelector.builder().source(address(src)).destination(address(dst)).protocol(protocol)
            .sourcePort(sport).destinationPort(dport).build();
    }

    @Test
    void shouldListOneSnapshotPerChange()
    {
        final SecurityPolicy first = add(exact("10.0.0.1", "10.0.0.2", UDP, 5060, 5060), PolicyAction.PROTECT, 100);
        final List<SecurityPolicy> before = spd.list();
        assertSame(before, spd.list());
        assertThrows(UnsupportedOperationException.class, () -> before.add(first));
        final SecurityPolicy second = add(exact("10.0.0.1", "10.0.0.3", UDP, 5060, 5060), PolicyAction.PROTECT, 50);
        assertEquals(List.of(first), before);
        assertEquals(List.of(second, first), spd.list());
        spd.delete(second.selector(), PolicyDirection.OUT);
        assertEquals(List.of(first), spd.list());
    }

    @Test
    void shouldFindExactPolicy()
    {
        final TrafficSelector selector = exact("10.0.0.1", "10.0.0.2", UDP, 5060, 5060);
        assertTrue(selector.isExact());
        final SecurityPolicy policy = add(selector, PolicyAction.PROTECT, 100);
        assertSame(policy, lookup("10.0.0.1", "10.0.0.2", UDP, 5060, 5060));
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 5060, 5061));
        assertNull(lookup("10.0.0.1", "10.0.0.2", TCP, 5060, 5060));
        assertNull(lookup("10.0.0.2", "10.0.0.1", UDP, 5060, 5060));
        assertNull(lookup(PolicyDirection.IN, "10.0.0.1", "10.0.0.2", UDP, 5060, 5060));
    }

    @Test
    void shouldLetWildcardWithBetterPriorityWinOverExact()
    {
        final SecurityPolicy exact = add(exact("10.0.0.1", "10.0.0.2", UDP, 5060, 5060), PolicyAction.PROTECT, 100);
        final SecurityPolicy wildcard = add(TrafficSelector.builder().protocol(UDP).build(), PolicyAction.BYPASS, 50);
        assertSame(wildcard, lookup("10.0.0.1", "10.0.0.2", UDP, 5060, 5060));
        assertFalse(exact == wildcard);
    }

    @Test
    void shouldLetExactWinOverWorseWildcard()
    {
        final SecurityPolicy wildcard = add(TrafficSelector.builder().protocol(UDP).build(), PolicyAction.BYPASS, 200);
        final SecurityPolicy exact = add(exact("10.0.0.1", "10.0.0.2", UDP, 5060, 5060), PolicyAction.PROTECT, 100);
        assertSame(exact, lookup("10.0.0.1", "10.0.0.2", UDP, 5060, 5060));
        assertSame(wildcard, lookup("10.0.0.1", "10.0.0.2", UDP, 5060, 5061));
    }

    @Test
    void shouldBreakPriorityTiesByInsertionOrder()
    {
        final SecurityPolicy first = add(TrafficSelector.builder().protocol(UDP).build(), PolicyAction.BYPASS, 100);
        add(TrafficSelector.builder().destinationPort(5060).build(), PolicyAction.DISCARD, 100);
        assertSame(first, lookup("10.0.0.1", "10.0.0.2", UDP, 1, 5060));
    }

    @Test
    void shouldTreatPriorityAsUnsignedLikeLinux()
    {
        // ip xfrm priorities are u32 (and PolicyConfig prints them unsigned): 3000000000 is a worse priority than 100
        final SecurityPolicy good = add(TrafficSelector.builder().protocol(UDP).build(), PolicyAction.PROTECT, 100);
        final SecurityPolicy bad = add(TrafficSelector.builder().destinationPort(5060).build(), PolicyAction.BYPASS,
            (int)3_000_000_000L);
        assertTrue(bad.config().toString().contains("priority 3000000000"), bad.config().toString());
        assertSame(good, lookup("10.0.0.1", "10.0.0.2", UDP, 1, 5060),
            "priority 100 must win over priority 3000000000");
    }

    @Test
    void shouldBypassSipPort5060AheadOfAProtectAll()
    {
        add(TrafficSelector.builder().family(4).build(), PolicyAction.PROTECT, 1000);
        final SecurityPolicy bypass = add(TrafficSelector.builder().protocol(UDP).destinationPort(5060).build(),
            PolicyAction.BYPASS, 10);
        assertSame(bypass, lookup("10.0.0.1", "10.0.0.2", UDP, 40000, 5060));
        assertEquals(PolicyAction.BYPASS, lookup("10.0.0.1", "10.0.0.2", UDP, 40000, 5060).action());
        assertEquals(PolicyAction.PROTECT, lookup("10.0.0.1", "10.0.0.2", UDP, 40000, 5061).action());
        assertEquals(PolicyAction.PROTECT, lookup("10.0.0.1", "10.0.0.2", TCP, 40000, 5060).action());
    }

    @Test
    void shouldMatchPortRangesInclusively()
    {
        final SecurityPolicy range = add(TrafficSelector.builder().protocol(UDP).sourcePorts(1000, 1999)
            .destinationPorts(5060, 5070).build(), PolicyAction.DISCARD, 10);
        assertFalse(range.selector().isExact());
        assertSame(range, lookup("10.0.0.1", "10.0.0.2", UDP, 1000, 5060));
        assertSame(range, lookup("10.0.0.1", "10.0.0.2", UDP, 1999, 5070));
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 999, 5060));
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 2000, 5060));
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 1500, 5071));
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 1500, 5059));
    }

    @Test
    void shouldMatchPrefixes()
    {
        final SecurityPolicy v4 = add(TrafficSelector.builder().source(address("10.1.0.0"), 16)
            .destination(address("192.168.1.0"), 24).build(), PolicyAction.DISCARD, 10);
        assertSame(v4, lookup("10.1.255.3", "192.168.1.200", TCP, 1, 2));
        assertNull(lookup("10.2.0.1", "192.168.1.200", TCP, 1, 2));
        assertNull(lookup("10.1.0.1", "192.168.2.1", TCP, 1, 2));
        final SecurityPolicy v6 = add(TrafficSelector.builder().destination(address("2001:db8:1::"), 48).build(),
            PolicyAction.DISCARD, 10);
        assertSame(v6, lookup("2001:db8::1", "2001:db8:1:ffff::9", UDP, 1, 2));
        assertNull(lookup("2001:db8::1", "2001:db8:2::9", UDP, 1, 2));
    }

    @Test
    void shouldNeverMatchIpv6WithAnIpv4Prefix()
    {
        add(TrafficSelector.builder().source(address("0.0.0.0"), 0).destination(address("0.0.0.0"), 0).build(),
            PolicyAction.DISCARD, 10);
        add(TrafficSelector.builder().family(4).protocol(UDP).build(), PolicyAction.DISCARD, 10);
        add(TrafficSelector.builder().destination(address("10.0.0.0"), 8).build(), PolicyAction.DISCARD, 10);
        assertNull(lookup("2001:db8::1", "2001:db8::2", UDP, 1, 2));
        assertNull(lookup("::", "::", UDP, 1, 2));
        assertNull(lookup("::a00:1", "::a00:2", UDP, 1, 2), "IPv4-compatible IPv6 is still IPv6");
        assertTrue(lookup("10.0.0.1", "10.0.0.2", UDP, 1, 2) != null);
        assertTrue(lookup("1.2.3.4", "5.6.7.8", TCP, 1, 2) != null);
    }

    @Test
    void shouldNeverMatchIpv4WithAnIpv6Prefix()
    {
        add(TrafficSelector.builder().family(6).build(), PolicyAction.DISCARD, 10);
        add(TrafficSelector.builder().destination(address("::"), 1).build(), PolicyAction.DISCARD, 10);
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 1, 2));
        assertTrue(lookup("2001:db8::1", "::2", UDP, 1, 2) != null);
    }

    @Test
    void shouldRefuseDuplicateAndDeleteBySelector()
    {
        final TrafficSelector selector = TrafficSelector.builder().protocol(UDP).destinationPort(5060).build();
        add(selector, PolicyAction.BYPASS, 10);
        assertThrows(IllegalStateException.class, () -> add(selector, PolicyAction.DISCARD, 20));
        add(selector, PolicyDirection.IN, PolicyAction.DISCARD, 20); // other direction is another policy
        assertEquals(2, spd.size());
        assertTrue(spd.delete(selector, PolicyDirection.OUT));
        assertFalse(spd.delete(selector, PolicyDirection.OUT));
        assertNull(lookup("10.0.0.1", "10.0.0.2", UDP, 1, 5060));
        assertEquals(1, spd.size());
        spd.flush();
        assertTrue(spd.isEmpty());
    }

    @Test
    void shouldCountThePoliciesOfEachDirection()
    {
        final TrafficSelector selector = TrafficSelector.builder().protocol(UDP).destinationPort(5060).build();
        add(selector, PolicyAction.BYPASS, 10);
        add(selector, PolicyDirection.IN, PolicyAction.BYPASS, 10);
        add(exact("10.0.0.1", "10.0.0.2", UDP, 5060, 5060), PolicyDirection.IN, PolicyAction.PROTECT, 100);
        spd.update(new PolicyConfig(selector, PolicyDirection.IN, PolicyAction.DISCARD, 20, 0, List.of()));

        assertEquals(2, spd.size(PolicyDirection.IN));
        assertEquals(1, spd.size(PolicyDirection.OUT));
        assertEquals(0, spd.size(PolicyDirection.FWD));
        spd.delete(selector, PolicyDirection.IN);
        assertEquals(1, spd.size(PolicyDirection.IN));
        spd.flush();
        assertEquals(0, spd.size(PolicyDirection.IN) + spd.size(PolicyDirection.OUT));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldAdd100000ExactPoliciesInBoundedTime()
    {
        // A daemon with one policy pair per IMS registration installs this many; add() must not be O(n).
        final long start = System.nanoTime();
        for (int i = 0; i < 100_000; i++)
        {
            add(exactNumber(i), i % 2 == 0 ? PolicyAction.BYPASS : PolicyAction.DISCARD, 100);
            if ((i & 1023) == 0 && System.nanoTime() - start > 20_000_000_000L)
            {
                fail("only " + i + " of 100,000 exact policies added in 20 s (add() is linear in the SPD size)");
            }
        }
        assertEquals(100_000, spd.size());
        checkNumbered(100_000);
        final long ns = System.nanoTime() - start;
        assertTrue(ns < 20_000_000_000L, "adding and checking 100,000 policies took " + ns / 1_000_000 + " ms");
    }

    @Test
    void shouldFindEachOf10000ExactPoliciesAndSurviveDeletingHalf()
    {
        final int count = 10_000;
        addNumbered(count);
        checkNumbered(count);
        for (int i = 0; i < count; i += 2)
        {
            assertTrue(spd.delete(exactNumber(i), PolicyDirection.OUT));
        }
        for (int i = 0; i < count; i++)
        {
            final SecurityPolicy policy = lookupNumber(i, 0);
            if (i % 2 == 0)
            {
                assertNull(policy, "deleted " + i);
            }
            else
            {
                assertEquals(exactNumber(i), policy == null ? null : policy.selector(), "policy " + i);
            }
        }
        for (int i = 0; i < count; i += 2)
        {
            add(exactNumber(i), PolicyAction.BYPASS, 100);
        }
        checkNumbered(count);
    }

    private void addNumbered(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            add(exactNumber(i), i % 2 == 0 ? PolicyAction.BYPASS : PolicyAction.DISCARD, 100);
        }
    }

    private void checkNumbered(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final SecurityPolicy policy = lookupNumber(i, 0);
            assertEquals(exactNumber(i), policy == null ? null : policy.selector(), "policy " + i);
            assertNull(lookupNumber(i, 1));
        }
    }

    private static TrafficSelector exactNumber(final int i)
    {
        return exact("10." + (i >>> 16) + "." + ((i >>> 8) & 0xFF) + "." + (i & 0xFF), "192.0.2.1", UDP,
            1024 + i % 50_000, 5060);
    }

    private SecurityPolicy lookupNumber(final int i, final int portOffset)
    {
        return lookup("10." + (i >>> 16) + "." + ((i >>> 8) & 0xFF) + "." + (i & 0xFF), "192.0.2.1", UDP,
            1024 + i % 50_000, 5060 + portOffset);
    }
}
