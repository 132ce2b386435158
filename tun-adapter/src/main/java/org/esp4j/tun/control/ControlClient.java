package org.esp4j.tun.control;

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
 * reached (the message names the socket and suggests {@code ./esp4j run}).
 * <p>
 * The socket is {@code --socket PATH} if given, else {@code $ESP4J_SOCKET}, else {@value #DEFAULT_SOCKET}.
 */
public final class ControlClient
{
    public static final String DEFAULT_SOCKET =
        "/run/esp4j/" + org.esp4j.tun.daemon.DaemonConfig.DEFAULT_TUN_NAME + ".sock"; // the daemon's default
    public static final String SOCKET_ENVIRONMENT_VARIABLE = "ESP4J_SOCKET";
    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;

    private static final String XFRM_USAGE =
        "Usage: esp4j xfrm [ --socket PATH ] { state | policy | monitor } { COMMAND | help }\n" +
        "  as ip xfrm: state { add | update | delete | get | list | deleteall | flush | count } ...,\n" +
        "  policy { add | update | delete | get | list | flush | count } ..., monitor [ all | SA | expire | acquire ]\n" +
        "  list and get hide keys unless --keys is given; -s adds the counters.";
    private static final String STAT_USAGE =
        "Usage: esp4j stat [ --sa ] [ --watch [ SECONDS ] [ --count N ] ] [ --socket PATH | --counters PATH ]\n" +
        "  prints the counters of /proc/net/xfrm_stat (and, with --sa, each SA as ip -s xfrm state);\n" +
        "  --counters reads the daemon's counters file directly, e.g. when it is not running.";

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

    static int runXfrm(
        final String[] argsAfterXfrm, final PrintStream out, final PrintStream err, final Map<String, String> env)
    {
        final List<String> words = new ArrayList<>();
        words.add("xfrm");
        String socketOption = null;
        for (int i = 0; i < argsAfterXfrm.length; i++)
        {
            final String arg = argsAfterXfrm[i];
            if ("--socket".equals(arg))
            {
                if (i + 1 >= argsAfterXfrm.length)
                {
                    return usage(err, XFRM_USAGE, "--socket needs a PATH");
                }
                socketOption = argsAfterXfrm[++i];
            }
            else if (arg.startsWith("--socket="))
            {
                socketOption = arg.substring("--socket=".length());
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
            return usage(err, XFRM_USAGE, null);
        }
        final boolean monitor = ControlCommands.matches(words.get(1), "monitor");
        return request(new ControlClient(socketPath(socketOption, env)), words, out, err, monitor);
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
                            return usage(err, STAT_USAGE, "--watch SECONDS must be from 0.1 to 86400");
                        }
                    }
                }
                case "--count" ->
                {
                    if (i + 1 >= args.length || !args[i + 1].matches("[1-9][0-9]{0,9}"))
                    {
                        return usage(err, STAT_USAGE, "--count needs a positive number");
                    }
                    count = Long.parseLong(args[++i]);
                }
                case "--socket" ->
                {
                    if (i + 1 >= args.length)
                    {
                        return usage(err, STAT_USAGE, "--socket needs a PATH");
                    }
                    socketOption = args[++i];
                }
                case "--counters" ->
                {
                    if (i + 1 >= args.length)
                    {
                        return usage(err, STAT_USAGE, "--counters needs a PATH");
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
                    return usage(err, STAT_USAGE, "unknown argument '" + arg + "'");
                }
            }
        }
        if (socketOption != null && countersOption != null)
        {
            return usage(err, STAT_USAGE, "give --socket or --counters, not both");
        }
        if (!watch)
        {
            count = 1;
        }

        final ControlClient client = new ControlClient(socketPath(socketOption, env));
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
                request(client, words, out, err, false);
            if (status == EXIT_USAGE && countersOption == null)
            {
                err.println("esp4j: without a daemon, read its counters file: esp4j stat --counters PATH " +
                    "(the daemon's counters.file, by default /dev/shm/esp4j-TUN.counters)");
            }
            if (status != EXIT_OK)
            {
                return status;
            }
            out.flush();
        }
        return EXIT_OK;
    }

    /**
     * @param option the {@code --socket} value or null.
     * @param env    the environment.
     * @return the socket to use.
     */
    static Path socketPath(final String option, final Map<String, String> env)
    {
        if (option != null && !option.isEmpty())
        {
            return Path.of(option);
        }
        final String fromEnvironment = env.get(SOCKET_ENVIRONMENT_VARIABLE);
        return Path.of(fromEnvironment != null && !fromEnvironment.isEmpty() ? fromEnvironment : DEFAULT_SOCKET);
    }

    private static int request(
        final ControlClient client, final List<String> words, final PrintStream out, final PrintStream err,
        final boolean flushEachLine)
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
            err.println("esp4j: " + ex.getMessage());
            return EXIT_USAGE;
        }
        catch (final IOException ex)
        {
            err.println("esp4j: cannot reach the esp4j daemon at " + client.socketPath() + ": " + reason(ex) +
                ". Is it running? Start it with ./esp4j run, or name its socket with --socket PATH or " +
                SOCKET_ENVIRONMENT_VARIABLE + ".");
            return EXIT_USAGE;
        }
        out.flush();
        if (status == null)
        {
            err.println("esp4j: the daemon at " + client.socketPath() + " closed the connection without a status");
            return EXIT_ERROR;
        }
        if (ControlProtocol.STATUS_OK.equals(status))
        {
            return EXIT_OK;
        }
        err.println("esp4j: " + status.substring(status.startsWith(ControlProtocol.STATUS_ERROR_PREFIX) ?
            ControlProtocol.STATUS_ERROR_PREFIX.length() : "error:".length()).trim());
        return EXIT_ERROR;
    }

    private static int readCountersFile(final Path path, final boolean perSa, final PrintStream out, final PrintStream err)
    {
        try (CountersFile file = CountersFile.open(path))
        {
            out.print(StatFormatter.fromReader(file.newCountersReader(), perSa));
            return EXIT_OK;
        }
        catch (final RuntimeException ex)
        {
            err.println("esp4j: cannot read counters file " + path + ": " + ex.getMessage());
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

    private static int usage(final PrintStream err, final String usage, final String problem)
    {
        if (problem != null)
        {
            err.println("esp4j: " + problem);
        }
        err.println(usage);
        return EXIT_USAGE;
    }
}
