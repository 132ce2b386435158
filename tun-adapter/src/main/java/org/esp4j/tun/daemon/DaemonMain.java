package org.esp4j.tun.daemon;

import org.esp4j.core.redact.Redaction;

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

    static final String USAGE = "usage: esp4j run [--config FILE] [--tun NAME] [--carrier raw|udp|both] " +
        "[--steer PREFIX[,PREFIX]] [--socket PATH] [--sip-bridge ue|pcscf [--subscriber FILE | --k K " +
        "(--op OP | --opc OPC)] [--aka milenage|test-usim]]";

    /** Printed once when keys are given as options, which every local user can read. */
    static final String KEYS_ON_COMMAND_LINE_WARNING = "esp4j: warning: --k/--op/--opc are visible to every local " +
        "user (ps, /proc/PID/cmdline); use --subscriber FILE (mode 0600) or ESP4J_K/ESP4J_OPC in the environment";

    /** Command-line options and the config keys they set (the command line wins over the file). */
    private static final java.util.Map<String, String> OPTION_KEYS = java.util.Map.of(
        "--tun", "tun.name",
        "--carrier", "carrier",
        "--steer", "steer",
        "--socket", "control.socket",
        "--sip-bridge", org.esp4j.tun.sip.SipBridgeSettings.ROLE,
        "--subscriber", org.esp4j.tun.sip.SipBridgeSettings.KEYFILE,
        "--k", org.esp4j.tun.sip.SipBridgeSettings.K,
        "--op", org.esp4j.tun.sip.SipBridgeSettings.OP,
        "--opc", org.esp4j.tun.sip.SipBridgeSettings.OPC,
        "--aka", org.esp4j.tun.sip.SipBridgeSettings.ALGORITHM);

    private DaemonMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        // the daemon's log: never a key, whatever it quotes (wrapping twice, through Esp4jMain, changes nothing)
        System.setErr(Redaction.redacting(System.err));
        Path configFile = null;
        final java.util.Map<String, String> overrides = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++)
        {
            final String option = args[i];
            final String key = OPTION_KEYS.get(option);
            if (("--config".equals(option) || "-c".equals(option)) && i + 1 < args.length)
            {
                configFile = Path.of(args[++i]);
            }
            else if (key != null && i + 1 < args.length)
            {
                final String value = args[++i];
                // a file named on the command line is relative to the working directory, not to the config's
                overrides.put(key, org.esp4j.tun.sip.SipBridgeSettings.KEYFILE.equals(key) ?
                    Path.of(value).toAbsolutePath().toString() : value);
            }
            else
            {
                System.err.println(USAGE);
                System.exit(2);
            }
        }
        if (overrides.containsKey(org.esp4j.tun.sip.SipBridgeSettings.K) ||
            overrides.containsKey(org.esp4j.tun.sip.SipBridgeSettings.OP) ||
            overrides.containsKey(org.esp4j.tun.sip.SipBridgeSettings.OPC))
        {
            System.err.println(KEYS_ON_COMMAND_LINE_WARNING);
        }
        final DaemonConfig config;
        try
        {
            final DaemonConfig.Builder builder = configFile == null ? DaemonConfig.builder() :
                DaemonConfig.parse(configFile).toBuilder();
            overrides.forEach(builder::set);
            config = builder.build();
            if (!config.get(org.esp4j.tun.sip.SipBridgeSettings.ROLE, "").isEmpty())
            {
                org.esp4j.tun.sip.SipBridgeSettings.from(config); // check now, before touching the network
            }
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            System.err.println("esp4j: bad config: " + Redaction.redact(ex.getMessage()));
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
            System.err.println("esp4j: cannot start: " + Redaction.redact(ex.getMessage()));
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
