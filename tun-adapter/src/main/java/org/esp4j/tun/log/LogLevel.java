package org.esp4j.tun.log;

import java.util.function.Consumer;

/**
 * How much the daemon logs ({@code log.level}), from least to most. A line is written when its level is at or below
 * the daemon's: at {@link #WARN} a load test of thousands of UEs sees errors, warnings and the daemon's lifecycle;
 * at {@link #INFO} (the default) a lab user also sees one line per SIP event and SA change.
 * <p>
 * Call sites keep logging to a plain {@code Consumer<String>} (tests hand in a list's {@code add}): a line logged
 * with {@code accept} is a {@link #WARN} line, so nothing an operator must see is hidden by a quieter level; lines
 * that repeat per registration or per packet go through {@link #log(Consumer, LogLevel, String)}, and call sites that
 * would build a costly line first ask {@link #enabled(Consumer, LogLevel)}.
 */
public enum LogLevel
{
    /** Failures: the daemon or one of its agents cannot go on as configured. */
    ERROR,
    /** Warnings and the daemon's lifecycle (start, settings in force, stop): never a line per registration. */
    WARN,
    /** Also one short line per SIP event and SA change of the SIP bridge, and per change of the nftables filters. */
    INFO,
    /** Each SIP event in full, and a line per packet the SIP bridge drops on a flow whose SAs are being removed. */
    DEBUG;

    /**
     * A log that filters by level; {@code accept} logs at {@link #WARN}.
     */
    public interface Log extends Consumer<String>
    {
        /**
         * @param level the line's level.
         * @param text  the line, without its line feed.
         */
        void log(LogLevel level, String text);

        /**
         * @param level a line's level.
         * @return whether a line of this level is written.
         */
        boolean enabled(LogLevel level);

        default void accept(final String text)
        {
            log(WARN, text);
        }
    }

    /**
     * @param line a line's level.
     * @return whether a daemon at this level writes a line of that level.
     */
    public boolean logs(final LogLevel line)
    {
        return line.ordinal() <= ordinal();
    }

    /**
     * @param log   any log: a {@link Log} filters by level, any other consumer takes every line.
     * @param level the line's level.
     * @param text  the line.
     */
    public static void log(final Consumer<String> log, final LogLevel level, final String text)
    {
        if (log instanceof Log)
        {
            ((Log)log).log(level, text);
        }
        else
        {
            log.accept(text);
        }
    }

    /**
     * @param log   any log.
     * @param level a line's level.
     * @return whether that log writes a line of this level (always, for a plain consumer).
     */
    public static boolean enabled(final Consumer<String> log, final LogLevel level)
    {
        return !(log instanceof Log) || ((Log)log).enabled(level);
    }
}
