package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.xfrm.XfrmStateParser;
import org.esp4j.tun.routing.LocalAddresses;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packet ring's SPIs kept from the SAD's journal: after every change they equal the whole computation, and the
 * added and removed SPIs are exactly the difference (what goes to nft as elements).
 */
class InboundSpisTest
{
    private static final List<String> DESTINATIONS = List.of("2001:db8:5c::2", "192.0.2.2", "2001:db8:a::9");
    private static final LocalAddresses LOCAL = new LocalAddresses(List.of(3),
        List.of(address("2001:db8:5c::2"), address("192.0.2.2")));

    private final SecurityAssociationDatabase sad =
        new SecurityAssociationDatabase(XfrmCounters.inMemory(), new CachedNanoClock(), null);
    private final InboundSpis spis = new InboundSpis();

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    private static SaConfig sa(final long spi, final String destination)
    {
        final String source = destination.contains(":") ? "2001:db8:1::1" : "198.51.100.1";
        return XfrmStateParser.parseAdd("src " + source + " dst " + destination + " proto esp spi 0x" +
            Long.toHexString(spi) + " mode transport aead 'rfc4106(gcm(aes))' " +
            "0x000102030405060708090a0b0c0d0e0fa1b2c3d4 128");
    }

    private Set<Long> whole(final LocalAddresses local)
    {
        final InboundSpis fresh = new InboundSpis();
        fresh.resync(sad, local);
        return Set.copyOf(fresh.spis());
    }

    @Test
    void shouldMatchTheWholeComputationAndNameExactlyTheChangedSpis()
    {
        assertFalse(spis.follow(sad, LOCAL), "the first sync computes from every SA");
        spis.resync(sad, LOCAL);
        final Random random = new Random(9);
        for (int i = 0; i < 400; i++)
        {
            final Set<Long> before = Set.copyOf(spis.spis());
            for (int change = random.nextInt(3); change >= 0; change--)
            {
                // SPIs above 2^31, shared between local and foreign destinations
                final SaConfig config = sa(0xc0000000L + random.nextInt(8), DESTINATIONS.get(random.nextInt(3)));
                if (sad.get(config.spi(), config.destination()) == null)
                {
                    sad.add(config);
                }
                else
                {
                    sad.delete(config.spi(), config.destination());
                }
            }

            assertTrue(spis.follow(sad, LOCAL));

            final Set<Long> now = whole(LOCAL);
            assertEquals(now, spis.spis());
            final Set<Long> added = new HashSet<>(now);
            added.removeAll(before);
            final Set<Long> removed = new HashSet<>(before);
            removed.removeAll(now);
            assertEquals(added, spis.added());
            assertEquals(removed, spis.removed());
        }
    }

    @Test
    void shouldFollowAFlushAsTheRemovalOfEverySpi()
    {
        sad.add(sa(0x100, "2001:db8:5c::2"));
        sad.add(sa(0x101, "192.0.2.2"));
        sad.add(sa(0x102, "2001:db8:a::9"));
        spis.resync(sad, LOCAL);

        sad.flush();

        assertTrue(spis.follow(sad, LOCAL));
        assertEquals(Set.of(), spis.spis());
        assertEquals(Set.of(0x100L, 0x101L), spis.removed());
    }

    @Test
    void shouldComputeAgainForOtherAddressesAfterARefusalAndAfterARestart()
    {
        sad.add(sa(0x200, "2001:db8:5c::2"));
        sad.add(sa(0x201, "2001:db8:a::9"));
        spis.resync(sad, LOCAL);

        final LocalAddresses moved = new LocalAddresses(List.of(3), List.of(address("2001:db8:a::9")));
        assertFalse(spis.follow(sad, moved), "other addresses: computed again");
        spis.resync(sad, moved);
        assertEquals(Set.of(0x201L), spis.spis());

        spis.invalidate();
        assertFalse(spis.follow(sad, moved), "after the host refused a change: computed again");

        final InboundSpis restarted = new InboundSpis(); // a daemon restart: nothing known of the installed table
        assertFalse(restarted.follow(sad, LOCAL));
        restarted.resync(sad, LOCAL);
        assertEquals(whole(LOCAL), restarted.spis());
    }
}
