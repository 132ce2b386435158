package org.esp4j.tun.daemon;

import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Policy events told from the SPD's journal ({@link PolicyEventFollower}): one change's net effect per policy. */
class PolicyEventFollowerTest
{
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final List<String> events = new ArrayList<>();
    private final DaemonConductor.PolicyEventListener listener =
        (type, policy) -> events.add(type + " " + name(policy));

    private static PolicyConfig policy(final int i, final String dir)
    {
        return XfrmPolicyParser.parseAdd("src 2001:db8:1::" + Integer.toHexString(i) + "/128 dst 2001:db8:2::1/128 " +
            "proto udp sport 5100 dport 6100 dir " + dir + " tmpl src 2001:db8:1::" + Integer.toHexString(i) +
            " dst 2001:db8:2::1 proto esp mode transport");
    }

    private static PolicyConfig policy(final int i)
    {
        return policy(i, "out");
    }

    private static String name(final SecurityPolicy policy)
    {
        return Integer.toHexString(policy.selector().sourceAddress().getAddress()[15] & 0xff) + " " +
            policy.direction().xfrmName();
    }

    private void delete(final int i)
    {
        spd.delete(policy(i).selector(), PolicyDirection.OUT);
    }

    @Test
    void shouldTellAnAddAnUpdateAndADeleteAsOneEventEach()
    {
        final PolicyEventFollower follower = new PolicyEventFollower(spd, true);
        spd.add(policy(1));
        assertTrue(follower.afterChange(true, listener));
        spd.update(policy(1));
        assertTrue(follower.afterChange(true, listener));
        delete(1);
        assertTrue(follower.afterChange(true, listener));

        assertEquals(List.of("ADDED 1 out", "UPDATED 1 out", "DELETED 1 out"), events);
    }

    @Test
    void shouldTellOneChangesNetEffectDeletesFirstThenAddsAndUpdatesInOrder()
    {
        spd.add(policy(2));
        spd.add(policy(3));
        final PolicyEventFollower follower = new PolicyEventFollower(spd, true);

        spd.add(policy(1));
        delete(2);
        spd.update(policy(3));
        spd.add(policy(4));
        delete(4); // added and deleted within the change: nothing to tell
        spd.add(policy(1, "in")); // same selector, other direction: another policy
        assertTrue(follower.afterChange(true, listener));

        assertEquals(List.of("DELETED 2 out", "ADDED 1 out", "UPDATED 3 out", "ADDED 1 in"), events);
    }

    @Test
    void shouldReportNoChangeAndTellNothingWhenTheSpdDidNotMove()
    {
        spd.add(policy(1));
        final PolicyEventFollower follower = new PolicyEventFollower(spd, true);

        assertFalse(follower.afterChange(true, listener));
        spd.add(policy(2));
        delete(2);
        assertTrue(follower.afterChange(true, listener), "the SPD changed, back to what it was");
        assertTrue(events.isEmpty(), events.toString());
    }

    @Test
    void shouldTellEveryPolicyAFlushDeleted()
    {
        for (int i = 1; i <= 3; i++)
        {
            spd.add(policy(i));
        }
        final PolicyEventFollower follower = new PolicyEventFollower(spd, true);
        spd.flush();
        spd.add(policy(9));
        assertTrue(follower.afterChange(true, listener));

        assertEquals(Set.of("DELETED 1 out", "DELETED 2 out", "DELETED 3 out", "ADDED 9 out"), new HashSet<>(events));
        assertEquals("ADDED 9 out", events.get(3), "deletes first");
        delete(9);
        follower.afterChange(true, listener);
        assertEquals("DELETED 9 out", events.get(4), "back on the journal after the flush");
    }

    @Test
    void shouldTellAChangeLargerThanTheJournalByComparingTheWholeSpd()
    {
        spd.add(policy(0));
        final PolicyEventFollower follower = new PolicyEventFollower(spd, true);
        final int count = SecurityPolicyDatabase.JOURNAL_CAPACITY + 10;
        for (int i = 1; i <= count; i++)
        {
            spd.add(policy(i, "in"));
        }
        delete(0);
        assertTrue(follower.afterChange(true, listener));

        assertEquals(count + 1, events.size());
        assertEquals("DELETED 0 out", events.get(0));
        assertEquals(count, events.stream().filter(e -> e.startsWith("ADDED ")).count());
    }

    @Test
    void shouldKeepNothingWhileNobodyListensAndKnowTheSpdAgainWhenSomeoneDoes()
    {
        final PolicyEventFollower follower = new PolicyEventFollower(spd, false);
        spd.add(policy(1));
        assertTrue(follower.afterChange(false, listener), "a change, told to nobody");
        spd.add(policy(2));
        assertTrue(follower.afterChange(false, listener));
        assertTrue(events.isEmpty());

        follower.knowCurrent(); // a listener arrived: the SPD as it is now is known, not told
        spd.update(policy(1));
        delete(2);
        spd.add(policy(3));
        assertTrue(follower.afterChange(true, listener));

        assertEquals(List.of("DELETED 2 out", "UPDATED 1 out", "ADDED 3 out"), events);
    }

    @Test
    void shouldTellWhatACompareOfTheWholeSpdBeforeAndAfterEachChangeTells()
    {
        final Random random = new Random(14);
        final PolicyEventFollower follower = new PolicyEventFollower(spd, true);
        Map<String, SecurityPolicy> before = whole();
        for (int change = 0; change < 300; change++)
        {
            final int operations = 1 + random.nextInt(6);
            for (int op = 0; op < operations; op++)
            {
                final int i = random.nextInt(24);
                final String dir = random.nextBoolean() ? "in" : "out";
                final PolicyConfig config = policy(i, dir);
                switch (random.nextInt(change % 50 == 49 ? 4 : 3))
                {
                    case 0 -> spd.update(config);
                    case 1 ->
                    {
                        if (spd.find(config.selector(), config.direction()) == null)
                        {
                            spd.add(config);
                        }
                    }
                    case 2 -> spd.delete(config.selector(), config.direction());
                    default -> spd.flush();
                }
            }
            events.clear();
            follower.afterChange(true, listener);
            final Map<String, SecurityPolicy> after = whole();

            final Set<String> expected = new HashSet<>();
            for (final Map.Entry<String, SecurityPolicy> entry : before.entrySet())
            {
                if (!after.containsKey(entry.getKey()))
                {
                    expected.add("DELETED " + entry.getKey());
                }
            }
            for (final Map.Entry<String, SecurityPolicy> entry : after.entrySet())
            {
                final SecurityPolicy was = before.get(entry.getKey());
                if (was != entry.getValue())
                {
                    expected.add((was == null ? "ADDED " : "UPDATED ") + entry.getKey());
                }
            }
            assertEquals(expected, new HashSet<>(events), "change " + change);
            assertEquals(expected.size(), events.size(), "change " + change + ": one event per policy");
            before = after;
        }
    }

    private Map<String, SecurityPolicy> whole()
    {
        final Map<String, SecurityPolicy> all = new HashMap<>();
        for (final SecurityPolicy policy : spd.list())
        {
            all.put(name(policy), policy);
        }
        return all;
    }
}
