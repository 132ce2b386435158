package org.esp4j.cli.run;

import org.esp4j.tun.daemon.DaemonConfig;
import org.esp4j.tun.daemon.DaemonSetting;
import org.esp4j.tun.daemon.EspDaemon;
import org.esp4j.core.redact.Redaction;
import org.esp4j.tun.daemon.SipBridgeSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code esp4j run}: runs one {@link EspDaemon} in this process (and so in this process's network namespace).
 * Prints {@link #READY} and the TUN name on standard output once the data path runs.
 * <p>
 * SIGTERM and SIGINT stop it cleanly (rules, routes, nftables tables and the TUN removed) and the process then exits
 * with status {@value #EXIT_OK}, as a systemd unit's {@code ExecStart} is expected to after {@code systemctl stop};
 * a signal that arrives while the daemon is still starting leaves the JVM's default (shutdown hook, status 143).
 * Exit status {@value #EXIT_CANNOT_START} if it could not start (no privilege, no TUN, a refused setting),
 * {@value #EXIT_USAGE} for a usage error or a bad config file. {@code --help} prints the synopsis on standard output
 * with status 0. Errors are one line, {@code esp4j run: ...}.
 */
public final class RunCommand
{
    /** First word of the line printed when the daemon runs. */
    public static final String READY = "ESP4J-READY";
    public static final int EXIT_OK = 0;
    public static final int EXIT_CANNOT_START = 1;
    public static final int EXIT_USAGE = 2;

    static final String PREFIX = "esp4j run: ";
    static final String USAGE = "usage: esp4j run [--config FILE] [--tun NAME] [--carrier raw|udp|both] " +
        "[--steer PREFIX[,PREFIX]] [--socket PATH] [--log-level error|warn|info|debug] " +
        "[--sip-bridge ue|pcscf [--subscriber FILE | --k K " +
        "(--op OP | --opc OPC)] [--aka milenage|test-usim]]";

    /** Printed once when keys are given as options, which every local user can read. */
    static final String KEYS_ON_COMMAND_LINE_WARNING = PREFIX + "warning: --k/--op/--opc are visible to every " +
        "local user (ps, /proc/PID/cmdline); use --subscriber FILE (mode 0600) or ESP4J_K/ESP4J_OPC in the environment";
    /** CAP_NET_ADMIN's bit in {@code CapEff} (linux/capability.h). */
    private static final int CAP_NET_ADMIN = 12;

    /** Command-line options and the config keys they set (the command line wins over the file). */
    private static final Map<String, String> OPTION_KEYS = Map.ofEntries(
        Map.entry("--tun", "tun.name"),
        Map.entry("--carrier", "carrier"),
        Map.entry("--steer", "steer"),
        Map.entry("--socket", "control.socket"),
        Map.entry("--sip-bridge", SipBridgeSettings.ROLE),
        Map.entry("--subscriber", SipBridgeSettings.KEYFILE),
        Map.entry("--k", SipBridgeSettings.K),
        Map.entry("--op", SipBridgeSettings.OP),
        Map.entry("--opc", SipBridgeSettings.OPC),
        Map.entry("--aka", SipBridgeSettings.ALGORITHM),
        Map.entry("--log-level", "log.level"));

    private RunCommand()
    {
    }

    /**
     * Parse the command line, start the daemon and run it until it is stopped.
     *
     * @param args the words after {@code run}.
     * @param out  standard output (the {@link #READY} line, {@code --help}).
     * @param err  standard error.
     * @return the exit status.
     * @throws InterruptedException if interrupted while running.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
        throws InterruptedException
    {
        Path configFile = null;
        final Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++)
        {
            final String option = args[i];
            final String key = OPTION_KEYS.get(option);
            if ("-h".equals(option) || "--help".equals(option))
            {
                out.println(USAGE);
                out.print(DaemonSetting.helpText());
                return EXIT_OK;
            }
            if (!"--config".equals(option) && !"-c".equals(option) && key == null)
            {
                return usage(err, "unknown option '" + option + "'");
            }
            if (i + 1 >= args.length)
            {
                return usage(err, option + " needs a value");
            }
            if (key == null)
            {
                configFile = Path.of(args[++i]);
            }
            else
            {
                final String value = args[++i];
                // a file named on the command line is relative to the working directory, not to the config's
                overrides.put(key, SipBridgeSettings.KEYFILE.equals(key) ? Path.of(value).toAbsolutePath().toString() :
                    value);
            }
        }
        if (overrides.containsKey(SipBridgeSettings.K) || overrides.containsKey(SipBridgeSettings.OP) ||
            overrides.containsKey(SipBridgeSettings.OPC))
        {
            err.println(KEYS_ON_COMMAND_LINE_WARNING);
        }
        final DaemonConfig config;
        try
        {
            final DaemonConfig.Builder builder = configFile == null ? DaemonConfig.builder() :
                DaemonConfig.parse(configFile).toBuilder();
            overrides.forEach(builder::set);
            config = builder.build();
            config.sipBridge(); // the subscriber's keys: checked now, before touching the network
        }
        catch (final NoSuchFileException ex)
        {
            err.println(PREFIX + configFile + ": no such file");
            return EXIT_USAGE;
        }
        catch (final IOException ex)
        {
            err.println(PREFIX + configFile + ": cannot read: " + ex.getMessage());
            return EXIT_USAGE;
        }
        catch (final RuntimeException ex)
        {
            err.println(PREFIX + "bad config: " + Redaction.redact(ex.getMessage()));
            return EXIT_USAGE;
        }
        if (!hasNetAdmin(procSelfStatus()))
        {
            err.println(PREFIX + NEEDS_NET_ADMIN);
            return EXIT_CANNOT_START;
        }

        final EspDaemon daemon = new EspDaemon(config);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "esp4j-shutdown-hook"));
        try
        {
            daemon.start();
        }
        catch (final Exception ex)
        {
            daemon.close();
            final String message = Redaction.redact(String.valueOf(ex.getMessage()));
            err.println(PREFIX + "cannot start: " + message + (isPermissionProblem(message) ? "; " + NEEDS_NET_ADMIN : ""));
            return EXIT_CANNOT_START;
        }
        // A clean stop on SIGTERM/SIGINT: close (the shutdown hook then finds nothing to do) and return 0, where the
        // JVM's own handler would exit with 128 + the signal's number. sun.misc.Signal (module jdk.unsupported, kept
        // by JEP 260 for this use; javac warns) is the JDK's only way to handle a signal.
        for (final String signal : new String[]{ "TERM", "INT" })
        {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> daemon.close());
        }
        out.println(READY + " " + daemon.tunName() + " mtu " + daemon.tunMtu());
        out.flush();
        while (!daemon.awaitClose(1, TimeUnit.HOURS))
        {
            // until closed by a signal or a control command
        }
        return EXIT_OK;
    }

    static final String NEEDS_NET_ADMIN = "needs CAP_NET_ADMIN to open a TUN device and set routes and nftables: " +
        "run it as root (sudo ./esp4j run ...) or give java that capability";

    /**
     * @param procStatus the text of {@code /proc/self/status}, or null if it could not be read.
     * @return false only when its {@code CapEff} line lacks CAP_NET_ADMIN (unknown: true, the start then tells).
     */
    static boolean hasNetAdmin(final String procStatus)
    {
        if (procStatus == null)
        {
            return true;
        }
        for (final String line : procStatus.split("\n"))
        {
            if (line.startsWith("CapEff:"))
            {
                try
                {
                    return (Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16) &
                        (1L << CAP_NET_ADMIN)) != 0;
                }
                catch (final NumberFormatException ex)
                {
                    return true;
                }
            }
        }
        return true;
    }

    private static String procSelfStatus()
    {
        try
        {
            return Files.readString(Path.of("/proc/self/status"), StandardCharsets.US_ASCII);
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    private static boolean isPermissionProblem(final String message)
    {
        return message.contains("Permission denied") || message.contains("Operation not permitted");
    }

    private static int usage(final PrintStream err, final String problem)
    {
        err.println(PREFIX + problem);
        err.println(USAGE);
        return EXIT_USAGE;
    }
}
