package org.esp4j.tun.routing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SteeringPrefix#isInside}: whether a prefix's steering rules are needed beside another's.
 */
class SteeringPrefixTest
{
    private static boolean inside(final String inner, final String outer)
    {
        return SteeringPrefix.parse(inner).isInside(SteeringPrefix.parse(outer));
    }

    @Test
    void shouldFindHostPrefixesInsideTheConfiguredUePrefix()
    {
        assertTrue(inside("2001:db8:5d::1/128", "2001:db8:5d::/64"));
        assertTrue(inside("2001:db8:5d::ffff:1/128", "2001:db8:5d::/64"));
        assertFalse(inside("2001:db8:ff::2/128", "2001:db8:5d::/64"));
    }

    @Test
    void shouldCountAPrefixAsInsideItselfButNotInsideANarrowerOne()
    {
        assertTrue(inside("10.1.0.0/16", "10.1.0.0/16"));
        assertFalse(inside("10.0.0.0/8", "10.1.0.0/16"));
        assertFalse(inside("2001:db8:5d::1/128", "2001:db8:5d::2/128"));
    }

    @Test
    void shouldCompareNetworksNotTheAddressesAsWritten()
    {
        assertTrue(inside("10.1.9.9/32", "10.1.2.3/16"));
        assertTrue(inside("10.1.2.3/16", "10.1.0.0/16"));
        assertEquals(SteeringPrefix.parse("10.1.0.0/16"), SteeringPrefix.parse("10.1.2.3/16").network());
    }

    @Test
    void shouldKeepFamiliesApartAndHonourNestedPrefixes()
    {
        assertFalse(inside("10.1.1.1/32", "::/0"));
        assertFalse(inside("2001:db8::1/128", "0.0.0.0/0"));
        assertTrue(inside("10.1.1.1/32", "10.0.0.0/8"));
        assertTrue(inside("2001:db8::/32", "::/0"));
        assertFalse(inside("192.0.2.1/32", "10.0.0.0/8"));
    }
}
