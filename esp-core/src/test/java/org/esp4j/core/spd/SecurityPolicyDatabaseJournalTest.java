package org.esp4j.core.spd;

import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SPD's change journal ({@link SecurityPolicyDatabase#changesSince}): what followers of the SPD read per change. */
class SecurityPolicyDatabaseJournalTest
{
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final List<String> seen = new ArrayList<>();

    private static PolicyConfig policy(final int i)
    {
        return XfrmPolicyParser.parseAdd("src 2001:db8:1::" + Integer.toHexString(i) +
            "/128 dst 2001:db8:2::1/128 proto udp sport 5100 dport 6100 dir out tmpl src 2001:db8:1::" +
            Integer.toHexString(i) + " dst 2001:db8:2::1 proto esp mode transport");
    }

    private void record(final SecurityPolicy policy, final boolean added)
    {
        seen.add((added ? "+" : "-") + policy.selector().sourceAddress().getHostAddress());
    }

    @Test
    void shouldHandAddsAndDeletesSinceTheGivenChangeInOrder()
    {
        spd.add(policy(1));
        final long from = spd.changeCount();
        final SecurityPolicy two = spd.add(policy(2));
        spd.delete(policy(1).selector(), PolicyDirection.OUT);
        final List<SecurityPolicy> handed = new ArrayList<>();

        final long now = spd.changesSince(from, (p, added) ->
        {
            handed.add(p);
            record(p, added);
        });

        assertEquals(spd.changeCount(), now);
        assertEquals(List.of("+2001:db8:1:0:0:0:0:2", "-2001:db8:1:0:0:0:0:1"), seen);
        assertSame(two, handed.get(0));
        assertEquals(now, spd.changesSince(now, this::record));
        assertEquals(2, seen.size());
    }

    @Test
    void shouldHandAnUpdateAsDeleteThenAdd()
    {
        final SecurityPolicy before = spd.add(policy(1));
        final long from = spd.changeCount();
        final SecurityPolicy after = spd.update(policy(1));
        final List<SecurityPolicy> handed = new ArrayList<>();

        spd.changesSince(from, (p, added) ->
        {
            handed.add(p);
            record(p, added);
        });

        assertEquals(List.of("-2001:db8:1:0:0:0:0:1", "+2001:db8:1:0:0:0:0:1"), seen);
        assertSame(before, handed.get(0));
        assertSame(after, handed.get(1));
    }

    @Test
    void shouldRefuseChangesThatIncludeAFlush()
    {
        spd.add(policy(1));
        final long from = spd.changeCount();
        spd.flush();
        spd.add(policy(2));

        assertEquals(-1, spd.changesSince(from, this::record));
        assertTrue(seen.isEmpty());
        assertEquals(spd.changeCount(), spd.changesSince(spd.changeCount(), this::record));
    }

    @Test
    void shouldRefuseAReaderFurtherBehindThanTheJournal()
    {
        final long from = spd.changeCount();
        for (int i = 1; i <= SecurityPolicyDatabase.JOURNAL_CAPACITY + 1; i++)
        {
            spd.add(policy(i));
        }

        assertEquals(-1, spd.changesSince(from, this::record));
        assertEquals(-1, spd.changesSince(-1, this::record));
        assertEquals(-1, spd.changesSince(spd.changeCount() + 1, this::record));
        assertTrue(seen.isEmpty());
        assertEquals(spd.changeCount(), spd.changesSince(from + 1, (p, added) -> seen.add("x")));
        assertEquals(SecurityPolicyDatabase.JOURNAL_CAPACITY, seen.size());
    }
}
