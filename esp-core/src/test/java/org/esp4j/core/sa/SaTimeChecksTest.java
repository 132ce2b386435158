package org.esp4j.core.sa;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SAD's deadline queue of time-limit checks: each SA is queued at its next soft/hard add/use deadline, moved on
 * update, dropped on delete, and {@link SecurityAssociationDatabase#poll()} looks only at the SAs due. Also the
 * change count and the sequence alert that let the daemon's idle sweeps skip unchanged SAs.
 */
class SaTimeChecksTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final long START = 1_000 * SECOND;
    private static final InetAddress SRC = InetAddress.getLoopbackAddress();
    private static final InetAddress DST = InetAddress.getLoopbackAddress();

    private final CachedNanoClock clock = new CachedNanoClock();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(XfrmCounters.inMemory(), clock,
        null);

    SaTimeChecksTest()
    {
        clock.update(START);
    }

    @Test
    void shouldQueueAnSaAtItsEarliestTimeLimit()
    {
        final SecurityAssociation sa = sad.add(config(0x100, SaLifetimeConfig.builder()
            .softAddExpiresNs(5 * SECOND).hardAddExpiresNs(10 * SECOND).build()));
        assertEquals(START + 5 * SECOND, sad.nextTimeCheckNs(sa));
    }

    @Test
    void shouldNotQueueAnSaWithoutTimeLimits()
    {
        final SecurityAssociation sa = sad.add(config(0x101, SaLifetimeConfig.builder().packetsHardLimit(10).build()));
        assertEquals(Long.MAX_VALUE, sad.nextTimeCheckNs(sa));
    }

    @Test
    void shouldRescheduleWhenTheLifetimeIsUpdated()
    {
        final SecurityAssociation sa = sad.add(config(0x102, SaLifetimeConfig.builder()
            .hardAddExpiresNs(10 * SECOND).build()));
        clock.update(START + 8 * SECOND);
        sad.update(config(0x102, SaLifetimeConfig.builder().hardAddExpiresNs(30 * SECOND).build()));
        assertEquals(START + 30 * SECOND, sad.nextTimeCheckNs(sa), "later: counted from the add");
        sa.updateLifetime(SaLifetimeConfig.builder().hardAddExpiresNs(9 * SECOND).build(), clock.nanoTime());
        assertEquals(START + 9 * SECOND, sad.nextTimeCheckNs(sa), "earlier, also when updated on the SA itself");

        clock.update(START + 9 * SECOND);
        sad.poll();
        assertEquals(SaState.EXPIRED, sa.state());
        assertEquals(Long.MAX_VALUE, sad.nextTimeCheckNs(sa), "nothing left to check");
    }

    @Test
    void shouldDropTheCheckOfADeletedOrFlushedSa()
    {
        final SaLifetimeConfig lifetime = SaLifetimeConfig.builder().hardAddExpiresNs(10 * SECOND).build();
        final SecurityAssociation deleted = sad.add(config(0x103, lifetime));
        final SecurityAssociation flushed = sad.add(config(0x104, lifetime));
        assertTrue(sad.delete(deleted));
        assertEquals(Long.MAX_VALUE, sad.nextTimeCheckNs(deleted));
        assertEquals(START + 10 * SECOND, sad.nextTimeCheckNs(flushed));
        sad.flush();
        assertEquals(Long.MAX_VALUE, sad.nextTimeCheckNs(flushed));

        clock.update(START + 11 * SECOND);
        sad.poll();
        assertEquals(SaState.DELETED, deleted.state(), "a deleted SA never expires again");
    }

    @Test
    void shouldLookOnlyAtDueSasAndQueueTheHardLimitAfterTheSoftOne()
    {
        final SecurityAssociation dueFirst = sad.add(config(0x105, SaLifetimeConfig.builder()
            .softAddExpiresNs(5 * SECOND).hardAddExpiresNs(10 * SECOND).build()));
        final SecurityAssociation later = sad.add(config(0x106, SaLifetimeConfig.builder()
            .softAddExpiresNs(50 * SECOND).hardAddExpiresNs(100 * SECOND).build()));

        clock.update(START + 5 * SECOND);
        assertEquals(2, sad.poll(), "covers every SA");
        assertEquals(SaState.DYING, dueFirst.state());
        assertEquals(SaState.VALID, later.state());
        assertEquals(START + 10 * SECOND, sad.nextTimeCheckNs(dueFirst), "now its hard limit");
        assertEquals(START + 50 * SECOND, sad.nextTimeCheckNs(later), "untouched");
    }

    @Test
    void shouldCheckAnUnusedSaAgainAfterItsUseLimitAndThenFromItsFirstUse()
    {
        final SecurityAssociation sa = sad.add(config(0x107, SaLifetimeConfig.builder()
            .hardUseExpiresNs(3 * SECOND).build()));
        assertEquals(START + 3 * SECOND, sad.nextTimeCheckNs(sa), "the earliest a use limit can be reached");

        clock.update(START + 3 * SECOND);
        sad.poll();
        assertEquals(SaState.VALID, sa.state(), "unused: does not age by use time");
        assertEquals(START + 6 * SECOND, sad.nextTimeCheckNs(sa));

        clock.update(START + 4 * SECOND);
        sa.onPacket(100, clock.nanoTime());
        clock.update(START + 6 * SECOND);
        sad.poll();
        assertEquals(SaState.VALID, sa.state(), "used at 4 s: expires at 7 s");
        assertEquals(START + 7 * SECOND, sad.nextTimeCheckNs(sa));
        clock.update(START + 7 * SECOND);
        sad.poll();
        assertEquals(SaState.EXPIRED, sa.state());
    }

    @Test
    void shouldCountAddsUpdatesAndDeletesAsChanges()
    {
        final long before = sad.changes();
        sad.add(config(0x108, SaLifetimeConfig.UNLIMITED));
        sad.update(config(0x108, SaLifetimeConfig.builder().hardAddExpiresNs(SECOND).build()));
        sad.delete(0x108, DST);
        assertEquals(before + 3, sad.changes());
        sad.poll();
        assertEquals(before + 3, sad.changes(), "a poll is not a change");
    }

    @Test
    void shouldRaiseTheSequenceAlertOnceAnSaReachesItsMark()
    {
        final SecurityAssociation sa = sad.add(config(0x109, SaLifetimeConfig.UNLIMITED));
        assertFalse(sad.takeSequenceAlert());
        sa.alertAtOutboundSequence(3);
        assertEquals(1, sa.takeOutboundSequence());
        assertEquals(2, sa.takeOutboundSequence());
        assertFalse(sad.takeSequenceAlert(), "below the mark");
        assertEquals(3, sa.takeOutboundSequence());
        assertTrue(sad.takeSequenceAlert());
        assertFalse(sad.takeSequenceAlert(), "taken");
        sa.nextOutboundSequence(1000);
        assertTrue(sad.takeSequenceAlert(), "a sequence set by hand");
    }

    private static SaConfig config(final long spi, final SaLifetimeConfig lifetime)
    {
        return SaConfig.builder().source(SRC).destination(DST).spi(spi)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, new byte[20])
            .encryption(EncryptionAlgorithm.AES_CBC, new byte[16])
            .lifetime(lifetime)
            .build();
    }
}
