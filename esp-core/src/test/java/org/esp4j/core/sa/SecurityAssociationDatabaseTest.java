package org.esp4j.core.sa;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SAD: lookups by SPI and destination over 100,000 SAs, deletion with tombstones, duplicates, key hygiene.
 */
class SecurityAssociationDatabaseTest
{
    private static final InetAddress V4 = address("192.0.2.2");
    private static final InetAddress V4_OTHER = address("192.0.2.3");
    private static final InetAddress V6 = address("2001:db8::2");

    private final CachedNanoClock clock = new CachedNanoClock();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(XfrmCounters.inMemory(), clock, null);

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

    private static byte[] key(final int length, final long seed)
    {
        final byte[] key = new byte[length];
        new Random(seed).nextBytes(key);
        return key;
    }

    private static SaConfig config(final long spi, final InetAddress destination)
    {
        final InetAddress source = destination.getAddress().length == 4 ? address("192.0.2.1") : address("2001:db8::1");
        return SaConfig.builder().source(source).destination(destination).spi(spi)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, key(20, spi))
            .encryption(EncryptionAlgorithm.AES_CBC, key(16, ~spi))
            .build();
    }

    private void assertFound(final long spi, final InetAddress destination)
    {
        final SecurityAssociation sa = sad.get(spi, destination);
        assertNotNull(sa, "spi " + Long.toHexString(spi));
        assertEquals(spi, sa.spi());
        assertSame(sa, sad.lookup(spi, IpAddressBits.high(destination), IpAddressBits.low(destination)));
    }

    private void checkManySas(final long[] spis)
    {
        for (final long spi : spis)
        {
            sad.add(config(spi, V4));
        }
        assertEquals(spis.length, sad.size());
        for (final long spi : spis)
        {
            assertFound(spi, V4);
            assertNull(sad.get(spi, V4_OTHER));
        }
        final List<SecurityAssociation> deleted = new ArrayList<>();
        for (int i = 0; i < spis.length; i += 2)
        {
            deleted.add(sad.get(spis[i], V4));
            assertTrue(sad.delete(spis[i], V4));
        }
        assertEquals(spis.length / 2, sad.size());
        for (int i = 0; i < spis.length; i++)
        {
            if (i % 2 == 0)
            {
                assertNull(sad.get(spis[i], V4), "deleted " + Long.toHexString(spis[i]));
            }
            else
            {
                assertFound(spis[i], V4);
            }
        }
        for (final SecurityAssociation sa : deleted)
        {
            assertEquals(SaState.DELETED, sa.state());
        }
        for (int i = 0; i < spis.length; i += 2)
        {
            sad.add(config(spis[i], V4));
        }
        assertEquals(spis.length, sad.size());
        for (final long spi : spis)
        {
            assertFound(spi, V4);
        }
        assertEquals(spis.length, sad.list().size());
    }

    @Test
    void shouldFindEachOf100000SequentialSpisAndSurviveDeletingHalf()
    {
        final long[] spis = new long[100_000];
        for (int i = 0; i < spis.length; i++)
        {
            spis[i] = 0x1000 + i;
        }
        checkManySas(spis);
    }

    @Test
    void shouldFindEachOf100000RandomSpisIncludingUnsignedAbove2To31()
    {
        final Random random = new Random(0x5AD_0001L);
        final Set<Long> unique = new LinkedHashSet<>();
        unique.add(0xFFFF_FFFFL);
        unique.add(0x8000_0000L);
        unique.add(256L);
        while (unique.size() < 100_000)
        {
            unique.add(256 + (random.nextLong() & 0xFFFF_FFFFL) % (0x1_0000_0000L - 256));
        }
        final long[] spis = unique.stream().mapToLong(Long::longValue).toArray();
        assertTrue(Arrays.stream(spis).filter(s -> s > 0x7FFF_FFFFL).count() > 40_000);
        checkManySas(spis);
    }

    @Test
    void shouldSurviveRepeatedAddDeleteCyclesWithoutLosingLookups()
    {
        sad.add(config(0x7777, V4));
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 1000; i++)
            {
                sad.add(config(0x10000 + i, V4));
            }
            for (int i = 0; i < 1000; i++)
            {
                assertTrue(sad.delete(0x10000 + i, V4));
            }
            assertFound(0x7777, V4);
        }
        assertEquals(1, sad.size());
    }

    @Test
    void shouldTellSasApartBySpiAndDestination()
    {
        final SecurityAssociation a = sad.add(config(0x1234, V4));
        final SecurityAssociation b = sad.add(config(0x1234, V4_OTHER));
        final SecurityAssociation c = sad.add(config(0x1234, V6));
        assertSame(a, sad.get(0x1234, V4));
        assertSame(b, sad.get(0x1234, V4_OTHER));
        assertSame(c, sad.get(0x1234, V6));
        assertNull(sad.get(0x1235, V4));
        assertNotNull(sad.lookupBySpi(0x1234));
        assertTrue(sad.delete(b));
        assertFalse(sad.delete(b));
        assertSame(a, sad.get(0x1234, V4));
        assertSame(c, sad.get(0x1234, V6));
    }

    @Test
    void shouldRefuseDuplicateAdd()
    {
        sad.add(config(0xABCD, V4));
        assertThrows(IllegalStateException.class, () -> sad.add(config(0xABCD, V4)));
        assertEquals(1, sad.size());
    }

    @Test
    void shouldReturnFalseDeletingUnknownSa()
    {
        assertFalse(sad.delete(0x999, V4));
    }

    @Test
    void shouldZeroKeysOnDelete()
    {
        final SaConfig config = config(0x4242, V4);
        final SecurityAssociation sa = sad.add(config);
        sa.transform(); // a thread's transform exists
        assertFalse(Arrays.equals(new byte[20], config.integrityKey()));
        assertTrue(sad.delete(0x4242, V4));
        assertEquals(Hex.encode(new byte[20]), Hex.encode(config.integrityKey()));
        assertEquals(Hex.encode(new byte[16]), Hex.encode(config.encryptionKey()));
        assertEquals(SaState.DELETED, sa.state());
        assertFalse(sa.isUsable());
    }

    @Test
    void shouldZeroKeysOnFlush()
    {
        final SaConfig config = config(0x4243, V4);
        sad.add(config);
        sad.flush();
        assertEquals(0, sad.size());
        assertEquals(Hex.encode(new byte[20]), Hex.encode(config.integrityKey()));
        assertNull(sad.get(0x4243, V4));
        sad.add(config(0x4243, V4));
        assertFound(0x4243, V4);
    }

    @Test
    void shouldNeverPrintKeysInToString()
    {
        final SaConfig config = config(0xC0FFEE, V6);
        final SecurityAssociation sa = sad.add(config);
        final String integrity = Hex.encode(config.integrityKey());
        final String encryption = Hex.encode(config.encryptionKey());
        for (final String text : new String[]{ config.toString(), sa.toString(), config.lifetime().toString() })
        {
            assertFalse(text.toLowerCase().contains(integrity), text);
            assertFalse(text.toLowerCase().contains(encryption), text);
            assertFalse(text.toLowerCase().contains(integrity.substring(0, 8)), text);
        }
        assertTrue(sa.toString().contains("0x00c0ffee"), sa.toString());
        assertTrue(config.describeKeys().contains(integrity), "keys only when asked for");
    }

    @Test
    void shouldRejectSpisBelow256AndAbove32Bits()
    {
        assertThrows(IllegalArgumentException.class, () -> SaConfig.builder().spi(255));
        assertThrows(IllegalArgumentException.class, () -> SaConfig.builder().spi(0x1_0000_0000L));
        assertEquals(0xFFFF_FFFFL, config(0xFFFF_FFFFL, V4).spi());
    }

    @Test
    void shouldUpdateLifetimeInPlaceKeepingTheSa()
    {
        final SecurityAssociation sa = sad.add(config(0x5151, V4));
        final SaLifetimeConfig lifetime = SaLifetimeConfig.builder().packetsHardLimit(1000).build();
        final SecurityAssociation updated = sad.update(config(0x5151, V4).toBuilder().lifetime(lifetime).build());
        assertSame(sa, updated);
        assertSame(sa, sad.get(0x5151, V4));
        assertEquals(lifetime, sa.lifetime());
        assertEquals(SaState.VALID, sa.state());
        assertThrows(IllegalStateException.class, () -> sad.update(config(0x5152, V4)));
    }

    @Test
    void shouldRefuseUpdateThatChangesMoreThanTheLifetime()
    {
        final SecurityAssociation sa = sad.add(config(0x5151, V4));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> sad.update(config(0x5151, V4).toBuilder().replayWindowSize(128).build()));
        assertTrue(ex.getMessage().contains("replay-window"), ex.getMessage());
        assertSame(sa, sad.get(0x5151, V4));
        assertEquals(64, sa.config().replayWindowSize());
    }
}
