package org.esp4j.tun;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace of its own for a root test of tun-adapter, as a JUnit extension on an instance field:
 * <pre>
 * &#64;RegisterExtension
 * final NetnsFixture netns = new NetnsFixture("rn");
 * ...
 * final IpCommand ip = netns.ip(); // creates it: esp4j-rn-PID-N
 * </pre>
 * <ul>
 * <li>Before each test: skipped, with the reason, when not root, unless {@code CI=true}, where the test must run
 * ({@link RootAssumptions}).</li>
 * <li>Created on first use ({@link #name()}, {@link #ip()}, {@link #call}), named {@code esp4j-TAG-PID-N}: unique per
 * test run and per test, so that two runs (two engineers, two JVMs) never share one. A namespace of that name left by
 * an earlier JVM of the same pid is deleted first.</li>
 * <li>After each test, pass or fail (after the test's own {@code @AfterEach}): the thread joined into it is stopped,
 * the namespace is deleted (with what is inside it: links, veth pairs with one end inside, routes, rules), and the
 * test fails if it is still there.</li>
 * <li>{@link #call} runs code on one thread that has joined the namespace with {@code setns(2)}: TUN devices, sockets
 * and netlink sockets it opens live inside the namespace, and so no packet can leave it.</li>
 * </ul>
 */
public final class NetnsFixture implements BeforeEachCallback, AfterEachCallback
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final int CLONE_NEWNET = 0x4000_0000;
    private static final int O_RDONLY = 0;
    private static final long STOP_TIMEOUT_S = 10;

    private final String tag;
    private String name;
    private ExecutorService inside;

    /**
     * @param tag a short word naming the test, in the namespace's name.
     */
    public NetnsFixture(final String tag)
    {
        this.tag = tag;
    }

    public void beforeEach(final ExtensionContext context)
    {
        RootAssumptions.assumeRootOrCi();
    }

    public void afterEach(final ExtensionContext context) throws Exception
    {
        final String created = name;
        name = null;
        try
        {
            if (inside != null)
            {
                inside.shutdownNow();
                if (!inside.awaitTermination(STOP_TIMEOUT_S, TimeUnit.SECONDS))
                {
                    throw new AssertionError("the thread in namespace " + created + " did not stop");
                }
            }
        }
        finally
        {
            inside = null;
            if (created != null)
            {
                new IpCommand().run("netns", "del", created);
            }
        }
        if (created != null && Files.exists(Path.of("/run/netns", created)))
        {
            throw new AssertionError("namespace " + created + " left behind");
        }
    }

    /**
     * @return the namespace's name, created now if it is not yet.
     * @throws IOException when {@code ip netns add} fails.
     */
    public String name() throws IOException
    {
        if (name == null)
        {
            final String wanted = "esp4j-" + tag + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
            final IpCommand ip = new IpCommand();
            ip.run("netns", "del", wanted); // a JVM of the same pid left it: not this run's
            ip.check("netns", "add", wanted);
            name = wanted;
        }
        return name;
    }

    /**
     * @return {@code ip -n NAME}, the namespace created now if it is not yet.
     * @throws IOException when {@code ip netns add} fails.
     */
    public IpCommand ip() throws IOException
    {
        return IpCommand.inNamespace(name());
    }

    /**
     * Run {@code task} on the fixture's thread inside the namespace (joined on first use), and wait for it.
     *
     * @param task      what to run there.
     * @param timeoutMs how long to wait for it.
     * @param <T>       its result.
     * @return its result.
     * @throws Exception what the task threw, as it was, or a timeout.
     */
    public <T> T call(final Callable<T> task, final long timeoutMs) throws Exception
    {
        final String namespace = name();
        if (inside == null)
        {
            inside = Executors.newSingleThreadExecutor(r ->
            {
                final Thread thread = new Thread(r, "in-" + namespace);
                thread.setDaemon(true);
                return thread;
            });
            inside.submit(() ->
            {
                join(namespace);
                return null;
            }).get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        try
        {
            return inside.submit(task).get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof Exception cause)
            {
                throw cause;
            }
            if (ex.getCause() instanceof Error error)
            {
                throw error;
            }
            throw ex;
        }
    }

    /** {@code setns(2)} the calling thread (only) into the named network namespace, and check it is there. */
    private static void join(final String name) throws IOException
    {
        final int fd = LibC.open("/run/netns/" + name, O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException("open /run/netns/" + name + ": " + LibC.describe(LibC.errno()));
        }
        try
        {
            final Function setns = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("setns");
            if (setns.invokeInt(new Object[] {fd, CLONE_NEWNET}) != 0)
            {
                throw new IOException("setns(" + name + "): " + LibC.describe(Native.getLastError()));
            }
        }
        finally
        {
            LibC.close(fd);
        }
        final Object inode = Files.getAttribute(Path.of("/run/netns", name), "unix:ino");
        final String joined = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        if (!("net:[" + inode + "]").equals(joined))
        {
            throw new IOException("this thread is not in namespace " + name + " but in " + joined);
        }
    }
}
