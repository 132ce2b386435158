package org.esp4j.tun.daemon;

import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.tun.routing.SteeringPrefix;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The steering prefixes the host state asks the policy routing for: the out-policies' destinations, except those a
 * configured prefix covers (a P-CSCF steering its UEs' /64 adds no rule per registered UE).
 */
class DaemonHostStateSteeringTest
{
    @Test
    void shouldSteerOnlyTheOutPolicyDestinationsNoConfiguredPrefixCovers()
    {
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        for (final String destination : new String[] { "2001:db8:1::5", "2001:db8:1::6", "2001:db8:2::5" })
        {
            spd.add(XfrmPolicyParser.parseAdd("src 2001:db8:ff::2/128 dst " + destination + "/128 proto udp " +
                "sport 5060 dport 5062 dir out tmpl src 2001:db8:ff::2 dst " + destination +
                " proto esp spi 0x1000 mode transport"));
        }
        for (final String destination : new String[] { "10.0.1.7", "10.0.2.7" })
        {
            spd.add(XfrmPolicyParser.parseAdd("src 10.9.9.9/32 dst " + destination + "/32 dir out tmpl src 10.9.9.9" +
                " dst " + destination + " proto esp spi 0x1001 mode transport"));
        }
        final List<SteeringPrefix> configured =
            List.of(SteeringPrefix.parse("2001:db8:1::/64"), SteeringPrefix.parse("10.0.0.0/23"));

        assertEquals(List.of("10.0.0.0/23", "10.0.2.7/32", "2001:db8:1:0:0:0:0:0/64", "2001:db8:2:0:0:0:0:5/128"),
            sorted(DaemonHostState.steeringPrefixes(configured, spd.list())),
            "10.0.1.7 is inside 10.0.0.0/23, 2001:db8:1::5 and ::6 inside the /64; the others are steered themselves");
    }

    private static List<String> sorted(final List<SteeringPrefix> prefixes)
    {
        return prefixes.stream().map(SteeringPrefix::toString).sorted().toList();
    }
}
