package org.esp4j.cli.control;

import org.esp4j.tun.control.ControlCommands;
import org.esp4j.tun.control.ControlProtocol;
import org.esp4j.tun.control.StatFormatter;
import org.esp4j.core.counters.CountersFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Client side of the control socket ({@link ControlProtocol}) and the {@code esp4j xfrm} / {@code esp4j stat}
 * commands built on it.
 * <p>
 * Exit status of the commands: {@value #EXIT_OK} when the daemon answered {@code ok}, {@value #EXIT_ERROR} when it
 * answered {@code error: ...} (printed on stderr), {@value #EXIT_USAGE} for a usage error or when the daemon cannot be
 * reached (the message names the socket and suggests {@code ./esp4j run}). Errors are one line,
 * {@code esp4j xfrm: ...} or {@code esp4j stat: ...}; {@code --help} goes to standard output with status 0.
 * <p>
 * The socket is {@code --socket PATH} if given, else {@code --tun NAME}'s ({@code /run/esp4j/NAME.sock}, the
 * daemon's default for {@code tun.name=NAME}), else {@code $ESP4J_SOCKET}, else the one daemon socket in
 * {@value #RUN_DIRECTORY}; with none there, or several, the command names them and the options to pick one.
 */
public final class ControlClient
{
    /** Where daemons put their control sockets by default ({@code control.socket=/run/esp4j/TUN.sock}). */
    public static final String RUN_DIRECTORY = "/run/esp4j";
    public static final String DEFAULT_SOCKET =
        RUN_DIRECTORY + "/" + org.esp4j.tun.daemon.DaemonConfig.DEFAULT_TUN_NAME + ".sock"; // the daemon's default
    public static final String SOCKET_ENVIRONMENT_VARIABLE = "ESP4J_SOCKET";
    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;

    private static final String XFRM_PREFIX = "esp4j xfrm: ";
    private static final String STAT_PREFIX = "esp4j stat: ";
    private static final String SOCKET_OPTIONS = "[ --tun NAME | --socket PATH ]";
    private static final String XFRM_USAGE =
        "Usage: esp4j xfrm " + SOCKET_OPTIONS + " { state | policy | monitor } { COMMAND | help }\n" +
        "  as ip xfrm: state { add | update | delete | get | list | deleteall | flush | count } ...,\n" +
        "  policy { add | update | delete | get | list | flush | count } ..., monitor [ all | SA | expire | acquire ]\n" +
        "  list and get hide keys unless --keys is given; -s adds the counters.\n" +
        "  The daemon: --tun NAME (socket " + RUN_DIRECTORY + "/NAME.sock), --socket PATH, $ESP4J_SOCKET, or the only\n" +
        "  socket in " + RUN_DIRECTORY + ".";
    private static final String STAT_USAGE =
        "Usage: esp4j stat [ --sa ] [ --watch [ SECONDS ] [ --count N ] ] [ --tun NAME | --socket PATH | --counters PATH ]\n" +
        "  prints every counter, /proc/net/xfrm_stat's and the daemon's own (and, with --sa, each SA as\n" +
        "  ip -s xfrm state); --counters reads the daemon's counters file directly, e.g. when it is not running.\n" +
        "  The daemon: as for esp4j xfrm (--tun, --socket, $ESP4J_SOCKET, or the only socket in " + RUN_DIRECTORY + ").";

    private final Path socketPath;

    /**
     * @param socketPath the daemon's control socket.
     */
    public ControlClient(final Path socketPath)
    {
        this.socketPath = socketPath;
    }

    /** @return the socket this client talks to. */
    public Path socketPath()
    {
        return socketPath;
    }

    /**
     * Send one request and read the response.
     *
     * @param words the command words, e.g. {@code xfrm state list}.
     * @param lines receives each output line as it arrives (a monitor's lines arrive until the connection ends).
     * @return the status line ({@code ok} or {@code error: ...}), or null if the daemon closed without one.
     * @throws IOException              if the daemon cannot be reached or the connection fails.
     * @throws IllegalArgumentException if the request cannot be sent (too long, control characters).
     */
    public String call(final List<String> words, final Consumer<String> lines) throws IOException
    {
        final byte[] request = (ControlProtocol.quote(words) + "\n").getBytes(StandardCharsets.UTF_8);
        if (request.length > ControlProtocol.MAX_REQUEST_BYTES)
        {
            throw new IllegalArgumentException("request of " + request.length + " bytes is longer than the " +
                ControlProtocol.MAX_REQUEST_BYTES + " the daemon accepts");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socketPath));
            final ByteBuffer buffer = ByteBuffer.wrap(request);
            try
            {
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
            }
            catch (final IOException ex)
            {
                // The daemon may have refused us (permission, load) and closed: its status line explains why.
            }
            finally
            {
                Arrays.fill(request, (byte)0);
            }
            final BufferedReader reader = new BufferedReader(
                new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null)
            {
                if (ControlProtocol.isStatus(line))
                {
                    return line;
                }
                lines.accept(ControlProtocol.unstuff(line));
            }
            return null;
        }
    }

    /**
     * {@code esp4j xfrm [--socket PATH] OBJECT COMMAND ...}: the words go to the daemon as typed (after the shell's
     * quote removal) and are read there as {@code ip xfrm} reads them; errors name the word at fault counting
     * {@code xfrm} as word 1. {@code xfrm monitor} prints events as they come until interrupted.
     *
     * @param argsAfterXfrm the words after {@code xfrm}, options included.
     * @param out           output.
     * @param err           errors.
     * @return the exit status.
     */
    public static int runXfrm(final String[] argsAfterXfrm, final PrintStream out, final PrintStream err)
    {
        return runXfrm(argsAfterXfrm, out, err, System.getenv());
    }

    /** {@link #runXfrm(String[], PrintStream, PrintStream)} with the environment given (tests). */
    public static int runXfrm(
        final String[] argsAfterXfrm, final PrintStream out, final PrintStream err, final Map<String, String> env)
    {
        return runXfrm(argsAfterXfrm, out, err, env, Path.of(RUN_DIRECTORY));
    }

    static int runXfrm(
        final String[] argsAfterXfrm, final PrintStream out, final PrintStream err, final Map<String, String> env,
        final Path runDirectory)
    {
        final List<String> words = new ArrayList<>();
        words.add("xfrm");
        String socketOption = null;
        String tunOption = null;
        for (int i = 0; i < argsAfterXfrm.length; i++)
        {
            final String arg = argsAfterXfrm[i];
            if ("--socket".equals(arg) || "--tun".equals(arg))
            {
                if (i + 1 >= argsAfterXfrm.length)
                {
                    return usage(err, XFRM_PREFIX, XFRM_USAGE, arg + " needs a " + ("--tun".equals(arg) ? "NAME" : "PATH"));
                }
                if ("--tun".equals(arg))
                {
                    tunOption = argsAfterXfrm[++i];
                }
                else
                {
                    socketOption = argsAfterXfrm[++i];
                }
            }
            else if (arg.startsWith("--socket="))
            {
                socketOption = arg.substring("--socket=".length());
            }
            else if (arg.startsWith("--tun="))
            {
                tunOption = arg.substring("--tun=".length());
            }
            else
            {
                words.add(arg);
            }
        }
        if (words.size() == 1 ||
            (words.size() == 2 && List.of("-h", "--help", "help").contains(words.get(1))))
        {
            if (words.size() == 2)
            {
                out.println(XFRM_USAGE);
                return EXIT_OK;
            }
            return usage(err, XFRM_PREFIX, XFRM_USAGE, null);
        }
        final boolean monitor = ControlCommands.matches(words.get(1), "monitor");
        final Path socket;
        try
        {
            socket = socketPath(socketOption, tunOption, env, runDirectory);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println(XFRM_PREFIX + ex.getMessage());
            return EXIT_USAGE;
        }
        return request(new ControlClient(socket), words, out, err, monitor, XFRM_PREFIX);
    }

    /**
     * {@code esp4j stat [--sa] [--watch [SECONDS] [--count N]] [--socket PATH | --counters PATH]}.
     *
     * @param args the words after {@code stat}.
     * @param out  output.
     * @param err  errors.
     * @return the exit status.
     */
    public static int runStat(final String[] args, final PrintStream out, final PrintStream err)
    {
        return runStat(args, out, err, System.getenv());
    }

    static int runStat(final String[] args, final PrintStream out, final PrintStream err, final Map<String, String> env)
    {
        return runStat(args, out, err, env, Path.of(RUN_DIRECTORY));
    }

    static int runStat(
        final String[] args, final PrintStream out, final PrintStream err, final Map<String, String> env,
        final Path runDirectory)
    {
        String tunOption = null;
        boolean perSa = false;
        boolean watch = false;
        double intervalSeconds = 1;
        long count = Long.MAX_VALUE;
        String socketOption = null;
        String countersOption = null;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            switch (arg)
            {
                case "--sa" -> perSa = true;
                case "--watch" ->
                {
                    watch = true;
                    if (i + 1 < args.length && isNumber(args[i + 1]))
                    {
                        intervalSeconds = Double.parseDouble(args[++i]);
                        if (!(intervalSeconds >= 0.1 && intervalSeconds <= 86_400))
                        {
                            return usage(err, STAT_PREFIX, STAT_USAGE, "--watch SECONDS must be from 0.1 to 86400");
                        }
                    }
                }
                case "--count" ->
                {
                    if (i + 1 >= args.length || !args[i + 1].matches("[1-9][0-9]{0,9}"))
                    {
                        return usage(err, STAT_PREFIX, STAT_USAGE, "--count needs a positive number");
                    }
                    count = Long.parseLong(args[++i]);
                }
                case "--socket" ->
                {
                    if (i + 1 >= args.length)
                    {
                        return usage(err, STAT_PREFIX, STAT_USAGE, "--socket needs a PATH");
                    }
                    socketOption = args[++i];
                }
                case "--tun" ->
                {
                    if (i + 1 >= args.length)
                    {
                        return usage(err, STAT_PREFIX, STAT_USAGE, "--tun needs a NAME");
                    }
                    tunOption = args[++i];
                }
                case "--counters" ->
                {
                    if (i + 1 >= args.length)
                    {
                        return usage(err, STAT_PREFIX, STAT_USAGE, "--counters needs a PATH");
                    }
                    countersOption = args[++i];
                }
                case "-h", "--help" ->
                {
                    out.println(STAT_USAGE);
                    return EXIT_OK;
                }
                default ->
                {
                    return usage(err, STAT_PREFIX, STAT_USAGE, "unknown argument '" + arg + "'");
                }
            }
        }
        if ((socketOption != null || tunOption != null) && countersOption != null)
        {
            return usage(err, STAT_PREFIX, STAT_USAGE, "give --tun/--socket or --counters, not both");
        }
        if (!watch)
        {
            count = 1;
        }

        ControlClient client = null;
        if (countersOption == null)
        {
            try
            {
                client = new ControlClient(socketPath(socketOption, tunOption, env, runDirectory));
            }
            catch (final IllegalArgumentException ex)
            {
                err.println(STAT_PREFIX + ex.getMessage() + "; without a daemon: " + COUNTERS_HINT);
                return EXIT_USAGE;
            }
        }
        final List<String> words = perSa ? List.of("stat", "--sa") : List.of("stat");
        for (long n = 0; n < count; n++)
        {
            if (n > 0)
            {
                try
                {
                    Thread.sleep((long)(intervalSeconds * 1000));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return EXIT_OK;
                }
            }
            if (watch)
            {
                out.println("esp4j stat " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) +
                    " (every " + intervalSeconds + " s)");
            }
            final int status = countersOption != null ?
                readCountersFile(Path.of(countersOption), perSa, out, err) :
                request(client, words, out, err, false, STAT_PREFIX);
            if (status == EXIT_USAGE && countersOption == null)
            {
                err.println(STAT_PREFIX + "without a daemon, read its counters file: " + COUNTERS_HINT);
            }
            if (status != EXIT_OK)
            {
                return status;
            }
            out.flush();
        }
        return EXIT_OK;
    }

    private static final String COUNTERS_HINT = "esp4j stat --counters PATH (the daemon's counters.file, by default " +
        "/dev/shm/esp4j-TUN.counters)";

    /**
     * @param socketOption the {@code --socket} value or null.
     * @param tunOption    the {@code --tun} value or null.
     * @param env          the environment.
     * @param runDirectory where daemons put their sockets by default ({@value #RUN_DIRECTORY}).
     * @return the socket to use.
     * @throws IllegalArgumentException (one line for the user) when no option chose one and the run directory has no
     *                                  socket or several.
     */
    public static Path socketPath(
        final String socketOption, final String tunOption, final Map<String, String> env, final Path runDirectory)
    {
        if (socketOption != null && !socketOption.isEmpty())
        {
            return Path.of(socketOption);
        }
        if (tunOption != null)
        {
            if (!tunOption.matches("[A-Za-z0-9_.-]{1,15}") || tunOption.startsWith("."))
            {
                throw new IllegalArgumentException("--tun '" + tunOption + "' is not an interface name (1 to 15 " +
                    "letters, digits, '_', '.', '-')");
            }
            return runDirectory.resolve(tunOption + ".sock");
        }
        final String fromEnvironment = env.get(SOCKET_ENVIRONMENT_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isEmpty())
        {
            return Path.of(fromEnvironment);
        }
        final List<String> names = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> sockets = java.nio.file.Files.newDirectoryStream(runDirectory, "*.sock"))
        {
            sockets.forEach(path -> names.add(path.getFileName().toString()));
        }
        catch (final IOException | RuntimeException ex)
        {
            // no run directory (no daemon ever ran here) or not readable: as if empty
        }
        if (names.size() == 1)
        {
            return runDirectory.resolve(names.get(0));
        }
        java.util.Collections.sort(names);
        throw new IllegalArgumentException(names.isEmpty() ?
            "no esp4j daemon socket in " + runDirectory + ": start one with ./esp4j run, or name it with " +
            "--tun NAME, --socket PATH or $" + SOCKET_ENVIRONMENT_VARIABLE :
            names.size() + " daemon sockets in " + runDirectory + " (" + String.join(", ", names) + "): pick one " +
            "with --tun NAME or --socket PATH");
    }

    private static int request(
        final ControlClient client, final List<String> words, final PrintStream out, final PrintStream err,
        final boolean flushEachLine, final String prefix)
    {
        final String status;
        try
        {
            status = client.call(words, line ->
            {
                out.println(line);
                if (flushEachLine)
                {
                    out.flush();
                }
            });
        }
        catch (final IllegalArgumentException ex)
        {
            err.println(prefix + ex.getMessage());
            return EXIT_USAGE;
        }
        catch (final IOException ex)
        {
            err.println(prefix + "cannot reach the esp4j daemon at " + client.socketPath() + ": " + reason(ex) +
                ". Is it running? Start it with ./esp4j run, or name its socket with --tun NAME, --socket PATH or $" +
                SOCKET_ENVIRONMENT_VARIABLE + ".");
            return EXIT_USAGE;
        }
        out.flush();
        if (status == null)
        {
            err.println(prefix + "the daemon at " + client.socketPath() + " closed the connection without a status");
            return EXIT_ERROR;
        }
        if (ControlProtocol.STATUS_OK.equals(status))
        {
            return EXIT_OK;
        }
        err.println(prefix + status.substring(status.startsWith(ControlProtocol.STATUS_ERROR_PREFIX) ?
            ControlProtocol.STATUS_ERROR_PREFIX.length() : "error:".length()).trim());
        return EXIT_ERROR;
    }

    private static int readCountersFile(final Path path, final boolean perSa, final PrintStream out, final PrintStream err)
    {
        if (java.nio.file.Files.isDirectory(path))
        {
            err.println(STAT_PREFIX + path + " is a directory, not a counters file (the daemon's counters.file, by " +
                "default /dev/shm/esp4j-TUN.counters)");
            return EXIT_USAGE;
        }
        try (CountersFile file = CountersFile.open(path))
        {
            out.print(StatFormatter.fromReader(file.newCountersReader(), perSa));
            return EXIT_OK;
        }
        catch (final Exception ex) // Agrona's mapping rethrows IOExceptions unchecked, undeclared
        {
            err.println(STAT_PREFIX + "cannot read counters file " + path + ": " + ex.getMessage());
            return EXIT_USAGE;
        }
    }

    private static String reason(final IOException ex)
    {
        final String message = ex.getMessage();
        if (ex instanceof java.net.SocketException && message != null)
        {
            return message;
        }
        return message == null ? ex.getClass().getSimpleName() : ex.getClass().getSimpleName() + ": " + message;
    }

    private static boolean isNumber(final String text)
    {
        return text.matches("[0-9]+(\\.[0-9]+)?");
    }

    private static int usage(final PrintStream err, final String prefix, final String usage, final String problem)
    {
        if (problem != null)
        {
            err.println(prefix + problem);
        }
        err.println(usage);
        return EXIT_USAGE;
    }
}
