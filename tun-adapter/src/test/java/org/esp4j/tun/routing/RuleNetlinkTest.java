package org.esp4j.tun.routing;

import org.esp4j.tun.NetnsFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Root test in a private network namespace: the steering rules made over rtnetlink are the rules {@code ip rule add}
 * makes (compared with {@code ip rule show}, iproute2 being the independent reference), an identical rule already
 * there is adopted, and a rule already gone is taken as deleted.
 */
class RuleNetlinkTest
{
    private static final int MARK = 0x4500;
    private static final int PRIORITY = 4501;
    private static final int TABLE = 4500;

    @RegisterExtension
    final NetnsFixture netns = new NetnsFixture("rn");

    @Test
    void shouldMakeTheSameSteeringRulesAsIpRuleAddForBothFamilies() throws Exception
    {
        final IpCommand ip = netns.ip();
        for (final String[] pair : new String[][] {{"2001:db8:1::7", "2001:db8:1::8"}, {"198.51.100.7", "198.51.100.8"}})
        {
            final SteeringPrefix byNetlink = SteeringPrefix.parse(pair[0]);
            final SteeringPrefix byIp = SteeringPrefix.parse(pair[1]);
            try (RuleNetlink netlink = RuleNetlink.open(netns.name()))
            {
                netlink.add(byNetlink, MARK, PRIORITY, 0);
                netlink.add(byNetlink, 0, PRIORITY, TABLE);
            }
            ip.check(byIp.familyOption(), "rule", "add", "to", byIp.toString(), "fwmark", "0x4500", "priority",
                "4501", "unreachable");
            ip.check(byIp.familyOption(), "rule", "add", "to", byIp.toString(), "lookup", "4500", "priority", "4501");

            final String rules = ip.check(byIp.familyOption(), "rule", "show", "priority", "4501").output();
            assertEquals(rulesOf(rules, pair[1]).replace(pair[1], pair[0]), rulesOf(rules, pair[0]), rules);
            assertEquals(2, rulesOf(rules, pair[0]).lines().count(), rules);
            final String details = ip.check(byIp.familyOption(), "-d", "rule", "show", "priority", "4501").output();
            assertEquals(rulesOf(details, pair[1]).replace(pair[1], pair[0]), rulesOf(details, pair[0]), details);
        }
    }

    @Test
    void shouldAdoptAnIdenticalRuleAndTakeARuleAlreadyGoneAsDeleted() throws Exception
    {
        final IpCommand ip = netns.ip();
        final SteeringPrefix prefix = SteeringPrefix.parse("2001:db8:1::9");
        ip.check("-6", "rule", "add", "to", "2001:db8:1::9", "lookup", "4500", "priority", "4501"); // a crashed run's
        try (RuleNetlink netlink = RuleNetlink.open(netns.name()))
        {
            netlink.add(prefix, 0, PRIORITY, TABLE);
            netlink.add(prefix, MARK, PRIORITY, 0);
            assertEquals(2, rulesOf(ip.check("-6", "rule", "show").output(), "2001:db8:1::9").lines().count());

            netlink.delete(prefix, 0, PRIORITY, TABLE);
            netlink.delete(prefix, MARK, PRIORITY, 0);
            netlink.delete(prefix, MARK, PRIORITY, 0); // gone already: the goal holds
            assertEquals("", rulesOf(ip.check("-6", "rule", "show").output(), "2001:db8:1::9"));
        }
    }

    private static String rulesOf(final String rules, final String address)
    {
        final StringBuilder lines = new StringBuilder();
        rules.lines().filter(line -> line.contains(" " + address + " ")).sorted()
            .forEach(line -> lines.append(line).append('\n'));
        return lines.toString();
    }
}
