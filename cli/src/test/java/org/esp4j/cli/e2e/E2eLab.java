package org.esp4j.cli.e2e;

import org.esp4j.tun.RootAssumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a namespace end-to-end test sets up and must remove again, also after a failure: a work directory, network
 * namespaces and daemon counters files, named with the test JVM's pid so that runs on one host do not meet. Create it
 * in {@code @BeforeEach} (it skips the test without root, and runs it under {@code CI=true}) and {@link #close()} it
 * in {@code @AfterEach}.
 */
final class E2eLab implements AutoCloseable
{
    private final long pid = ProcessHandle.current().pid();
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final Path work;

    /** @param prefix of the work directory's name. */
    E2eLab(final String prefix) throws IOException
    {
        RootAssumptions.assumeRootOrCi();
        work = Files.createTempDirectory(prefix);
    }

    /** @return the work directory (configs, logs, captures), kept with {@code -Desp4j.e2e.keep=true}. */
    Path work()
    {
        return work;
    }

    /** @return a new namespace {@code name-PID}, logging into the work directory, deleted at {@link #close()}. */
    Netns netns(final String name) throws IOException
    {
        final Netns netns = Netns.create(name + "-" + pid, work);
        namespaces.add(netns);
        return netns;
    }

    /**
     * @return {@code /dev/shm/name-PID.counters}, a daemon's counters file; it and its sequence reservations
     * ({@code .seq}) are deleted at {@link #close()}.
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

    public void close() throws IOException
    {
        E2eCleanup.cleanUp(namespaces, files, work);
    }
}
