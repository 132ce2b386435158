package org.esp4j.tun.sip;

import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.tun.log.LogLevel;

/**
 * The SIP bridge's periodic summary line ({@code log.summary.s}): at {@code log.level=warn} nothing is logged per
 * registration, so without it a load test of thousands of UEs sees nothing of the bridge's work until something
 * fails. At most one line per period, and none for a period in which nothing happened; it counts what happened since
 * the last line (registrations, de-registrations, SAs installed and removed, failures by kind, messages and partial
 * TCP messages dropped) and says how many SAs are installed now. It is a {@link LogLevel#WARN} line, so it is seen
 * at every level but error. Its size is bounded: a fixed set of figures, failures named by their event type.
 * <p>
 * Not thread-safe: driven by the holder of the {@link DaemonSipBridge}'s lock.
 */
final class SipSummary
{
    private static final LifecycleEvent.Type[] TYPES = LifecycleEvent.Type.values();

    private final long periodNs;
    private final long[] events = new long[TYPES.length];
    private long lastLineNs;
    private long lastHeldDropped;
    private long lastTcpDropped;
    private long lastErrors;

    /**
     * @param periodNs the most often a line is written; more than 0.
     * @param nowNs    now: the first period starts here.
     */
    SipSummary(final long periodNs, final long nowNs)
    {
        if (periodNs <= 0)
        {
            throw new IllegalArgumentException("summary period must be positive: " + periodNs);
        }
        this.periodNs = periodNs;
        this.lastLineNs = nowNs;
    }

    /** @param type an event the bridge reported. */
    void onEvent(final LifecycleEvent.Type type)
    {
        events[type.ordinal()]++;
    }

    /**
     * @param nowNs       now.
     * @param heldDropped held messages dropped so far, not sent in clear: hold area full or changes not in force
     *                    (running total).
     * @param tcpDropped  partial TCP messages the SIP watch dropped so far (running total).
     * @param errors      messages the bridge could not handle so far (running total).
     * @param liveSas     SAs installed now.
     * @return the line (without the {@code sip-bridge: } prefix) when a period has passed since the last one and
     * something happened since; else null, and nothing is reset.
     */
    String line(final long nowNs, final long heldDropped, final long tcpDropped, final long errors, final int liveSas)
    {
        if (nowNs - lastLineNs < periodNs)
        {
            return null;
        }
        boolean changed = heldDropped != lastHeldDropped || tcpDropped != lastTcpDropped || errors != lastErrors;
        for (final long count : events)
        {
            changed |= count != 0;
        }
        if (!changed)
        {
            return null;
        }
        final StringBuilder sb = new StringBuilder(256).append("summary of the last ")
            .append((nowNs - lastLineNs) / 1_000_000_000L).append(" s: ")
            .append(count(LifecycleEvent.Type.SET_ESTABLISHED)).append(" registrations (sets established), ")
            .append(count(LifecycleEvent.Type.DEREGISTERED)).append(" de-registrations, ")
            .append(count(LifecycleEvent.Type.SA_INSTALLED)).append(" SAs installed, ")
            .append(count(LifecycleEvent.Type.SA_REMOVED)).append(" removed; ");
        long failures = errors - lastErrors;
        for (final LifecycleEvent.Type type : TYPES)
        {
            failures += SipEventLine.level(type) == LogLevel.WARN ? count(type) : 0;
        }
        sb.append(failures).append(" failures");
        String separator = " (";
        for (final LifecycleEvent.Type type : TYPES)
        {
            if (SipEventLine.level(type) == LogLevel.WARN && count(type) > 0)
            {
                sb.append(separator).append(type).append(' ').append(count(type));
                separator = ", ";
            }
        }
        if (errors != lastErrors)
        {
            sb.append(separator).append("unhandled ").append(errors - lastErrors);
            separator = ", ";
        }
        sb.append(separator.equals(", ") ? ")" : "")
            .append("; dropped: ").append(heldDropped - lastHeldDropped)
            .append(" held messages (TunSipHoldFull, TunSipHoldNotInForce), ")
            .append(tcpDropped - lastTcpDropped).append(" partial TCP messages; ")
            .append(liveSas).append(" SAs now");
        java.util.Arrays.fill(events, 0);
        lastHeldDropped = heldDropped;
        lastTcpDropped = tcpDropped;
        lastErrors = errors;
        lastLineNs = nowNs;
        return sb.toString();
    }

    private long count(final LifecycleEvent.Type type)
    {
        return events[type.ordinal()];
    }
}
