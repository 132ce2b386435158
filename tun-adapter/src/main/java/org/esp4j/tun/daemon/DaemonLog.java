package org.esp4j.tun.daemon;

import org.esp4j.core.redact.Redaction;
import org.esp4j.tun.log.LogLevel;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The daemon's default log: each line as {@code <instant> esp4j[<tun>] <text>} on standard error, {@link
 * Redaction#redact redacted}, in one {@code write(2)}.
 * <p>
 * Why not {@code System.err.println}: the command line's {@code System.err} is a redacting {@code PrintStream}, so a
 * line was encoded to UTF-8, scanned byte by byte for its end, copied, decoded, redacted, encoded again and written,
 * on the thread that logs, which for the SIP bridge's events (about a dozen lines per registration) is the outbound
 * packet thread. Here a line is redacted as a {@code String} and encoded once; the same rule hides the same words.
 * Lines from several threads never interleave (one write each, under this object's lock).
 * <p>
 * Lines above the {@code log.level} are dropped before anything is built or redacted (see {@link LogLevel}); a line
 * logged through {@link #accept} is a {@link LogLevel#WARN} line.
 */
final class DaemonLog implements LogLevel.Log
{
    private final String prefix;
    private final OutputStream out;
    private final LogLevel level;

    /**
     * @param tunName the daemon's TUN, named on every line.
     * @param level   the most detailed level written.
     */
    DaemonLog(final String tunName, final LogLevel level)
    {
        this(tunName, new FileOutputStream(FileDescriptor.err), level);
    }

    /**
     * @param tunName the daemon's TUN, named on every line.
     * @param out     where the lines go (unbuffered: each line is written when logged).
     * @param level   the most detailed level written.
     */
    DaemonLog(final String tunName, final OutputStream out, final LogLevel level)
    {
        this.prefix = " esp4j[" + tunName + "] ";
        this.out = out;
        this.level = level;
    }

    public boolean enabled(final LogLevel level)
    {
        return this.level.logs(level);
    }

    public void log(final LogLevel level, final String text)
    {
        if (!this.level.logs(level))
        {
            return;
        }
        final byte[] line = (Redaction.redact(Instant.now() + prefix + text) + '\n').getBytes(StandardCharsets.UTF_8);
        synchronized (this)
        {
            try
            {
                out.write(line);
            }
            catch (final IOException ignore)
            {
                // standard error is gone (closed by the parent): there is nowhere left to say so
            }
        }
    }
}
