package org.esp4j.cli.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** What an end-to-end test removes after itself, also when it failed: namespaces, files, its work directory. */
final class E2eCleanup
{
    private E2eCleanup()
    {
    }

    /**
     * @param namespaces closed (their processes killed) and cleared.
     * @param files      deleted if they exist (counters files and the like, outside the work directory).
     * @param work       deleted with its contents unless {@code -Desp4j.e2e.keep=true}; may be null.
     */
    static void cleanUp(final List<Netns> namespaces, final List<Path> files, final Path work) throws IOException
    {
        namespaces.forEach(Netns::close);
        namespaces.clear();
        for (final Path file : files)
        {
            Files.deleteIfExists(file);
        }
        if (work != null && !Boolean.getBoolean("esp4j.e2e.keep"))
        {
            try (Stream<Path> walk = Files.walk(work))
            {
                walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
