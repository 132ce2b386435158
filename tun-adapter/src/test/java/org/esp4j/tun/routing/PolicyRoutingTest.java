package org.esp4j.tun.routing;

import org.esp4j.tun.NetnsFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Root test in a private network namespace (a dummy link stands in for the TUN): install, a second install after a
 * simulated crash (no duplicate rules), update and removal.
 */
class PolicyRoutingTest
{
    @RegisterExtension
    final NetnsFixture netns = new NetnsFixture("rt");
    private final PolicyRouting.Settings settings = new PolicyRouting.Settings("esp4jtun", 0x4500, 4500, 4500, 4501);

    /** The namespace with a TUN standing in for the daemon's, up, and lo up. */
    private IpCommand createNamespace() throws Exception
    {
        final IpCommand ip = netns.ip();
        ip.check("tuntap", "add", "dev", "esp4jtun", "mode", "tun");
        ip.check("link", "set", "esp4jtun", "up");
        ip.check("link", "set", "lo", "up");
        return ip;
    }

    @Test
    void shouldChangeOnlyTheNamedPrefixesAndLeaveTheOthersSteered() throws Exception
    {
        final IpCommand ip = createNamespace();
        final SteeringPrefix kept = SteeringPrefix.parse("2001:0:0:1::2");
        final SteeringPrefix dropped = SteeringPrefix.parse("2001:0:0:1::3");
        final SteeringPrefix added = SteeringPrefix.parse("2001:0:0:1::4");
        final PolicyRouting routing = new PolicyRouting(ip, settings, null);
        routing.install(List.of(kept, dropped), null, null);

        routing.change(List.of(added, kept), List.of(dropped, SteeringPrefix.parse("2001:0:0:1::9")));

        final String rules = ip.check("-6", "rule", "show").output();
        assertEquals(0, count(rules, "to 2001:0:0:1::3 "), rules);
        for (final String steered : List.of("2001:0:0:1::2", "2001:0:0:1::4"))
        {
            assertEquals(1, count(rules, "4501:\tfrom all to " + steered + " lookup 4500"), rules);
            assertEquals(1, count(rules, "4501:\tfrom all to " + steered + " fwmark 0x4500 unreachable"), rules);
        }
        assertEquals(java.util.Set.of(kept, added), routing.installed());
        routing.remove();
    }

    @Test
    void installIsIdempotentAcrossCrashesAndRemoveCleansUp() throws Exception
    {
        final IpCommand ip = createNamespace();
        final List<SteeringPrefix> prefixes = List.of(SteeringPrefix.parse("2001:0:0:1::2"),
            SteeringPrefix.parse("198.51.100.2/32"));
        new PolicyRouting(ip, settings, null).install(prefixes, null, null);
        // "crash": the first instance never removes its rules; a new run installs again
        final PolicyRouting second = new PolicyRouting(ip, settings, System.out::println);
        second.install(prefixes, null, InetAddress.getByName("::1"));

        final String rules6 = ip.check("-6", "rule", "show").output();
        final String rules4 = ip.check("-4", "rule", "show").output();
        assertEquals(1, count(rules6, "4500:\tfrom all fwmark 0x4500 lookup main"), rules6);
        assertEquals(1, count(rules6, "4501:\tfrom all to 2001:0:0:1::2 lookup 4500"), rules6);
        assertEquals(1, count(rules4, "4501:\tfrom all to 198.51.100.2 lookup 4500"), rules4);
        assertTrue(ip.check("-6", "route", "show", "table", "4500").output().contains("default dev esp4jtun"));
        assertTrue(ip.check("-6", "route", "get", "2001:0:0:1::2").output().contains("dev esp4jtun"));
        final IpCommand.Result marked = ip.run("-6", "route", "get", "2001:0:0:1::2", "mark", "0x4500");
        assertFalse((marked.output() + marked.error()).contains("esp4jtun"), "marked packets must not loop: " + marked);
        assertEquals(1, count(rules6, "4501:\tfrom all to 2001:0:0:1::2 fwmark 0x4500 unreachable"), rules6);

        second.update(List.of(SteeringPrefix.parse("2001:0:0:1::3")));
        final String updated = ip.check("-6", "rule", "show").output();
        assertEquals(0, count(updated, "to 2001:0:0:1::2 "), updated);
        assertEquals(1, count(updated, "to 2001:0:0:1::3 lookup 4500"), updated);

        second.remove();
        final String after6 = ip.check("-6", "rule", "show").output();
        final String after4 = ip.check("-4", "rule", "show").output();
        assertFalse(after6.contains("4500") || after6.contains("4501"), after6);
        assertFalse(after4.contains("4500") || after4.contains("4501"), after4);
        assertEquals("", ip.check("-6", "route", "show", "table", "4500").output().trim());
    }

    @Test
    void shouldKeepSteeredFlowsOutOfTheMainTableWhenTheTunDiesAndAcrossARestart() throws Exception
    {
        final IpCommand ip = createNamespace();
        // a main-table route to the peer: what a lookup would fall through to, in clear
        ip.check("tuntap", "add", "dev", "esp4jwire", "mode", "tun");
        ip.check("link", "set", "esp4jwire", "up");
        ip.check("-4", "route", "add", "198.51.100.0/24", "dev", "esp4jwire");
        final List<SteeringPrefix> prefixes = List.of(SteeringPrefix.parse("198.51.100.2/32"));
        new PolicyRouting(ip, settings, null).install(prefixes, null, null);
        assertTrue(ip.check("-4", "route", "get", "198.51.100.2").output().contains("dev esp4jtun"));

        ip.check("link", "del", "esp4jtun"); // what kill -9 does to the TUN
        final IpCommand.Result dead = ip.run("-4", "route", "get", "198.51.100.2");
        assertFalse(dead.ok() && dead.output().contains("esp4jwire"), "fell through to the main table: " + dead);
        assertTrue(ip.check("-4", "route", "show", "table", "4500").output().contains("blackhole default"));
        assertTrue(ip.run("-4", "route", "get", "198.51.100.3").output().contains("dev esp4jwire"),
            "only steered prefixes are blocked");

        // the restart: the crashed run's rules are adopted (no duplicate), the flow goes into the new TUN
        ip.check("tuntap", "add", "dev", "esp4jtun", "mode", "tun");
        ip.check("link", "set", "esp4jtun", "up");
        final PolicyRouting restarted = new PolicyRouting(ip, settings, null);
        restarted.installBlackholes();
        restarted.install(List.of(SteeringPrefix.parse("198.51.100.2/32"), SteeringPrefix.parse("198.51.100.4/32")),
            null, null);
        final String rules = ip.check("-4", "rule", "show").output();
        assertEquals(1, count(rules, "4501:\tfrom all to 198.51.100.2 lookup 4500"), rules);
        assertEquals(1, count(rules, "4501:\tfrom all to 198.51.100.4 lookup 4500"), rules);
        assertTrue(ip.check("-4", "route", "get", "198.51.100.2").output().contains("dev esp4jtun"));

        restarted.update(List.of(SteeringPrefix.parse("198.51.100.4/32")));
        restarted.remove();
        assertEquals("", ip.check("-4", "route", "show", "table", "4500").output().trim(), "a clean stop removes all");
    }

    @Test
    void recognisesOnlyItsOwnRules()
    {
        final PolicyRouting routing = new PolicyRouting(new IpCommand(), settings, null);
        assertNotNull(routing.ourRule("4501:\tfrom all to 2001::2 lookup 4500"));
        assertNotNull(routing.ourRule("4500:\tfrom all fwmark 0x4500 lookup main"));
        assertNull(routing.ourRule("4501:\tfrom all to 2001::2 lookup 45000"));
        assertNull(routing.ourRule("4502:\tfrom all to 2001::2 lookup 4500"));
        assertNull(routing.ourRule("0:\tfrom all lookup local"));
        assertNull(routing.ourRule("4500:\tfrom all fwmark 0x1 lookup main"));
        assertNotNull(routing.ourRule("4501:\tfrom all to 2001::2 fwmark 0x4500 unreachable"));
    }

    private static int count(final String text, final String what)
    {
        int n = 0;
        int i = 0;
        while ((i = text.indexOf(what, i)) >= 0)
        {
            n++;
            i += what.length();
        }
        return n;
    }
}
