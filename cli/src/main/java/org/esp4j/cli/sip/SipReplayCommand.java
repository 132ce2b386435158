package org.esp4j.cli.sip;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.Milenage;
import org.esp4j.sip.aka.SubscriberKeys;
import org.esp4j.sip.aka.TestUsimAlgorithm;
import org.esp4j.sip.lifecycle.InMemorySaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.LifecycleListener;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.trace.SipTraceReader;
import org.esp4j.sip.trace.TraceEntry;
import org.esp4j.sip.trace.TraceFormatException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code esp4j sip replay TRACE [--role ue|pcscf] [--subscriber FILE | --k K (--op OP | --opc OPC)]
 * [--algorithm milenage|test-usim] [--keys]}: runs a SIP trace through the SA lifecycle and prints a ladder of the
 * exchange (which SA protects each message) and the resulting SA table. With K and OP/OPc it also derives the keys
 * and checks the digest responses. The keys come from a key file ({@code --subscriber}, see {@link SubscriberKeys}),
 * the options (which warn: every local user can read them) or the environment ({@code ESP4J_K},
 * {@code ESP4J_OPC}/{@code ESP4J_OP}).
 */
public final class SipReplayCommand
{
    /** The start of every error line: one convention for every esp4j command. */
    public static final String PREFIX = "esp4j sip replay: ";
    public static final String USAGE =
        "usage: esp4j sip replay TRACE [--role ue|pcscf] [--subscriber FILE | --k K (--op OP | --opc OPC)] " +
        "[--algorithm milenage|test-usim] [--keys]";

    private SipReplayCommand()
    {
    }

    /**
     * @param args arguments after {@code sip replay}.
     * @param out  standard output.
     * @param err  standard error.
     * @return 0 on success, 2 for bad usage or input (one error line on {@code err}).
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        return run(args, out, err, System.getenv());
    }

    /** As {@link #run(String[], PrintStream, PrintStream)}, with keys from {@code env} if not given otherwise. */
    static int run(final String[] args, final PrintStream out, final PrintStream err, final Map<String, String> env)
    {
        final Options options;
        try
        {
            options = Options.parse(args, env);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println(PREFIX + ex.getMessage() + " (" + USAGE + ")");
            return 2;
        }
        if (options.help)
        {
            out.println(USAGE);
            return 0;
        }
        if (options.keysOnCommandLine)
        {
            err.println(PREFIX + "warning: --k/--op/--opc are visible to every local user (ps, /proc/PID/cmdline); " +
                "use --subscriber FILE (mode 0600) or ESP4J_K/ESP4J_OPC in the environment");
        }

        final List<TraceEntry> entries;
        try
        {
            entries = SipTraceReader.read(Path.of(options.trace));
        }
        catch (final NoSuchFileException ex)
        {
            err.println(PREFIX + "TRACE: no such file '" + options.trace + "'");
            return 2;
        }
        catch (final IOException ex)
        {
            err.println(PREFIX + "TRACE: cannot read '" + options.trace + "': " + ex.getMessage());
            return 2;
        }
        catch (final TraceFormatException ex)
        {
            err.println(PREFIX + ex.getMessage());
            return 2;
        }

        final InMemorySaSink sink = new InMemorySaSink();
        final LifecycleConfig config = LifecycleConfig.builder(options.role)
            .nanoClock(() -> 0L)
            .akaAlgorithm(options.akaAlgorithm)
            .installOnAkaFailure(true)
            .build();
        final SipBridge bridge = new SipBridge(config, sink, LifecycleListener.NONE);

        final LadderPrinter ladder = new LadderPrinter(entries);
        final List<String> notes = new ArrayList<>();
        out.println("Replay of " + Path.of(options.trace).getFileName() + " as " + options.role.cliName() +
            " (" + entries.size() + " messages)");
        out.println();
        out.println("Ladder (" + ladder.legend() + "):");
        for (final TraceEntry entry : entries)
        {
            final Optional<SaSpec> protecting = bridge.protectingSa(entry.src(), entry.srcPort(), entry.dst(), entry.dstPort());
            final List<LifecycleEvent> events = bridge.onMessage(
                entry.message(), entry.src(), entry.srcPort(), entry.dst(), entry.dstPort());
            out.println(ladder.line(entry, protecting.orElse(null)));
            for (final String warning : entry.warnings())
            {
                notes.add("#" + entry.index() + " " + entry.message().summary() + ": " + warning);
            }
            for (final LifecycleEvent event : events)
            {
                final String note = note(event);
                if (note != null)
                {
                    notes.add("#" + entry.index() + " " + entry.message().summary() + ": " + note);
                }
            }
        }
        if (options.akaAlgorithm == null)
        {
            notes.add("digest responses not checked: no subscriber keys (--subscriber FILE, ESP4J_K or --k) given");
        }
        out.println();
        out.println("Notes:");
        for (final String note : notes)
        {
            out.println("  " + note);
        }
        out.println();
        new SaTablePrinter(options.keys).print(out, sink.installed(), options.role);
        return 0;
    }

    private static String note(final LifecycleEvent event)
    {
        switch (event.type())
        {
            case TEMPORARY_SET_CREATED:
                return "temporary SA set created, " + event.detail();
            case SET_ESTABLISHED:
                return "SA set established, " + event.detail();
            case LIFETIME_EXTENDED:
            case SET_MARKED_OLD:
            case SET_DELETED:
            case DEREGISTERED:
            case MECHANISM_CHOSEN:
            case WARNING:
            case PARSE_ERROR:
            case AKA_MAC_FAILURE:
            case AKA_SYNC_FAILURE:
            case AKA_SUCCESS:
                return event.type().name().toLowerCase().replace('_', ' ') + ": " + event.detail();
            case DIGEST_VERIFIED:
                return "digest check OK: " + event.detail();
            case DIGEST_MISMATCH:
                return "digest check MISMATCH: " + event.detail();
            case REQUEST_REJECTED:
                return "request rejected with " + event.statusCode() + ": " + event.detail();
            default:
                return null;
        }
    }

    private static final class Options
    {
        String trace;
        Role role = Role.PCSCF;
        AkaAlgorithm akaAlgorithm;
        boolean keys;
        boolean help;
        boolean keysOnCommandLine;

        static Options parse(final String[] args, final Map<String, String> env)
        {
            String subscriber = null;
            final Options options = new Options();
            String k = null;
            String op = null;
            String opc = null;
            String algorithm = "milenage";
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                switch (arg)
                {
                    case "--role":
                        options.role = Role.parse(value(args, ++i, arg));
                        break;
                    case "--k":
                        k = value(args, ++i, arg);
                        break;
                    case "--op":
                        op = value(args, ++i, arg);
                        break;
                    case "--opc":
                        opc = value(args, ++i, arg);
                        break;
                    case "--subscriber":
                        subscriber = value(args, ++i, arg);
                        break;
                    case "--algorithm":
                        algorithm = value(args, ++i, arg);
                        break;
                    case "--keys":
                        options.keys = true;
                        break;
                    case "-h":
                    case "--help":
                        options.help = true;
                        break;
                    default:
                        if (arg.startsWith("-"))
                        {
                            throw new IllegalArgumentException("unknown option '" + arg + "'");
                        }
                        if (options.trace != null)
                        {
                            throw new IllegalArgumentException("one TRACE expected, got '" + options.trace + "' and '" + arg + "'");
                        }
                        options.trace = arg;
                        break;
                }
            }
            if (options.help)
            {
                return options;
            }
            if (options.trace == null)
            {
                throw new IllegalArgumentException("TRACE: missing trace file");
            }
            options.keysOnCommandLine = k != null || op != null || opc != null;
            if (subscriber != null)
            {
                if (options.keysOnCommandLine)
                {
                    throw new IllegalArgumentException("--subscriber: give the keys in the file or as options, " +
                        "not both");
                }
                options.akaAlgorithm = subscriberKeys(subscriber).akaAlgorithm(algorithm);
            }
            else if (!options.keysOnCommandLine && SubscriberKeys.fromEnvironment(env) != null)
            {
                options.akaAlgorithm = SubscriberKeys.fromEnvironment(env).akaAlgorithm(algorithm);
            }
            else
            {
                options.akaAlgorithm = akaAlgorithm(k, op, opc, algorithm);
            }
            return options;
        }

        private static SubscriberKeys subscriberKeys(final String file)
        {
            try
            {
                return SubscriberKeys.readFile(Path.of(file));
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException("--subscriber: " + ex.getMessage());
            }
        }

        private static AkaAlgorithm akaAlgorithm(final String k, final String op, final String opc, final String algorithm)
        {
            if (!algorithm.equals("milenage") && !algorithm.equals("test-usim"))
            {
                throw new IllegalArgumentException("--algorithm: expected milenage or test-usim, got '" + algorithm + "'");
            }
            if (k == null)
            {
                if (op != null || opc != null)
                {
                    throw new IllegalArgumentException((op != null ? "--op" : "--opc") + ": needs --k");
                }
                return null;
            }
            final byte[] key = Hex.decode("--k", k, 16);
            if (algorithm.equals("test-usim"))
            {
                if (op != null || opc != null)
                {
                    throw new IllegalArgumentException("--algorithm test-usim: takes no --op/--opc");
                }
                return new TestUsimAlgorithm(key);
            }
            if (op != null && opc != null)
            {
                throw new IllegalArgumentException("--op, --opc: give one of them, not both");
            }
            if (op == null && opc == null)
            {
                throw new IllegalArgumentException("--k: needs --op or --opc for Milenage");
            }
            return op != null ? Milenage.withOp(key, Hex.decode("--op", op, 16)) : Milenage.withOpc(key, Hex.decode("--opc", opc, 16));
        }

        private static String value(final String[] args, final int index, final String option)
        {
            if (index >= args.length || args[index].startsWith("--"))
            {
                throw new IllegalArgumentException(option + ": missing value");
            }
            return args[index];
        }
    }
}
