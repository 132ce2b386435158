package org.esp4j.tun.routing;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link SteeringPrefix#outermost}: which prefixes need steering rules of their own.
 */
class SteeringPrefixTest
{
    private static List<SteeringPrefix> parse(final String... texts)
    {
        final List<SteeringPrefix> prefixes = new ArrayList<>();
        for (final String text : texts)
        {
            prefixes.add(SteeringPrefix.parse(text));
        }
        return prefixes;
    }

    @Test
    void shouldDropHostPrefixesInsideTheConfiguredUePrefix()
    {
        assertEquals(parse("2001:db8:5d::/64", "2001:db8:ff::2/128"),
            SteeringPrefix.outermost(parse("2001:db8:5d::/64", "2001:db8:5d::1/128", "2001:db8:ff::2/128",
                "2001:db8:5d::ffff:1/128")));
    }

    @Test
    void shouldKeepEveryHostPrefixThatNoOtherPrefixContains()
    {
        final List<SteeringPrefix> hosts = parse("2001:db8:5d::1/128", "2001:db8:5d::2/128", "10.0.0.1/32");
        assertEquals(hosts, SteeringPrefix.outermost(hosts));
    }

    @Test
    void shouldCompareNetworksNotTheAddressesAsWritten()
    {
        assertEquals(parse("10.1.2.3/16"), SteeringPrefix.outermost(parse("10.1.2.3/16", "10.1.0.0/16", "10.1.9.9/32")));
        assertEquals(SteeringPrefix.parse("10.1.0.0/16"), SteeringPrefix.parse("10.1.2.3/16").network());
    }

    @Test
    void shouldKeepFamiliesApartAndHonourNestedPrefixes()
    {
        assertEquals(parse("10.0.0.0/8", "::/0"),
            SteeringPrefix.outermost(parse("10.0.0.0/8", "10.1.0.0/16", "10.1.1.1/32", "::/0", "2001:db8::/32")));
        assertEquals(parse("10.0.0.0/8", "192.0.2.1/32"),
            SteeringPrefix.outermost(parse("10.0.0.0/8", "192.0.2.1/32", "10.200.0.1/32")));
    }
}
