package org.esp4j.cli.e2e;

import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a namespace end-to-end test sets up and must remove again, also after a failure: a work directory (configs,
 * logs, captures), network namespaces with the processes started in them, and daemon counters files, named with the
 * test JVM's pid so that runs on one host do not meet.
 * <p>
 * Register it as a field, {@code @RegisterExtension final E2eLab lab = new E2eLab("esp4j-x-");}: before each test
 * it skips the test without root (and runs it under {@code CI=true}) and makes the work directory; after it, it
 * stops the processes, deletes the namespaces and counters files, and deletes the work directory unless the test
 * failed or {@code -Desp4j.e2e.keep=true}. A kept directory is named in the failure (a suppressed exception, so it
 * is in the surefire report) and on standard error.
 */
final class E2eLab implements BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler
{
    private final long pid = ProcessHandle.current().pid();
    private final String prefix;
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private Path work;
    private boolean failed;

    /** @param prefix of the work directory's name. */
    E2eLab(final String prefix)
    {
        this.prefix = prefix;
    }

    @Override
    public void beforeEach(final ExtensionContext context) throws IOException
    {
        open();
    }

    @Override
    public void handleTestExecutionException(final ExtensionContext context, final Throwable throwable)
        throws Throwable
    {
        failed = true;
        if (work != null)
        {
            throwable.addSuppressed(new Exception("captures and logs of " + context.getDisplayName() + " kept in " +
                work));
        }
        throw throwable;
    }

    @Override
    public void afterEach(final ExtensionContext context) throws IOException
    {
        close();
    }

    /** Skip without root (run under {@code CI=true}) and make the work directory (what {@code beforeEach} does). */
    void open() throws IOException
    {
        RootAssumptions.assumeRootOrCi();
        work = Files.createTempDirectory(prefix);
        failed = false;
    }

    /** @return the work directory (configs, logs, captures). */
    Path work()
    {
        return work;
    }

    /** @return a new namespace {@code name-PID}, logging into the work directory, deleted after the test. */
    Netns netns(final String name) throws IOException
    {
        final Netns netns = Netns.create(name + "-" + pid, work);
        namespaces.add(netns);
        return netns;
    }

    /**
     * @return {@code /dev/shm/name-PID.counters}, a daemon's counters file; it and its sequence reservations
     * ({@code .seq}, which outlive a clean stop by design) are deleted after the test.
     */
    Path countersFile(final String name)
    {
        final Path counters = Path.of("/dev/shm/" + name + "-" + pid + ".counters");
        if (!files.contains(counters))
        {
            files.add(counters);
            files.add(counters.resolveSibling(counters.getFileName() + ".seq"));
        }
        return counters;
    }

    /** Stop, delete and clean up (what {@code afterEach} does); the work directory stays if the test failed. */
    void close() throws IOException
    {
        namespaces.forEach(Netns::close);
        namespaces.clear();
        for (final Path file : files)
        {
            Files.deleteIfExists(file);
        }
        files.clear();
        if (work == null)
        {
            return;
        }
        if (failed || Boolean.getBoolean("esp4j.e2e.keep"))
        {
            System.err.println("esp4j e2e: captures and logs kept in " + work);
        }
        else
        {
            try (Stream<Path> walk = Files.walk(work))
            {
                walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        work = null;
    }
}
