package org.esp4j.cli.e2e;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The work directory of an end-to-end test (captures, logs, configs), kept when the test fails, or always with
 * {@code -Desp4j.e2e.keep=true}, and deleted otherwise. Where it was kept is added to the failure (as a suppressed
 * exception, so it is in the surefire report) and printed on standard error.
 * <p>
 * Register it as a field with {@code @RegisterExtension}, {@link #create} it in {@code @BeforeEach} and
 * {@link #cleanUp()} in {@code @AfterEach}.
 */
final class KeptOnFailure implements TestExecutionExceptionHandler
{
    private Path directory;
    private boolean failed;

    /** @return a new temporary directory named {@code prefix...}, forgotten at {@link #cleanUp()}. */
    Path create(final String prefix) throws IOException
    {
        directory = Files.createTempDirectory(prefix);
        failed = false;
        return directory;
    }

    @Override
    public void handleTestExecutionException(final ExtensionContext context, final Throwable throwable)
        throws Throwable
    {
        failed = true;
        if (directory != null)
        {
            throwable.addSuppressed(new Exception("captures and logs of " + context.getDisplayName() + " kept in " +
                directory));
        }
        throw throwable;
    }

    /** Delete the directory, unless the test failed or {@code esp4j.e2e.keep} is set: then print where it is. */
    void cleanUp()
    {
        if (directory == null)
        {
            return;
        }
        if (failed || Boolean.getBoolean("esp4j.e2e.keep"))
        {
            System.err.println("esp4j e2e: captures and logs kept in " + directory);
        }
        else
        {
            try (Stream<Path> files = Files.walk(directory))
            {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
            catch (final IOException ex)
            {
                System.err.println("cannot delete " + directory + ": " + ex);
            }
        }
        directory = null;
    }
}
