package org.esp4j.tun.daemon;

import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.xfrm.XfrmAddresses;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Outbound sequence numbers that survive a restart, so that a peer which kept its SAs (and their replay windows)
 * accepts our packets again after we restart with the same preloaded SAs (RFC 4303 §3.3.3 forbids sending a
 * sequence number twice on an SA; the peer would drop them as replays).
 * <p>
 * A hi/lo allocator: for each SA the file beside the counters file ({@code COUNTERS.seq}) holds a sequence number
 * that the SA has <em>not yet reached</em>, reserved {@link #BLOCK} ahead. The conductor checks every SA every
 * {@link DaemonConductor#SA_SYNC_INTERVAL_NS} (the preloaded ones also before any packet), and moves a reservation on
 * by another block
 * once the SA is within half a block of it; so the file is written about once per {@link #BLOCK}/2 packets per SA,
 * never per packet (the packet path only increments its counter, and compares it with the half-block mark, where it
 * raises the SAD's sequence alert). The conductor looks at the SAs only after one was added, updated or deleted, or
 * after such an alert: an idle daemon spends nothing per SA on this. At start, each preloaded SA found in the file
 * continues from its reservation: whatever the previous run sent lies below it, even after kill -9 (the file is
 * replaced atomically, written through the page cache: it survives the process, not a power cut).
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

    private final Path path;
    private final Consumer<String> log;
    private Map<String, Long> reserved = new HashMap<>();
    /** The file key of each SA seen, by identity: formatting it every 100 ms for every SA would cost more. */
    private Map<SecurityAssociation, String> keys = new java.util.IdentityHashMap<>();
    private String lastError;
    /** The SAD and its {@link SecurityAssociationDatabase#changes()} at the last full look, to skip idle ticks. */
    private SecurityAssociationDatabase seenSad;
    private long seenSadChanges;

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
        for (final String line : lines)
        {
            lineNumber++;
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
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
                reservations.reserved.put(fields[0] + " " + fields[1] + " " + fields[2], next);
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
     * Reserve ahead for every SA of the SAD (and forget the SAs that are gone); write the file when a reservation
     * moved. Returns without writing when nothing moved.
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
        seenSad = sad;
        seenSadChanges = changes;
        final List<SecurityAssociation> sas = sad.list();
        boolean changed = false; // an SA gone alone does not need a write: its line goes with the next one
        final Map<String, Long> now = new HashMap<>(sas.size() * 2);
        final Map<SecurityAssociation, String> nowKeys = new java.util.IdentityHashMap<>(sas.size() * 2);
        for (final SecurityAssociation sa : sas)
        {
            String key = keys.get(sa);
            if (key == null)
            {
                key = key(sa);
            }
            nowKeys.put(sa, key);
            final long next = sa.nextOutboundSequence();
            Long mark = reserved.get(key);
            if (mark == null || next + BLOCK / 2 > mark)
            {
                mark = next + BLOCK;
                changed = true;
            }
            now.put(key, mark);
            sa.alertAtOutboundSequence(mark - BLOCK / 2); // next + BLOCK / 2 > mark from this sequence on
        }
        reserved = now;
        keys = nowKeys;
        if (changed)
        {
            write();
        }
    }

    /** @return the reservation of an SA, or 0 (tests). */
    long reservation(final SecurityAssociation sa)
    {
        final Long mark = reserved.get(key(sa));
        return mark == null ? 0 : mark;
    }

    private void write()
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
            lastError = null;
        }
        catch (final IOException ex)
        {
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
