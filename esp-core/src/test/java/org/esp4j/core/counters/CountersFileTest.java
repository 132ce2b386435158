package org.esp4j.core.counters;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.status.CountersReader;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters file a monitoring process maps: written through XfrmCounters, read through a second mapping.
 */
class CountersFileTest
{
    @TempDir
    Path directory;

    private static SaConfig config(final long spi) throws Exception
    {
        return SaConfig.builder().source(InetAddress.getByName("192.0.2.1")).destination(InetAddress.getByName("192.0.2.2"))
            .spi(spi).integrity(IntegrityAlgorithm.HMAC_SHA1_96, new byte[20])
            .encryption(EncryptionAlgorithm.NULL, new byte[0]).build();
    }

    /** label by counter id, from an independent reader. */
    private static Map<Integer, String> labels(final CountersReader reader)
    {
        final Map<Integer, String> labels = new HashMap<>();
        reader.forEach((counterId, typeId, keyBuffer, label) -> labels.put(counterId, label));
        return labels;
    }

    @Test
    void shouldShowIncrementsAndLabelsToAReaderOfTheSameFile()
    {
        final Path path = directory.resolve("esp4j.counters");
        try (CountersFile file = CountersFile.create(path, 256))
        {
            final XfrmCounters counters = new XfrmCounters(file.newCountersManager());
            counters.increment(XfrmCounter.XfrmInNoStates);
            counters.increment(XfrmCounter.XfrmInNoStates);
            counters.increment(XfrmCounter.Esp4jOutProtected);

            try (CountersFile view = CountersFile.open(path))
            {
                final CountersReader reader = view.newCountersReader();
                final Map<Integer, String> labels = labels(reader);
                for (final XfrmCounter counter : XfrmCounter.values())
                {
                    final int id = counters.counterId(counter);
                    assertEquals(counter.name(), labels.get(id));
                    assertEquals(XfrmCounter.TYPE_ID, reader.getCounterTypeId(id));
                }
                assertEquals(2, reader.getCounterValue(counters.counterId(XfrmCounter.XfrmInNoStates)));
                assertEquals(1, reader.getCounterValue(counters.counterId(XfrmCounter.Esp4jOutProtected)));
                assertEquals(0, reader.getCounterValue(counters.counterId(XfrmCounter.XfrmInError)));

                counters.increment(XfrmCounter.XfrmInNoStates);
                assertEquals(3, reader.getCounterValue(counters.counterId(XfrmCounter.XfrmInNoStates)), "live view");
            }
            assertEquals(3, counters.get(XfrmCounter.XfrmInNoStates));
        }
    }

    @Test
    void shouldLabelPerSaCountersWithTheSpi() throws Exception
    {
        final Path path = directory.resolve("sa.counters");
        try (CountersFile file = CountersFile.create(path, 256))
        {
            final XfrmCounters counters = new XfrmCounters(file.newCountersManager());
            final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, new CachedNanoClock(), null);
            final SecurityAssociation sa = sad.add(config(0xC0FFEE01L));
            assertTrue(sa.counters().isShared());
            sa.onPacket(100, 5);
            sa.counters().onReplayDrop();

            try (CountersFile view = CountersFile.open(path))
            {
                final CountersReader reader = view.newCountersReader();
                final Map<String, Long> bySaLabel = new HashMap<>();
                reader.forEach((counterId, typeId, keyBuffer, label) ->
                {
                    if (typeId >= SaCounter.TYPE_ID_BASE && typeId < SaCounter.TYPE_ID_BASE + SaCounter.values().length)
                    {
                        bySaLabel.put(label, reader.getCounterValue(counterId));
                        assertEquals(0xC0FFEE01L, keyBuffer.getLong(0), "key holds the SPI");
                    }
                });
                assertEquals(SaCounter.values().length, bySaLabel.size(), bySaLabel.toString());
                for (final String label : bySaLabel.keySet())
                {
                    assertTrue(label.contains("0xc0ffee01"), label);
                }
                assertEquals(1L, bySaLabel.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("sa packets:")).findFirst().orElseThrow().getValue());
                assertEquals(100L, bySaLabel.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("sa bytes:")).findFirst().orElseThrow().getValue());
                assertEquals(1L, bySaLabel.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("sa replay:")).findFirst().orElseThrow().getValue());
            }
        }
    }

    @Test
    void shouldGivePrivateCountersThatStillCountWhenTheManagerIsFull() throws Exception
    {
        final Path path = directory.resolve("small.counters");
        try (CountersFile file = CountersFile.create(path, XfrmCounter.values().length + SaCounter.values().length))
        {
            final XfrmCounters counters = new XfrmCounters(file.newCountersManager());
            final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, new CachedNanoClock(), null);
            final SecurityAssociation first = sad.add(config(0x1001));
            final SecurityAssociation second = sad.add(config(0x1002));
            assertTrue(first.counters().isShared());
            assertFalse(second.counters().isShared());
            for (int i = 0; i < 5; i++)
            {
                second.onPacket(10, i);
            }
            second.counters().onIntegrityFailure();
            assertEquals(5, second.counters().packets());
            assertEquals(50, second.counters().bytes());
            assertEquals(1, second.counters().integrityFailures());
            assertEquals(0, first.counters().packets());
            counters.increment(XfrmCounter.XfrmInError);
            assertEquals(1, counters.get(XfrmCounter.XfrmInError), "global counters unaffected");

            // deleting the private SA frees nothing; deleting the shared one frees its counters for later reuse
            assertTrue(sad.delete(second));
            assertTrue(sad.delete(first));
            final SecurityAssociation third = sad.add(config(0x1003));
            third.onPacket(1, 1);
            assertEquals(1, third.counters().packets());
        }
    }

    @Test
    void shouldRefuseToOpenAFileThatIsNotACountersFile() throws Exception
    {
        final Path missing = directory.resolve("missing");
        assertThrows(IllegalArgumentException.class, () -> CountersFile.open(missing));
        final Path junk = directory.resolve("junk");
        Files.write(junk, new byte[128]);
        assertThrows(IllegalArgumentException.class, () -> CountersFile.open(junk));
        final Path tiny = directory.resolve("tiny");
        Files.write(tiny, new byte[8]);
        assertThrows(IllegalArgumentException.class, () -> CountersFile.open(tiny));
    }

    @Test
    void shouldWriteTheMagicBigEndian() throws Exception
    {
        final Path path = directory.resolve("magic.counters");
        try (CountersFile file = CountersFile.create(path, 64))
        {
            assertNotNull(file.newCountersReader());
        }
        final byte[] bytes = Files.readAllBytes(path);
        assertEquals(0x45, bytes[0] & 0xFF);
        assertEquals(0x34, bytes[1] & 0xFF);
        assertEquals(0x4a, bytes[2] & 0xFF);
        assertEquals(0x43, bytes[3] & 0xFF);
        assertEquals(CountersFile.VERSION, bytes[7]);
    }

    @Test
    void shouldRecreateAnExistingFile()
    {
        final Path path = directory.resolve("again.counters");
        try (CountersFile first = CountersFile.create(path, 64))
        {
            new XfrmCounters(first.newCountersManager()).increment(XfrmCounter.XfrmInError);
        }
        try (CountersFile second = CountersFile.create(path, 64))
        {
            final XfrmCounters counters = new XfrmCounters(second.newCountersManager());
            assertEquals(0, counters.get(XfrmCounter.XfrmInError));
        }
    }

    @Test
    void shouldCreateFileReadableByItsOwnerOnly() throws Exception
    {
        final Path path = directory.resolve("owner.counters");
        Files.writeString(path, "an older file, world-readable");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));

        try (CountersFile ignored = CountersFile.create(path, 16))
        {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        }
    }

    @Test
    void shouldLetTheGivenGroupReadTheFile() throws Exception
    {
        final Path path = directory.resolve("group.counters");
        final GroupPrincipal group = (GroupPrincipal)Files.getAttribute(directory, "posix:group");

        try (CountersFile ignored = CountersFile.create(path, 16, group.getName()))
        {
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            assertEquals(group, Files.getAttribute(path, "posix:group"));
        }
    }

    @Test
    void shouldRefuseAnUnknownGroupAndLeaveNoFile()
    {
        final Path path = directory.resolve("nogroup.counters");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CountersFile.create(path, 16, "esp4j-no-such-group"));

        assertEquals("counters.group: no such group 'esp4j-no-such-group'", ex.getMessage());
        assertFalse(Files.exists(path));
    }

    @Test
    void shouldNameAMissingFileOrADirectoryInOneLine()
    {
        final Path missing = directory.resolve("missing.counters");

        assertEquals("no counters file at " + missing + " (is the daemon running?)",
            assertThrows(IllegalArgumentException.class, () -> CountersFile.open(missing)).getMessage());
        assertEquals(directory + " is a directory, not a counters file",
            assertThrows(IllegalArgumentException.class, () -> CountersFile.open(directory)).getMessage());
    }
}
