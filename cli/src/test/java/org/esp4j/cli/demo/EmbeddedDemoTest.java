package org.esp4j.cli.demo;

import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code esp4j demo} without root: the registration in one process, the simulators on embedded esp-core and SIP
 * bridge, ESP-in-UDP over loopback. As root (CI) it runs as the unprivileged user {@code nobody} through
 * {@code setpriv}, with the class path copied where that user can read it, exactly as a user without root would; the
 * demo must pick the in-process mode by itself and succeed.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class EmbeddedDemoTest
{
    private Path copy;

    @AfterEach
    void tearDown() throws IOException
    {
        if (copy != null)
        {
            try (Stream<Path> files = Files.walk(copy))
            {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void shouldRunTheRegistrationInOneProcessWithoutRootAndCheckEveryMessagesSa() throws Exception
    {
        final String text;
        final int status;
        if (RootAssumptions.isRoot())
        {
            final List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + readableClassPath().getParent(),
                "-cp", readableClassPath().toString() + "/*:" + copy.resolve("classes"),
                "org.esp4j.cli.Esp4jMain", "demo", "--reregister", "1", "--deregister"));
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(90, TimeUnit.SECONDS), text);
            status = process.exitValue();
            assertTrue(text.contains("esp4j demo: not root: running the exchange in one process"), text);
        }
        else
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            status = DemoCommand.run(new String[]{ "--reregister", "1", "--deregister" }, out, out);
            text = bytes.toString(StandardCharsets.UTF_8);
        }
        assertEquals(0, status, text);
        assertTrue(text.contains("SIP over UDP in this mode (TCP would need a TCP stack in userspace)"), text);
        assertLadder(text, "sent UDP \\S+:38003 -> \\S+:5060  REGISTER \\(1 REGISTER\\)\\s+\\d+ B  unprotected");
        assertLadder(text, "got  UDP \\S+:5060 -> \\S+:39003  401 Unauthorized \\(1 REGISTER\\)\\s+\\d+ B  unprotected");
        assertLadder(text, "sent UDP \\S+:38003 -> \\S+:50718  REGISTER \\(2 REGISTER\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  UDP \\S+:50717 -> \\S+:39003  200 OK \\(2 REGISTER\\)\\s+\\d+ B  SA spi 565818 ");
        assertLadder(text, "sent UDP \\S+:38003 -> \\S+:50718  SUBSCRIBE \\(1 SUBSCRIBE\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  UDP \\S+:50717 -> \\S+:39003  NOTIFY \\(1 NOTIFY\\)\\s+\\d+ B  SA spi 565818 ");
        assertLadder(text, "sent UDP \\S+:38003 -> \\S+:50718  200 OK \\(1 NOTIFY\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  UDP \\S+:50717 -> \\S+:39003  200 OK \\(4 REGISTER\\)\\s+\\d+ B  SA spi 565818 ");
        final Matcher wire = Pattern.compile("wire check \\((\\S+)\\): (\\d+) of (\\d+) messages found on the loopback " +
            "link as the ladder says \\(NULL encryption: SPI, ports and SIP start line each\\), 0 clear packets")
            .matcher(text);
        assertTrue(wire.find(), text);
        assertEquals(wire.group(3), wire.group(2), text);
        assertEquals("12", wire.group(2), text);
        assertTrue(text.contains("counters spi 0xa82588f1") && text.contains("\"IPv6\",\"2001::1:d1ae:bb37:d9c9:81d0\""),
            text);
        assertTrue(text.contains("esp4j demo: every step held"), text);
        final Matcher capture = Pattern.compile("capture: (\\S+)").matcher(text);
        assertTrue(capture.find(), text);
        Files.deleteIfExists(Path.of(capture.group(1)));
    }

    /** The test class path (jars and class directories) copied into a directory that {@code nobody} can read. */
    private Path readableClassPath() throws IOException
    {
        if (copy != null)
        {
            return copy.resolve("lib");
        }
        copy = Files.createTempDirectory(Path.of("/tmp"), "esp4j-embedded-demo-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxrwxrwx"));
        final Path lib = Files.createDirectory(copy.resolve("lib"));
        final Path classes = Files.createDirectory(copy.resolve("classes"));
        for (final String entry : classPath())
        {
            final Path source = Path.of(entry);
            if (Files.isDirectory(source))
            {
                try (Stream<Path> files = Files.walk(source))
                {
                    for (final Path file : (Iterable<Path>)files::iterator)
                    {
                        final Path target = classes.resolve(source.relativize(file).toString());
                        if (Files.isDirectory(file))
                        {
                            Files.createDirectories(target);
                        }
                        else
                        {
                            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
            else if (entry.endsWith(".jar") && Files.exists(source))
            {
                Files.copy(source, lib.resolve(lib.toFile().list().length + "-" + source.getFileName()));
            }
        }
        try (Stream<Path> files = Files.walk(copy))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(
                    Files.isDirectory(file) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxrwxrwx"));
        return lib;
    }

    /** The class path, with a surefire manifest-only jar expanded into its Class-Path entries. */
    private static List<String> classPath() throws IOException
    {
        final List<String> entries = new ArrayList<>();
        for (final String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        {
            entries.add(entry);
            if (entry.endsWith(".jar") && Path.of(entry).getFileName().toString().startsWith("surefire"))
            {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry))
                {
                    final String manifestPath = jar.getManifest() == null ? null :
                        jar.getManifest().getMainAttributes().getValue("Class-Path");
                    if (manifestPath != null)
                    {
                        for (final String url : manifestPath.trim().split("\\s+"))
                        {
                            entries.add(Path.of(java.net.URI.create(url)).toString());
                        }
                    }
                }
            }
        }
        return entries;
    }

    private static void assertLadder(final String text, final String regex)
    {
        assertTrue(Pattern.compile("(?m)^\\s+[0-9.]+ ms  UE " + regex).matcher(text).find(),
            "ladder line /" + regex + "/:\n" + text);
    }
}
