package org.esp4j.cli.control;

import com.sun.jna.Native;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.cli.Esp4jMain;
import org.esp4j.tun.control.StatFormatter;
import org.esp4j.core.counters.CountersFile;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.sip.SipBridge;
import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code esp4j stat --counters FILE} run by another, unprivileged user ({@code nobody}, through {@code setpriv}), as
 * root: it reads a file its group may read without being able to write it (the file is mapped read-only), and a
 * file it may not read, or a missing one, is one line on stderr and exit 2, never a stack trace.
 */
class StatCountersFileAsOtherUserTest
{
    private static Path work;
    private static String classPath;
    private static String nobodyGroup;

    @BeforeAll
    static void copyClassPathWhereNobodyCanReadIt() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        nobodyGroup = output(List.of("id", "-gn", "nobody")).trim();
        work = Files.createTempDirectory("esp4j-stat-other-user");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        // the build's classes and jars may sit under a home directory nobody cannot enter
        final List<String> entries = new ArrayList<>();
        int index = 0;
        for (final Class<?> type : List.of(Esp4jMain.class, StatFormatter.class, CountersFile.class, SipBridge.class,
            UnsafeBuffer.class, Native.class))
        {
            final Path source = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
            final Path target = work.resolve("cp" + index++ + (Files.isDirectory(source) ? "" : ".jar"));
            copy(source, target);
            entries.add(target.toString());
        }
        classPath = String.join(":", entries);
    }

    @AfterAll
    static void removeCopies() throws IOException
    {
        if (work != null)
        {
            try (Stream<Path> paths = Files.walk(work))
            {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void shouldReadACountersFileOfItsGroupWithoutWriteAccess() throws Exception
    {
        final Path path = work.resolve("group.counters");
        try (CountersFile file = CountersFile.create(path, 64, nobodyGroup))
        {
            final XfrmCounters counters = new XfrmCounters(file.newCountersManager());
            counters.increment(XfrmCounter.XfrmInNoStates);
            counters.increment(XfrmCounter.XfrmInNoStates);
            counters.increment(XfrmCounter.XfrmInNoStates);

            final Run run = statAsNobody(path);

            assertEquals(0, run.status, run.err);
            assertTrue(run.out.matches("(?s).*XfrmInNoStates\\s+3\\n.*"), run.out);
        }
    }

    @Test
    void shouldRefuseAnOwnerOnlyCountersFileInOneLine() throws Exception
    {
        final Path path = work.resolve("owner.counters");
        try (CountersFile ignored = CountersFile.create(path, 64))
        {
            final Run run = statAsNobody(path);

            assertEquals(2, run.status);
            assertEquals(1, run.err.lines().count(), run.err);
            assertTrue(run.err.contains(path + ": permission denied"), run.err);
            assertFalse(run.err.contains("\tat "), run.err);
        }
    }

    @Test
    void shouldNameAMissingCountersFileInOneLine() throws Exception
    {
        final Path path = work.resolve("missing.counters");

        final Run run = statAsNobody(path);

        assertEquals(2, run.status);
        assertEquals(1, run.err.lines().count(), run.err);
        assertTrue(run.err.contains("no counters file at " + path), run.err);
    }

    private static Run statAsNobody(final Path counters) throws Exception
    {
        final Path out = Files.createTempFile(work, "stdout", ".txt");
        final Path err = Files.createTempFile(work, "stderr", ".txt");
        final Process process = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=" + nobodyGroup,
            "--clear-groups", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "-cp", classPath, Esp4jMain.class.getName(), "stat", "--counters", counters.toString())
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "stat did not finish within 60 s");
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void copy(final Path source, final Path target) throws IOException
    {
        if (!Files.isDirectory(source))
        {
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try (Stream<Path> paths = Files.walk(source))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                final Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path))
                {
                    Files.createDirectories(destination);
                }
                else
                {
                    Files.copy(path, destination, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static String output(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), String.join(" ", command));
        return text;
    }

    private record Run(int status, String out, String err)
    {
    }
}
