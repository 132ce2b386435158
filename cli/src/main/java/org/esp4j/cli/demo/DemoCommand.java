package org.esp4j.cli.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code esp4j demo}: the seed trace's IMS registration with IPsec, live. As root, {@link DemoLab} (namespaces,
 * daemons, simulators, tcpdump); without root, or with {@code --no-root}, {@link EmbeddedDemo} (one process,
 * esp-core and the SIP bridge embedded, ESP-in-UDP over loopback). Exit status 0 only when every step held, 1 when
 * one did not, 2 for bad usage.
 */
public final class DemoCommand
{
    private DemoCommand()
    {
    }

    /**
     * @param args after {@code demo}.
     * @param out  the ladder, tables and checks.
     * @param err  errors.
     * @return the exit status.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        final DemoOptions options;
        try
        {
            if (java.util.List.of(args).contains("--help") || java.util.List.of(args).contains("-h"))
            {
                out.println(DemoOptions.USAGE);
                return 0;
            }
            options = DemoOptions.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("esp4j demo: " + ex.getMessage());
            err.println(DemoOptions.USAGE);
            return 2;
        }
        if ((options.noRoot() || !isRoot()) && options.rechallenge())
        {
            err.println("esp4j demo: --rechallenge needs root (the in-process mode does not renew SAs)");
            return 2;
        }
        if (options.noRoot() || !isRoot())
        {
            out.println("esp4j demo: not root" + (options.noRoot() ? " (--no-root)" : "") +
                ": running the exchange in one process (esp-core and the SIP bridge embedded, ESP-in-UDP over loopback)");
            return EmbeddedDemo.run(options, out, err);
        }
        final long start = System.nanoTime();
        boolean ok = false;
        DemoLab lab = null;
        Thread onSignal = null;
        try
        {
            lab = new DemoLab(options, out);
            final DemoLab started = lab;
            onSignal = new Thread(started::close, "esp4j-demo-teardown"); // Ctrl-C: still remove the lab
            Runtime.getRuntime().addShutdownHook(onSignal);
            ok = lab.run();
        }
        catch (final IOException ex)
        {
            err.println("esp4j demo: " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            err.println("esp4j demo: interrupted");
        }
        finally
        {
            if (lab != null)
            {
                Runtime.getRuntime().removeShutdownHook(onSignal);
                final int before = lab.failures().size();
                lab.close();
                for (final String failure : lab.failures().subList(before, lab.failures().size()))
                {
                    out.println("FAILED: " + failure);
                    ok = false;
                }
            }
        }
        out.printf("esp4j demo: %s in %d ms%s%n", ok ? "every step held" : "FAILED",
            java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
            options.keep() ? " (lab kept)" : ", lab removed");
        return ok ? 0 : 1;
    }

    static boolean isRoot()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Uid:"))
                {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        }
        catch (final IOException ex)
        {
            return false;
        }
        return false;
    }
}
