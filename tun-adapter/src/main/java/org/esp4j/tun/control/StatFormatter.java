package org.esp4j.tun.control;

import org.agrona.concurrent.status.CountersReader;
import org.esp4j.core.counters.SaCounter;
import org.esp4j.core.counters.SaCounters;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.xfrm.SaStatsView;
import org.esp4j.core.xfrm.XfrmFormatter;
import org.esp4j.tun.daemon.DaemonCounters;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text of {@code esp4j stat}: every counter in {@code /proc/net/xfrm_stat} form (name padded to 24, a tab, the
 * value), the {@code Xfrm*} and ESP processor ({@code Esp4j*}) ones first, by the id in the counter's key, and then
 * the daemon's own ({@code Tun*}, {@code Esp4jTun*}, {@code Esp4jCarrierIoError}: TUN, carriers, ring, offloads,
 * filter, SIP bridge) by label, and, with {@code --sa}, each SA as {@code ip -s xfrm state} prints it (keys hidden), from either
 * the live SAD (through the daemon) or a counters file (daemon stopped or not answering). Both give the same
 * counters.
 * <p>
 * One difference from {@code ip -s xfrm state}: esp4j counts replayed packets, packets left of the replay window and
 * sequence number 0 in one per-SA counter, where Linux has {@code replay} and {@code replay-window}. So the stats line
 * says {@value #REPLAY_LABEL} N, and {@link #REPLAY_NOTE} heads the per-SA part. The window's size is the
 * {@code replay-window} of the SA's header line (live SAs).
 */
public final class StatFormatter
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** The per-SA stats word for what Linux splits into {@code replay-window} and {@code replay}. */
    static final String REPLAY_LABEL = "replay-window+replay";
    /** The line in front of the per-SA part. */
    static final String REPLAY_NOTE = "# per SA as ip -s xfrm state, except: " + REPLAY_LABEL + " counts replayed, " +
        "too old (left of the window) and sequence-number-0 packets together\n";

    private StatFormatter()
    {
    }

    /**
     * @param counters the live counters (with the daemon's own in the same counters manager).
     * @return the {@code /proc/net/xfrm_stat} lines, then the daemon's counters in the same form.
     */
    static String global(final XfrmCounters counters)
    {
        return fromReader(counters.countersManager(), false);
    }

    /**
     * @param sa an SA.
     * @return its counters as {@code ip -s xfrm state} shows them.
     */
    static SaStatsView statsOf(final SecurityAssociation sa)
    {
        final SaCounters counters = sa.counters();
        // esp4j counts replays and out-of-window packets together (SaCounter.REPLAY_DROPS): see REPLAY_LABEL.
        return new SaStatsView(
            counters.bytes(),
            counters.packets(),
            0,
            counters.replayDrops(),
            counters.integrityFailures(),
            sa.addTimeEpochNs() / NANOS_PER_SECOND,
            counters.firstUseEpochNs() / NANOS_PER_SECOND);
    }

    /**
     * @param sas the SAs.
     * @return each SA in the {@code ip -s xfrm state} form, keys hidden.
     */
    static String perSa(final List<SecurityAssociation> sas)
    {
        final StringBuilder sb = new StringBuilder(512 * sas.size() + 128).append(REPLAY_NOTE);
        for (final SecurityAssociation sa : sas)
        {
            final SaStatsView stats = statsOf(sa);
            final String ipForm = "\t  replay-window " + stats.replayWindowDrops() + " replay " + stats.replayDrops() +
                " failed " + stats.integrityFailures() + "\n";
            sb.append(XfrmFormatter.formatState(sa, false, stats).replace(ipForm,
                statsLine(stats.replayDrops(), stats.integrityFailures())));
        }
        return sb.toString();
    }

    /**
     * Read the counters of a counters file (another process's, possibly stopped).
     *
     * @param reader reader over the file.
     * @param perSa  true to add the per-SA counters.
     * @return the text.
     */
    public static String fromReader(final CountersReader reader, final boolean perSa)
    {
        final Map<XfrmCounter, Long> global = new EnumMap<>(XfrmCounter.class);
        final Map<String, long[]> sas = new LinkedHashMap<>();
        final Map<String, Long> daemon = new LinkedHashMap<>();
        final SaCounter[] saNames = SaCounter.values();
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == XfrmCounter.TYPE_ID)
            {
                final XfrmCounter counter = XfrmCounter.byId(keyBuffer.getInt(0));
                if (counter != null)
                {
                    global.put(counter, reader.getCounterValue(counterId));
                }
            }
            else if (typeId == DaemonCounters.TYPE_ID)
            {
                daemon.put(label, reader.getCounterValue(counterId));
            }
            else if (SaCounter.byTypeId(typeId) != null)
            {
                // Label: "sa LABEL: spi 0x... dst ADDR" (XfrmCounters.allocateSaCounters).
                final int colon = label.indexOf(": ");
                final String description = colon >= 0 ? label.substring(colon + 2) : label;
                sas.computeIfAbsent(description, k -> new long[saNames.length])[SaCounter.byTypeId(typeId).ordinal()] =
                    reader.getCounterValue(counterId);
            }
        });

        final StringBuilder sb = new StringBuilder(2048);
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            final Long value = global.get(counter);
            if (value != null)
            {
                appendCounter(sb, counter.label(), value);
            }
        }
        // the daemon's own finer counters (TUN, carriers, offloads), in the same form
        daemon.forEach((name, value) -> appendCounter(sb, name, value));
        if (perSa)
        {
            sb.append('\n').append(REPLAY_NOTE);
            for (final Map.Entry<String, long[]> entry : sas.entrySet())
            {
                final long[] values = entry.getValue();
                sb.append(entry.getKey()).append('\n');
                sb.append("\tlifetime current:\n");
                sb.append("\t  ").append(values[SaCounter.BYTES.ordinal()]).append("(bytes), ")
                    .append(values[SaCounter.PACKETS.ordinal()]).append("(packets)\n");
                sb.append("\tstats:\n");
                sb.append(statsLine(values[SaCounter.REPLAY_DROPS.ordinal()],
                    values[SaCounter.INTEGRITY_FAILURES.ordinal()]));
            }
        }
        return sb.toString();
    }

    private static String statsLine(final long replayDrops, final long integrityFailures)
    {
        return "\t  " + REPLAY_LABEL + " " + replayDrops + " failed " + integrityFailures + "\n";
    }

    private static void appendCounter(final StringBuilder sb, final String name, final long value)
    {
        // /proc/net/xfrm_stat: seq_printf("%-24s\t%lu\n").
        sb.append(name);
        for (int i = name.length(); i < 24; i++)
        {
            sb.append(' ');
        }
        sb.append('\t').append(value).append('\n');
    }
}
