package org.esp4j.tun.daemon;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link EspDaemon} in this process (and so in this process's network namespace):
 * {@code java ... org.esp4j.tun.daemon.DaemonMain --config FILE}. Prints {@link #READY} and the TUN name on standard
 * output once the data path runs; SIGTERM/SIGINT stop it cleanly (rules, routes and TUN removed). Exit code 0 after
 * a clean stop, 1 if it could not start, 2 for a usage error.
 */
public final class DaemonMain
{
    /** First word of the line printed when the daemon runs. */
    public static final String READY = "ESP4J-READY";

    private DaemonMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        Path configFile = null;
        for (int i = 0; i < args.length; i++)
        {
            if (("--config".equals(args[i]) || "-c".equals(args[i])) && i + 1 < args.length)
            {
                configFile = Path.of(args[++i]);
            }
            else
            {
                System.err.println("usage: DaemonMain --config FILE");
                System.exit(2);
            }
        }
        final DaemonConfig config;
        try
        {
            config = configFile == null ? DaemonConfig.builder().build() : DaemonConfig.parse(configFile);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("esp4j: bad config: " + ex.getMessage());
            System.exit(2);
            return;
        }
        final EspDaemon daemon = new EspDaemon(config);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "esp4j-shutdown-hook"));
        try
        {
            daemon.start();
        }
        catch (final Exception ex)
        {
            System.err.println("esp4j: cannot start: " + ex.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(READY + " " + daemon.tunName() + " mtu " + daemon.tunMtu());
        System.out.flush();
        while (!daemon.awaitClose(1, TimeUnit.HOURS))
        {
            // until closed by a signal or a control command
        }
    }
}
