package org.esp4j.core.sa;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EspTransform;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deleted SAs keep their keys while a packet thread may use them, and lose every copy once none can
 * ({@link EpochReclamation}); per-reader transforms go with the SA (issue 15: no key copy left reachable).
 */
class EpochReclamationTest
{
    private static final InetAddress SRC = address("192.0.2.1");
    private static final InetAddress DST = address("192.0.2.2");
    private static final String ZERO_20 = Hex.encode(new byte[20]);

    private final CachedNanoClock clock = new CachedNanoClock();
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, null);

    @Test
    void shouldKeepKeysWhileAReaderInsideACallMayHoldTheSaAndWipeThemWhenItLeaves()
    {
        final SaConfig config = config(0x1001);
        final SecurityAssociation sa = sad.add(config);
        final EpochReclamation.Reader reader = enteredReader();
        final EspTransform transform = sa.transform(reader);
        assertNotNull(transform);

        assertTrue(sad.delete(0x1001, DST));
        assertTrue(sa.isDeleted(), "deletion is visible at once");
        assertNull(sad.get(0x1001, DST));
        assertNotEquals(ZERO_20, Hex.encode(config.integrityKey()), "keys kept while the reader may use the SA");
        assertSame(transform, sa.transform(reader), "the reader's transform stays intact");
        assertEquals(1, sad.reclaim(), "in limbo");

        reader.exit();
        assertEquals(0, sad.reclaim());
        assertEquals(ZERO_20, Hex.encode(config.integrityKey()));
        assertEquals(0, sa.transformCount(), "transforms destroyed and dropped");
        assertNull(sa.transform(reader), "no transform is ever built for a deleted SA");
    }

    @Test
    void shouldNotBuildATransformForAnSaDeletedBeforeFirstUse()
    {
        final SecurityAssociation sa = sad.add(config(0x1002));
        final EpochReclamation.Reader holder = sad.registerReader();
        holder.enter(); // keeps the SA in limbo, so only the DELETED mark stops the build
        sad.delete(sa);
        final EpochReclamation.Reader late = sad.registerReader();
        late.enter();
        assertNull(sa.transform(late));
        assertNull(sa.transform(), "nor for tools");
        assertEquals(0, sa.transformCount());
        late.exit();
        holder.exit();
        assertEquals(0, sad.reclaim());
    }

    @Test
    void shouldNotWaitForReadersThatEnteredAfterTheDeletionOrSitIdle()
    {
        final SaConfig config = config(0x1003);
        final SecurityAssociation sa = sad.add(config);
        final EpochReclamation.Reader idle = sad.registerReader();
        final EpochReclamation.Reader busy = sad.registerReader();
        idle.enter();
        sa.transform(idle);
        idle.exit();
        sad.delete(sa);
        busy.enter(); // a later call: it cannot have found the deleted SA
        assertEquals(0, sad.reclaim());
        assertEquals(ZERO_20, Hex.encode(config.integrityKey()));
        busy.exit();
    }

    @Test
    void shouldNotWaitForAReaderThatUnregistered()
    {
        final SaConfig config = config(0x1004);
        final SecurityAssociation sa = sad.add(config);
        final EpochReclamation.Reader reader = enteredReader();
        sa.transform(reader);
        sad.delete(sa);
        assertEquals(1, sad.reclaim());
        sad.unregisterReader(reader);
        assertEquals(0, sad.reclaim());
        assertEquals(ZERO_20, Hex.encode(config.integrityKey()));
    }

    @Test
    void shouldDestroyAnUnregisteredReadersTransformsOfLiveSasAndReuseItsIndex()
    {
        final SecurityAssociation sa = sad.add(config(0x1005));
        final EpochReclamation.Reader first = sad.registerReader();
        sa.transform(first);
        assertEquals(1, sa.transformCount());
        sad.unregisterReader(first);
        assertEquals(0, sa.transformCount());
        final EpochReclamation.Reader second = sad.registerReader();
        assertEquals(first.index(), second.index());
        assertNotNull(sa.transform(second));
    }

    @Test
    void shouldFreeTheCountersOnlyWhenReclaimed()
    {
        final int before = allocatedCounters();
        final SecurityAssociation sa = sad.add(config(0x1006));
        final int withSa = allocatedCounters();
        assertTrue(withSa > before);
        final EpochReclamation.Reader reader = enteredReader();
        sad.delete(sa);
        assertEquals(withSa, allocatedCounters(), "an in-flight packet still counts against its own SA's counters");
        reader.exit();
        sad.poll();
        assertEquals(before, allocatedCounters(), "freed once reclaimed");
        assertEquals(org.esp4j.core.counters.SaCounter.values().length, counters.retiredCount(),
            "their ids wait out the reuse delay");
    }

    /** Per-SA counters (type ids 1200-1205) allocated on the manager. */
    private int allocatedCounters()
    {
        final int[] count = new int[1];
        counters.countersManager().forEach((id, typeId, key, label) ->
        {
            if (org.esp4j.core.counters.SaCounter.byTypeId(typeId) != null)
            {
                count[0]++;
            }
        });
        return count[0];
    }

    @Test
    void shouldLeaveNoReachableTransformOfADeletedAndReclaimedSa()
    {
        final SecurityAssociation sa = sad.add(config(0x1007));
        final EpochReclamation.Reader reader = enteredReader();
        final WeakReference<EspTransform> readerTransform = new WeakReference<>(sa.transform(reader));
        final WeakReference<EspTransform> toolTransform = new WeakReference<>(sa.transform());
        reader.exit();
        assertNotNull(readerTransform.get());
        sad.delete(sa);
        assertEquals(0, sad.reclaim());
        for (int i = 0; i < 100 && (readerTransform.get() != null || toolTransform.get() != null); i++)
        {
            System.gc();
        }
        assertNull(readerTransform.get(), "the reader's transform (and its JDK Cipher) is unreachable");
        assertNull(toolTransform.get(), "the tools' transform is unreachable");
        assertTrue(sa.isDeleted(), "the SA object itself may live on, without keys");
    }

    /** @return a new reader inside a call, as a processor in the middle of a packet. */
    private EpochReclamation.Reader enteredReader()
    {
        final EpochReclamation.Reader reader = sad.registerReader();
        reader.enter();
        return reader;
    }

    private static SaConfig config(final long spi)
    {
        final Random random = new Random(spi);
        final byte[] integrityKey = new byte[20];
        final byte[] encryptionKey = new byte[16];
        random.nextBytes(integrityKey);
        random.nextBytes(encryptionKey);
        return SaConfig.builder().source(SRC).destination(DST).spi(spi)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, integrityKey)
            .encryption(EncryptionAlgorithm.AES_CBC, encryptionKey)
            .build();
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final Exception ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }
}
