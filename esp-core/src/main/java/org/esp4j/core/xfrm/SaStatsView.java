package org.esp4j.core.xfrm;

/**
 * The counters {@code ip -s xfrm state} prints for one SA ({@code struct xfrm_lifetime_cur} and
 * {@code struct xfrm_stats}), for {@link XfrmFormatter}.
 *
 * @param bytes              bytes processed.
 * @param packets            packets processed.
 * @param replayWindowDrops  packets dropped as left of the replay window ({@code stats: replay-window}).
 * @param replayDrops        packets dropped as replays inside the window ({@code stats: replay}).
 * @param integrityFailures  packets dropped on a bad ICV ({@code stats: failed}).
 * @param addTimeEpochSec    when the SA was added, seconds since the epoch.
 * @param useTimeEpochSec    when the SA was first used, seconds since the epoch, 0 if never ({@code -}).
 */
public record SaStatsView(
    long bytes,
    long packets,
    long replayWindowDrops,
    long replayDrops,
    long integrityFailures,
    long addTimeEpochSec,
    long useTimeEpochSec)
{
}
