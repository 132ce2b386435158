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
