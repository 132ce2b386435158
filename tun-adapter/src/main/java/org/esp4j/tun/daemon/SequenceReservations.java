package org.esp4j.tun.daemon;

import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.xfrm.XfrmAddresses;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Outbound sequence numbers that survive a restart, so that a peer which kept its SAs (and their replay windows)
 * accepts our packets again after we restart with the same preloaded SAs (RFC 4303 §3.3.3 forbids sending a
 * sequence number twice on an SA; the peer would drop them as replays).
 * <p>
 * A hi/lo allocator: for each SA the file beside the counters file ({@code COUNTERS.seq}) holds a sequence number
 * that the SA has <em>not yet reached</em>, reserved {@link #BLOCK} ahead. The conductor checks the SAs every
 * {@link DaemonConductor#SA_SYNC_INTERVAL_NS} (the preloaded ones also before any packet), and moves a reservation on
 * by another block once the SA is within half a block of it; so an SA's line is written about once per
 * {@link #BLOCK}/2 packets, never per packet (the packet path only increments its counter, and compares it with the
 * half-block mark, where it raises the SAD's sequence alert).
 * <p>
 * <b>Cost per change, not per SA.</b> The conductor looks at the SAs added or deleted since its last look, read from
 * the SAD's change journal ({@link SecurityAssociationDatabase#changesSince}), and at every SA only after such an alert
 * (or when the journal no longer holds every change since): an idle daemon spends nothing per SA on this, and a
 * {@code state add} at a P-CSCF holding 40,000 SAs costs what it costs with 4. New and moved reservations are
 * appended to the file, one write for all of them; a later line for the same SA supersedes an earlier one (the higher
 * mark counts). When the file holds as many superseded lines (or lines of SAs gone) as current ones, it is compacted:
 * written whole to a temporary file that replaces it atomically. So the file stays within twice the SAD, and each line
 * costs O(1) writes amortized.
 * <p>
 * At start, each preloaded SA found in the file continues from its reservation: whatever the previous run sent lies
 * below it, even after kill -9 (each append is one {@code write}, and each compaction an atomic replace, through the
 * page cache: it survives the process, not a power cut).
 * <p>
 * Each restart skips at most one block; without ESN an SA so exhausts its 2^32 numbers after about 4096 restarts,
 * and then expires as on any sequence overflow instead of repeating a number. Owned by the conductor thread.
 * <pre>
 * # esp4j outbound sequence reservations: SPI DST SRC NEXT-ALLOWED
 * 0x00001000 2001:db8::2 2001:db8::1 1048577
 * </pre>
 */
final class SequenceReservations
{
    /** Sequence numbers reserved ahead of an SA; a restart skips at most this many. */
    static final long BLOCK = 1L << 20;

    private static final String HEADER = "# esp4j outbound sequence reservations: SPI DST SRC NEXT-ALLOWED\n";

    /** An SA's identity in the SAD (its journal names SAs so). */
    private record SaId(long spi, InetAddress destination)
    {
    }

    private final Path path;
    private final Consumer<String> log;
    private Map<String, Long> reserved = new HashMap<>();
    /** The file key of each SA seen, by identity: formatting it again at each look would cost more. */
    private Map<SecurityAssociation, String> keys = new IdentityHashMap<>();
    /** The SAs looked after, by identity in the SAD: what a journal entry names. */
    private Map<SaId, SecurityAssociation> tracked = new HashMap<>();
    private String lastError;
    /** The SAD and its {@link SecurityAssociationDatabase#changes()} at the last look, to skip idle ticks. */
    private SecurityAssociationDatabase seenSad;
    private long seenSadChanges;
    /** Lines of reservations in the file (current and superseded), to tell when to compact; -1: write it whole. */
    private long fileLines = -1;
    // one look's journal entries and the keys whose reservation moved (reused)
    private final List<SaId> journalIds = new ArrayList<>();
    private final List<Boolean> journalAdded = new ArrayList<>();
    private final List<String> moved = new ArrayList<>();

    private SequenceReservations(final Path path, final Consumer<String> log)
    {
        this.path = path;
        this.log = log;
    }

    /**
     * @param path the reservations file (need not exist).
     * @param log  where a malformed line or a write failure is reported, once.
     * @return the reservations found in the file.
     * @throws IOException if the file exists but cannot be read.
     */
    static SequenceReservations load(final Path path, final Consumer<String> log) throws IOException
    {
        final SequenceReservations reservations = new SequenceReservations(path, log);
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(path, StandardCharsets.US_ASCII);
        }
        catch (final NoSuchFileException ex)
        {
            return reservations;
        }
        int lineNumber = 0;
        reservations.fileLines = 0;
        for (final String line : lines)
        {
            lineNumber++;
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            reservations.fileLines++;
            final String[] fields = line.trim().split("\\s+");
            try
            {
                if (fields.length != 4)
                {
                    throw new IllegalArgumentException("expected SPI DST SRC NEXT-ALLOWED");
                }
                final long next = Long.parseLong(fields[3]);
                if (next < 1)
                {
                    throw new IllegalArgumentException("NEXT-ALLOWED must be positive");
                }
                reservations.reserved.merge(fields[0] + " " + fields[1] + " " + fields[2], next, Math::max);
            }
            catch (final IllegalArgumentException ex)
            {
                log.accept(path + ":" + lineNumber + ": ignored: " + ex.getMessage());
            }
        }
        return reservations;
    }

    /**
     * Continue each SA found in the file from its reservation (at start, before any packet is sent).
     *
     * @return the number of SAs moved on.
     */
    int resume(final SecurityAssociationDatabase sad)
    {
        int resumed = 0;
        for (final SecurityAssociation sa : sad.list())
        {
            final Long next = reserved.get(key(sa));
            if (next != null && next > sa.nextOutboundSequence())
            {
                sa.nextOutboundSequence(next);
                resumed++;
            }
        }
        return resumed;
    }

    /**
     * Reserve ahead for every SA of the SAD (and forget the SAs that are gone); write what moved. Returns without
     * writing when nothing moved, and without looking at any SA when none was added or deleted and none raised the
     * sequence alert.
     */
    void reserve(final SecurityAssociationDatabase sad)
    {
        // Each SA raises the SAD's sequence alert when it reaches half its block (the mark set below); so with no
        // SA added, updated or deleted and no alert, no reservation can have to move, and an idle tick looks at none.
        final long changes = sad.changes();
        final boolean alert = sad.takeSequenceAlert();
        if (sad == seenSad && changes == seenSadChanges && !alert)
        {
            return;
        }
        moved.clear();
        if (sad != seenSad || !followJournal(sad))
        {
            lookAtAll(sad);
        }
        else if (alert)
        {
            for (final SecurityAssociation sa : tracked.values())
            {
                check(sa);
            }
        }
        if (!moved.isEmpty())
        {
            write();
        }
        moved.clear();
    }

    /** @return false if the journal no longer holds every change since the last look (then look at every SA). */
    private boolean followJournal(final SecurityAssociationDatabase sad)
    {
        journalIds.clear();
        journalAdded.clear();
        final long now = sad.changesSince(seenSadChanges, (spi, destination, added) ->
        {
            journalIds.add(new SaId(spi, destination));
            journalAdded.add(added);
        });
        if (now < 0)
        {
            return false;
        }
        seenSadChanges = now;
        for (int i = 0; i < journalIds.size(); i++)
        {
            final SaId id = journalIds.get(i);
            final SecurityAssociation gone = tracked.remove(id);
            if (gone != null)
            {
                reserved.remove(keys.remove(gone)); // its line goes with the next compaction
            }
            if (journalAdded.get(i))
            {
                final SecurityAssociation sa = sad.get(id.spi(), id.destination());
                if (sa != null) // else deleted again since
                {
                    tracked.put(id, sa);
                    check(sa);
                }
            }
        }
        journalIds.clear();
        journalAdded.clear();
        return true;
    }

    /** At start, for another SAD, or when the journal passed: every SA, and the file written whole. */
    private void lookAtAll(final SecurityAssociationDatabase sad)
    {
        final List<SecurityAssociation> sas;
        synchronized (sad) // the SAs and their change count at one moment: where the journal takes over
        {
            seenSadChanges = sad.changes();
            sas = sad.list();
        }
        seenSad = sad;
        final Map<String, Long> before = reserved;
        final Map<SecurityAssociation, String> keysBefore = keys;
        reserved = new HashMap<>(sas.size() * 2);
        keys = new IdentityHashMap<>(sas.size() * 2);
        tracked = new HashMap<>(sas.size() * 2);
        for (final SecurityAssociation sa : sas)
        {
            String key = keysBefore.get(sa);
            if (key == null)
            {
                key = key(sa);
            }
            keys.put(sa, key);
            tracked.put(new SaId(sa.spi(), sa.config().destination()), sa);
            final Long mark = before.get(key);
            if (mark != null)
            {
                reserved.put(key, mark);
            }
            check(sa);
        }
        if (!moved.isEmpty())
        {
            fileLines = -1; // an SA gone alone does not need a write: its line goes with the next one
        }
    }

    /** Move the SA's reservation on if it is within half a block of it (or has none); set its alert mark. */
    private void check(final SecurityAssociation sa)
    {
        String key = keys.get(sa);
        if (key == null)
        {
            key = key(sa);
            keys.put(sa, key);
        }
        final long next = sa.nextOutboundSequence();
        Long mark = reserved.get(key);
        if (mark == null || next + BLOCK / 2 > mark)
        {
            mark = next + BLOCK;
            reserved.put(key, mark);
            moved.add(key);
        }
        sa.alertAtOutboundSequence(mark - BLOCK / 2); // next + BLOCK / 2 > mark from this sequence on
    }

    /** @return the reservation of an SA, or 0 (tests). */
    long reservation(final SecurityAssociation sa)
    {
        final Long mark = reserved.get(key(sa));
        return mark == null ? 0 : mark;
    }

    /** Append the moved reservations, or write the file whole when it holds as many superseded lines as current. */
    private void write()
    {
        if (fileLines < 0 || fileLines + moved.size() > 2L * reserved.size())
        {
            writeWhole();
            return;
        }
        final StringBuilder sb = new StringBuilder(64 * moved.size());
        for (final String key : moved)
        {
            sb.append(key).append(' ').append(reserved.get(key)).append('\n');
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND))
        {
            final ByteBuffer bytes = StandardCharsets.US_ASCII.encode(CharBuffer.wrap(sb));
            while (bytes.hasRemaining())
            {
                channel.write(bytes); // one write(2) for a file in the page cache
            }
            fileLines += moved.size();
            lastError = null;
        }
        catch (final IOException ex)
        {
            writeWhole(); // the file went missing or took part of the lines: replace it whole
        }
    }

    private void writeWhole()
    {
        final StringBuilder sb = new StringBuilder(HEADER.length() + 64 * reserved.size());
        sb.append(HEADER);
        reserved.entrySet().stream().sorted(Map.Entry.comparingByKey())
            .forEach(entry -> sb.append(entry.getKey()).append(' ').append(entry.getValue()).append('\n'));
        final Path temporary = path.resolveSibling(path.getFileName() + ".tmp");
        try
        {
            Files.writeString(temporary, sb, StandardCharsets.US_ASCII);
            Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            fileLines = reserved.size();
            lastError = null;
        }
        catch (final IOException ex)
        {
            fileLines = -1;
            final String message = "cannot write " + path + " (a restart may repeat sequence numbers): " + ex;
            if (!message.equals(lastError))
            {
                log.accept(message);
            }
            lastError = message;
        }
    }

    private static String key(final SecurityAssociation sa)
    {
        return String.format("0x%08x", sa.spi()) + " " + XfrmAddresses.toText(sa.config().destination()) + " " +
            (sa.config().source() == null ? "-" : XfrmAddresses.toText(sa.config().source()));
    }
}
