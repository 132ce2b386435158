package org.esp4j.core.sa;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.xfrm.XfrmStateParser;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SAD's change journal ({@link SecurityAssociationDatabase#changesSince}): what the packet ring's SPIs follow. */
class SecurityAssociationDatabaseJournalTest
{
    private final SecurityAssociationDatabase sad =
        new SecurityAssociationDatabase(XfrmCounters.inMemory(), new CachedNanoClock(), null);
    private final List<String> seen = new ArrayList<>();

    private static SaConfig sa(final long spi, final String destination)
    {
        return XfrmStateParser.parseAdd("src 2001:db8:1::1 dst " + destination + " proto esp spi 0x" +
            Long.toHexString(spi) + " mode transport aead 'rfc4106(gcm(aes))' " +
            "0x000102030405060708090a0b0c0d0e0fa1b2c3d4 128");
    }

    private void record(final long spi, final InetAddress destination, final boolean added)
    {
        seen.add((added ? "+" : "-") + Long.toUnsignedString(spi) + " " + destination.getHostAddress());
    }

    @Test
    void shouldHandAddsAndDeletesButNotUpdatesInOrderWithUnsignedSpis()
    {
        sad.add(sa(0x1000, "2001:db8:2::1"));
        final long from = sad.changes();
        sad.add(sa(0xc0000001L, "2001:db8:2::2"));
        sad.update(sa(0xc0000001L, "2001:db8:2::2"));
        sad.delete(0x1000, sa(0x1000, "2001:db8:2::1").destination());

        final long now = sad.changesSince(from, this::record);

        assertEquals(sad.changes(), now);
        assertEquals(List.of("+3221225473 2001:db8:2:0:0:0:0:2", "-4096 2001:db8:2:0:0:0:0:1"), seen);
        assertEquals(now, sad.changesSince(now, this::record));
        assertEquals(2, seen.size());
    }

    @Test
    void shouldHandAFlushAsADeletePerSa()
    {
        sad.add(sa(0x1001, "2001:db8:2::1"));
        sad.add(sa(0x1002, "2001:db8:2::1"));
        final long from = sad.changes();

        sad.flush();

        assertEquals(sad.changes(), sad.changesSince(from, this::record));
        seen.sort(null);
        assertEquals(List.of("-4097 2001:db8:2:0:0:0:0:1", "-4098 2001:db8:2:0:0:0:0:1"), seen);
    }

    @Test
    void shouldRefuseAReaderFurtherBehindThanTheJournal()
    {
        final long from = sad.changes();
        for (int i = 0; i < SecurityAssociationDatabase.JOURNAL_CAPACITY / 2 + 1; i++)
        {
            final SecurityAssociation sa = sad.add(sa(0x2000, "2001:db8:2::3"));
            sad.delete(sa);
        }

        assertEquals(-1, sad.changesSince(from, this::record));
        assertEquals(-1, sad.changesSince(-1, this::record));
        assertEquals(-1, sad.changesSince(sad.changes() + 1, this::record));
        assertTrue(seen.isEmpty());
        assertEquals(sad.changes(), sad.changesSince(from + 2, this::record));
        assertEquals(SecurityAssociationDatabase.JOURNAL_CAPACITY, seen.size());
    }
}
