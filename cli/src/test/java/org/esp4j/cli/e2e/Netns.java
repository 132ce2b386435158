package org.esp4j.cli.e2e;

import org.esp4j.tun.routing.IpCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace for a test, with the processes started in it; {@link #close()} stops them (SIGTERM, then
 * SIGKILL) and deletes the namespace, also after a failure.
 */
final class Netns implements AutoCloseable
{
    private final String name;
    private final Path logDirectory;
    private final List<Process> processes = new ArrayList<>();

    private Netns(final String name, final Path logDirectory)
    {
        this.name = name;
        this.logDirectory = logDirectory;
    }

    static Netns create(final String name, final Path logDirectory) throws IOException
    {
        new IpCommand().run("netns", "del", name);
        new IpCommand().check("netns", "add", name);
        final Netns netns = new Netns(name, logDirectory);
        netns.ip().check("link", "set", "lo", "up");
        return netns;
    }

    String name()
    {
        return name;
    }

    IpCommand ip()
    {
        return IpCommand.inNamespace(name);
    }

    /** @return what {@code nft ARGS...} prints in the namespace (fails on a non-zero exit). */
    String nft(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("netns", "exec", name, "nft"));
        command.addAll(List.of(args));
        return new IpCommand().check(command.toArray(new String[0])).output();
    }

    /** Run {@code tc ARGS...} in the namespace (fails on a non-zero exit). */
    void tc(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("netns", "exec", name, "tc"));
        command.addAll(List.of(args));
        new IpCommand().check(command.toArray(new String[0]));
    }

    /** Load an nftables ruleset ({@code nft -f}) in the namespace (fails on a non-zero exit). */
    void nftInput(final String ruleset) throws IOException
    {
        final Path file = Files.createTempFile(logDirectory, name + "-", ".nft");
        Files.writeString(file, ruleset);
        new IpCommand().check("netns", "exec", name, "nft", "-f", file.toString());
    }

    /** Start {@code command} in the namespace, stdout and stderr to {@code LOGDIR/<logName>.log}. */
    Process start(final String logName, final List<String> command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        final Path log = log(logName);
        final Process process = new ProcessBuilder(full).redirectErrorStream(true)
            .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
        processes.add(process);
        return process;
    }

    Path log(final String logName)
    {
        return logDirectory.resolve(name + "-" + logName + ".log");
    }

    /** @return the log's text (empty if none). */
    String logText(final String logName)
    {
        try
        {
            final Path log = log(logName);
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        }
        catch (final IOException ex)
        {
            return "(" + ex + ")";
        }
    }

    /** Wait until the log contains {@code text}, the process dies or the timeout passes. */
    boolean awaitLog(final String logName, final Process process, final String text, final long timeoutMs)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            if (logText(logName).contains(text))
            {
                return true;
            }
            if (!process.isAlive())
            {
                return logText(logName).contains(text);
            }
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Stop a tcpdump capturing in this namespace with {@code -U} (a write per packet) once it has written everything
     * sent before this call. A tcpdump stopped by a signal writes only what it has taken from the kernel, and on a
     * busy host it may be seconds behind: so first send marker datagrams (UDP to the discard port of {@code peer},
     * from bash's {@code /dev/udp}, in clear) until one is in the file, then stop it. The capture socket keeps the
     * order in which packets passed, so what was sent before the marker is in the file before it.
     *
     * @param tcpdump   the tcpdump process, started with {@link #start}.
     * @param pcap      its output file.
     * @param peer      an address reachable from this namespace past the captured interface.
     * @param timeoutMs how long to wait for the marker.
     * @return tcpdump's own account ({@code packets captured / received by filter / dropped by kernel}).
     * @throws AssertionError if the marker never reached the file.
     */
    String stopCapture(final Process tcpdump, final Path pcap, final String peer, final long timeoutMs)
        throws IOException, InterruptedException
    {
        final String marker = "esp4j-capture-marker-" + System.nanoTime();
        final byte[] markerBytes = marker.getBytes(StandardCharsets.US_ASCII);
        final String target = "/dev/udp/" + peer + "/9";
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean captured = false;
        while (!captured && System.nanoTime() < deadline && tcpdump.isAlive())
        {
            final Process send = new ProcessBuilder("ip", "netns", "exec", name, "bash", "-c",
                "printf %s \"$1\" > \"$2\"", "marker", marker, target).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            send.waitFor(10, TimeUnit.SECONDS);
            // the marker is sent again every 200 ms, should one be lost (neighbour discovery)
            final long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (!(captured = contains(pcap, markerBytes)) && System.nanoTime() < next)
            {
                Thread.sleep(10);
            }
        }
        stop(tcpdump, 10_000);
        final String log = logText("tcpdump");
        if (!captured)
        {
            throw new AssertionError("the capture " + pcap + " did not get the marker datagram within " + timeoutMs +
                " ms: " + log);
        }
        return log.lines().filter(line -> line.contains("packets")).collect(java.util.stream.Collectors.joining(", "));
    }

    private static boolean contains(final Path file, final byte[] what) throws IOException
    {
        final byte[] data = Files.readAllBytes(file);
        outer:
        for (int i = data.length - what.length; i >= 0; i--)
        {
            for (int j = 0; j < what.length; j++)
            {
                if (data[i + j] != what[j])
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Stop a tcpdump started here as {@code name} and check that it lost nothing: a capture with packets "dropped by
     * kernel" (its ring full while it waited for a CPU) cannot show that no packet left in clear.
     *
     * @return tcpdump's log.
     */
    String stopCompleteCapture(final Process tcpdump, final String name) throws InterruptedException
    {
        stop(tcpdump, 10_000); // SIGTERM: tcpdump writes out what it holds, then its counts
        final String log = logText(name);
        if (!log.lines().anyMatch(line -> line.equals("0 packets dropped by kernel")))
        {
            throw new AssertionError("the capture lost packets (or tcpdump did not say): " + log);
        }
        return log;
    }

    /** SIGTERM and wait; @return the exit code, or -1 if it had to be killed. */
    static int stop(final Process process, final long timeoutMs) throws InterruptedException
    {
        process.destroy();
        if (process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            return process.exitValue();
        }
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        return -1;
    }

    public void close()
    {
        for (final Process process : processes)
        {
            try
            {
                if (process.isAlive())
                {
                    stop(process, 5000);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try
        {
            new IpCommand().run("netns", "del", name);
        }
        catch (final IOException ex)
        {
            System.err.println("cannot delete netns " + name + ": " + ex);
        }
    }
}
