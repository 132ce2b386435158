package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.xfrm.XfrmStateParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceReservationsTest
{
    private static final String SA = "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0xc0000001 " +
        "auth hmac(sha1) 0xf769bcd751044604127672711c6d344100000000 enc cipher_null \"\"";

    @TempDir
    Path dir;

    private final List<String> log = new ArrayList<>();

    private static SecurityAssociationDatabase sadWithOneSa()
    {
        final SecurityAssociationDatabase sad =
            new SecurityAssociationDatabase(XfrmCounters.inMemory(), new CachedNanoClock(), null);
        sad.add(XfrmStateParser.parseAdd(SA));
        return sad;
    }

    @Test
    void shouldContinueAPreloadedSaAboveEverythingThePreviousRunSent() throws Exception
    {
        final Path file = dir.resolve("esp4j0.counters.seq");
        final SecurityAssociationDatabase first = sadWithOneSa();
        final SequenceReservations run1 = SequenceReservations.load(file, log::add);
        assertEquals(0, run1.resume(first), "no file yet: nothing to resume");
        run1.reserve(first);
        final SecurityAssociation sa = first.list().get(0);
        assertEquals(1 + SequenceReservations.BLOCK, run1.reservation(sa));
        assertEquals("# esp4j outbound sequence reservations: SPI DST SRC NEXT-ALLOWED\n" +
            "0xc0000001 2001:db8::2 2001:db8::1 " + (1 + SequenceReservations.BLOCK) + "\n",
            Files.readString(file), "the SPI unsigned, as ip xfrm prints it");

        // packets go out: within half a block of the mark, the mark moves a block on
        sa.nextOutboundSequence(SequenceReservations.BLOCK / 2);
        run1.reserve(first);
        assertEquals(1 + SequenceReservations.BLOCK, run1.reservation(sa), "not per packet");
        sa.nextOutboundSequence(SequenceReservations.BLOCK / 2 + 2);
        run1.reserve(first);
        final long mark = SequenceReservations.BLOCK / 2 + 2 + SequenceReservations.BLOCK;
        assertEquals(mark, run1.reservation(sa));
        final long sentBeforeCrash = sa.nextOutboundSequence() + 1000; // sent after the last write, then kill -9

        final SecurityAssociationDatabase second = sadWithOneSa();
        final SequenceReservations run2 = SequenceReservations.load(file, log::add);
        assertEquals(1, run2.resume(second));
        final long next = second.list().get(0).nextOutboundSequence();
        assertEquals(mark, next);
        assertTrue(next > sentBeforeCrash, "no sequence number repeats");
        assertTrue(log.isEmpty(), log.toString());
    }

    @Test
    void shouldForgetDeletedSasAndIgnoreMalformedLinesWithOneLineEach() throws Exception
    {
        final Path file = dir.resolve("esp4j0.counters.seq");
        Files.writeString(file, "# comment\n0x1 2001:db8::2 2001:db8::1 oops\n0x2 2001:db8::2\n" +
            "0xc0000001 2001:db8::2 2001:db8::1 5000000\n");
        final SecurityAssociationDatabase sad = sadWithOneSa();
        final SequenceReservations reservations = SequenceReservations.load(file, log::add);
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(0).endsWith("esp4j0.counters.seq:2: ignored: For input string: \"oops\""), log.get(0));
        assertTrue(log.get(1).endsWith(":3: ignored: expected SPI DST SRC NEXT-ALLOWED"), log.get(1));
        assertEquals(1, reservations.resume(sad));
        assertEquals(5_000_000, sad.list().get(0).nextOutboundSequence());

        sad.flush();
        reservations.reserve(sad);
        assertTrue(Files.readString(file).contains("0xc0000001"), "an SA gone alone is no reason to write");
        sad.add(XfrmStateParser.parseAdd(SA.replace("0xc0000001", "0xc0000002")));
        reservations.reserve(sad);
        final String now = Files.readString(file);
        assertFalse(now.contains("0xc0000001"), "bounded by the SAD: " + now);
        assertTrue(now.contains("0xc0000002 2001:db8::2 2001:db8::1 " + (1 + SequenceReservations.BLOCK)), now);
    }

    @Test
    void shouldMoveTheMarkOfAnSaThatSendsPastHalfItsBlockWhileTheSadIsOtherwiseIdle() throws Exception
    {
        final Path file = dir.resolve("esp4j0.counters.seq");
        final SecurityAssociationDatabase sad = sadWithOneSa();
        final SequenceReservations reservations = SequenceReservations.load(file, log::add);
        reservations.reserve(sad);
        final SecurityAssociation sa = sad.list().get(0);
        final long mark = 1 + SequenceReservations.BLOCK;
        sa.nextOutboundSequence(mark - SequenceReservations.BLOCK / 2 - 1);
        reservations.reserve(sad);
        assertEquals(mark, reservations.reservation(sa), "one short of half a block");

        assertEquals(mark - SequenceReservations.BLOCK / 2 - 1, sa.takeOutboundSequence()); // the data path
        reservations.reserve(sad);
        assertEquals(mark, reservations.reservation(sa), "next is exactly half a block below: not yet");
        assertEquals(mark - SequenceReservations.BLOCK / 2, sa.takeOutboundSequence());
        reservations.reserve(sad);
        final long moved = sa.nextOutboundSequence() + SequenceReservations.BLOCK;
        assertEquals(moved, reservations.reservation(sa), "within half a block: moved by the SA's alert alone");
        assertTrue(Files.readString(file).contains(" " + moved + "\n"), Files.readString(file));
        assertTrue(log.isEmpty(), log.toString());
    }

    private static String sa(final long spi)
    {
        return SA.replace("0xc0000001", String.format("0x%08x", spi));
    }

    private static long dataLines(final Path file) throws Exception
    {
        return Files.readAllLines(file).stream().filter(line -> !line.startsWith("#")).count();
    }

    @Test
    void shouldAppendNewReservationsAndCompactTheFileOnceHalfOfItIsSuperseded() throws Exception
    {
        final Path file = dir.resolve("esp4j0.counters.seq");
        final SecurityAssociationDatabase sad = sadWithOneSa();
        final SequenceReservations reservations = SequenceReservations.load(file, log::add);
        reservations.reserve(sad);
        sad.add(XfrmStateParser.parseAdd(sa(0xc0000009L)));
        sad.add(XfrmStateParser.parseAdd(sa(0xc0000002L)));
        reservations.reserve(sad);
        final String mark = " " + (1 + SequenceReservations.BLOCK) + "\n";
        assertEquals("# esp4j outbound sequence reservations: SPI DST SRC NEXT-ALLOWED\n" +
            "0xc0000001 2001:db8::2 2001:db8::1" + mark + "0xc0000009 2001:db8::2 2001:db8::1" + mark +
            "0xc0000002 2001:db8::2 2001:db8::1" + mark, Files.readString(file), "appended, in the order added");

        sad.delete(sad.get(0xc0000009L, java.net.InetAddress.getByName("2001:db8::2")));
        sad.add(XfrmStateParser.parseAdd(sa(0xc0000003L)));
        reservations.reserve(sad);
        assertEquals(4, dataLines(file), "one line for the new SA; the gone one's stays for now");
        sad.get(0xc0000001L, java.net.InetAddress.getByName("2001:db8::2"))
            .nextOutboundSequence(SequenceReservations.BLOCK); // near its mark: moves
        reservations.reserve(sad);
        assertEquals(5, dataLines(file), "a moved mark is one more line: 5 lines for 3 SAs");
        sad.delete(sad.get(0xc0000002L, java.net.InetAddress.getByName("2001:db8::2")));
        sad.delete(sad.get(0xc0000003L, java.net.InetAddress.getByName("2001:db8::2")));
        sad.add(XfrmStateParser.parseAdd(sa(0xc0000004L)));
        reservations.reserve(sad);

        final String now = Files.readString(file);
        assertEquals("# esp4j outbound sequence reservations: SPI DST SRC NEXT-ALLOWED\n" +
            "0xc0000001 2001:db8::2 2001:db8::1 " + (SequenceReservations.BLOCK + SequenceReservations.BLOCK) + "\n" +
            "0xc0000004 2001:db8::2 2001:db8::1" + mark, now, "6 lines for 2 SAs would be more than twice: compacted");
        final SecurityAssociationDatabase restarted = new SecurityAssociationDatabase(XfrmCounters.inMemory(),
            new CachedNanoClock(), null);
        for (final SecurityAssociation sa : sad.list())
        {
            restarted.add(sa.config());
        }
        assertEquals(2, SequenceReservations.load(file, log::add).resume(restarted));
        assertTrue(log.isEmpty(), log.toString());
    }

    @Test
    void shouldKeepEverySaReservedAndTheFileBoundedThroughRandomAddsDeletesAndSends() throws Exception
    {
        final Path file = dir.resolve("esp4j0.counters.seq");
        final SecurityAssociationDatabase sad =
            new SecurityAssociationDatabase(XfrmCounters.inMemory(), new CachedNanoClock(), null);
        final SequenceReservations reservations = SequenceReservations.load(file, log::add);
        final java.util.Random random = new java.util.Random(14);
        for (int step = 0; step < 600; step++)
        {
            final long spi = 0xc0000000L + random.nextInt(40);
            final SecurityAssociation sa = sad.get(spi, java.net.InetAddress.getByName("2001:db8::2"));
            switch (random.nextInt(3))
            {
                case 0 ->
                {
                    if (sa == null)
                    {
                        sad.add(XfrmStateParser.parseAdd(sa(spi)));
                    }
                }
                case 1 ->
                {
                    if (sa != null)
                    {
                        sad.delete(sa);
                    }
                }
                default ->
                {
                    if (sa != null)
                    {
                        sa.nextOutboundSequence(sa.nextOutboundSequence() + random.nextInt(
                            (int)SequenceReservations.BLOCK)); // packets sent
                    }
                }
            }
            if (random.nextInt(4) == 0)
            {
                continue; // several changes between two looks
            }
            reservations.reserve(sad);
            final SequenceReservations reloaded = SequenceReservations.load(file, log::add);
            for (final SecurityAssociation live : sad.list())
            {
                final long mark = reservations.reservation(live);
                assertTrue(mark - live.nextOutboundSequence() >= SequenceReservations.BLOCK / 2,
                    "step " + step + ": reserved ahead");
                assertTrue(reloaded.reservation(live) >= mark, "step " + step + ": in the file, as reserved or higher" +
                    " (a line of a deleted SA with the same SPI, addresses and a higher mark may still be there)");
            }
            assertTrue(dataLines(file) <= 2 * 40, "step " + step + ": " + dataLines(file) + " lines");
        }
        assertTrue(log.isEmpty(), log.toString());
    }
}
