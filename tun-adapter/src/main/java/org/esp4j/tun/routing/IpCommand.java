package org.esp4j.tun.routing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip} (control plane only: start, stop, policy changes). Each call is bounded in time.
 */
public final class IpCommand
{
    /** Result of one run. */
    public record Result(List<String> command, int exitCode, String output, String error)
    {
        public boolean ok()
        {
            return exitCode == 0;
        }

        public Result check() throws IOException
        {
            if (exitCode != 0)
            {
                throw new IOException(String.join(" ", command) + " failed (" + exitCode + "): " + error.trim());
            }
            return this;
        }
    }

    private static final long TIMEOUT_MS = 10_000;

    private final String executable;
    private final String netns;

    public IpCommand()
    {
        this(System.getProperty("esp4j.ip", "ip"), null);
    }

    /**
     * @param executable path of {@code ip}.
     * @param netns      network namespace to work in ({@code ip -n NETNS}), null for the current one.
     */
    public IpCommand(final String executable, final String netns)
    {
        this.executable = executable;
        this.netns = netns;
    }

    /** @return the network namespace it works in, or null for this process's. */
    public String netns()
    {
        return netns;
    }

    /** @return true if it runs iproute2's own {@code ip} (not one named by {@code -Desp4j.ip}). */
    boolean isDefaultExecutable()
    {
        return "ip".equals(executable);
    }

    /** @return a command working in namespace {@code netns}. */
    public static IpCommand inNamespace(final String netns)
    {
        return new IpCommand(System.getProperty("esp4j.ip", "ip"), netns);
    }

    /** Run {@code ip ARGS...}; never throws for a non-zero exit (see {@link Result#check()}). */
    public Result run(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(args.length + 1);
        command.add(executable);
        if (netns != null)
        {
            command.add("-n");
            command.add(netns);
        }
        command.addAll(List.of(args));
        return runProcess(command, null);
    }

    /**
     * Run a control-plane command, bounded by the same timeout as {@code ip}.
     *
     * @param command the executable and its arguments.
     * @param input   written to its standard input (null: none).
     * @return its exit code and output.
     * @throws IOException when it cannot be started, times out or the thread is interrupted.
     */
    static Result runProcess(final List<String> command, final String input) throws IOException
    {
        return runProcess(command, input, TIMEOUT_MS);
    }

    /** As {@link #runProcess(List, String)}, with its own timeout. */
    static Result runProcess(final List<String> command, final String input, final long timeoutMs) throws IOException
    {
        final Process process = new ProcessBuilder(command).start();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        // Input and outputs go through their own threads, so that a child that hangs (not reading its input, or with
        // its output open) is bounded by the timeout below: the caller (the conductor) must never wait on a pipe.
        final Thread errReader = start("ip-stderr", () -> copy(process.getErrorStream(), err));
        final Thread outReader = start("ip-stdout", () -> copy(process.getInputStream(), out));
        final IOException[] writeFailure = new IOException[1];
        final Thread inWriter = start("ip-stdin", () ->
        {
            try (OutputStream stdin = process.getOutputStream())
            {
                if (input != null)
                {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            catch (final IOException ex)
            {
                writeFailure[0] = ex;
            }
        });
        try
        {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            inWriter.join(timeoutMs);
            outReader.join(timeoutMs);
            errReader.join(timeoutMs);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), ex);
        }
        if (writeFailure[0] != null && process.exitValue() == 0)
        {
            throw new IOException(String.join(" ", command) + ": " + writeFailure[0].getMessage(), writeFailure[0]);
        }
        return new Result(command, process.exitValue(), out.toString(), err.toString());
    }

    private static Thread start(final String name, final Runnable task)
    {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Run and fail on a non-zero exit. */
    public Result check(final String... args) throws IOException
    {
        return run(args).check();
    }

    /**
     * Wait until the kernel routes {@code address} as local ({@code ip route show table local ADDRESS} lists it). For
     * IPv6 the kernel installs that route from a work queue after {@code ip addr add} has returned, even with
     * {@code nodad}: on a busy machine a packet sent to the address at once can be dropped as not local
     * ({@code Ip6InAddrErrors}).
     *
     * @param address   an IPv4 or IPv6 address, as {@code ip} prints it.
     * @param timeoutMs how long to wait.
     * @throws IOException when the route is not there in time, or {@code ip} fails.
     */
    public void awaitLocalAddress(final String address, final long timeoutMs) throws IOException
    {
        final String family = address.indexOf(':') >= 0 ? "-6" : "-4";
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (check(family, "route", "show", "table", "local", address).output().isBlank())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IOException("no local route for " + address + " after " + timeoutMs + " ms");
            }
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the local route of " + address, ex);
            }
        }
    }

    private static void copy(final InputStream in, final ByteArrayOutputStream out)
    {
        try (in)
        {
            in.transferTo(out);
        }
        catch (final IOException ignore)
        {
            // process gone
        }
    }
}
