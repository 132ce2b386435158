package org.esp4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command of the {@code esp4j} command line: {@code --help} on standard output with status 0, and bad usage
 * answered on standard error with one line that starts {@code esp4j <command>: } (then the synopsis), status 2.
 * Runs without root: nothing here reaches a daemon or the network.
 */
class Esp4jMainTest
{
    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @Test
    void shouldPrintHelpOnStandardOutputWithStatusZeroForEveryCommand()
    {
        for (final List<String> command : List.of(List.of("run"), List.of("xfrm"), List.of("stat"), List.of("pcap"),
            List.of("wireshark"), List.of("sip"), List.of("sip", "replay")))
        {
            stdout.reset();
            stderr.reset();
            final String[] args = java.util.stream.Stream.concat(command.stream(), java.util.stream.Stream.of("--help"))
                .toArray(String[]::new);
            assertEquals(0, run(args), command + ": " + stderr);
            assertTrue(stdout.toString(StandardCharsets.UTF_8).toLowerCase().startsWith("usage: esp4j " + command.get(0)),
                command + ": " + stdout);
            assertEquals("", stderr.toString(StandardCharsets.UTF_8), command.toString());
        }
        stdout.reset();
        assertEquals(0, run("--help"));
        final String usage = stdout.toString(StandardCharsets.UTF_8);
        for (final String option : new String[]{ "--carrier", "--tun", "--socket", "--algorithm", "--count", "--aka",
            "--counters", "--watch", "--verdicts" })
        {
            assertTrue(usage.contains(option), option + " missing from the synopsis:\n" + usage);
        }
    }

    @Test
    void shouldPrefixEveryUsageErrorWithTheCommand()
    {
        assertUsageError("esp4j run: ", "run", "--bogus");
        assertUsageError("esp4j run: ", "run", "--config");
        assertUsageError("esp4j xfrm: ", "xfrm", "--socket");
        assertUsageError("esp4j stat: ", "stat", "--bogus");
        assertUsageError("esp4j pcap: ", "pcap", "decrypt", "--sa", "x", "a", "b");
        assertUsageError("esp4j wireshark: ", "wireshark");
        assertUsageError("esp4j sip: ", "sip", "play");
        assertUsageError("esp4j sip replay: ", "sip", "replay", "--bogus");
        assertUsageError("esp4j: ", "bogus");
    }

    @Test
    void shouldSayNoSuchFileForAMissingConfig()
    {
        final Path missing = dir.resolve("missing.conf");
        assertEquals(2, run("run", "--config", missing.toString()));
        assertEquals("esp4j run: " + missing + ": no such file\n", stderr.toString(StandardCharsets.UTF_8));
        assertEquals("", stdout.toString(StandardCharsets.UTF_8));
    }

    private void assertUsageError(final String prefix, final String... args)
    {
        stderr.reset();
        stdout.reset();
        assertEquals(2, run(args), String.join(" ", args));
        final String error = stderr.toString(StandardCharsets.UTF_8);
        assertTrue(error.startsWith(prefix), String.join(" ", args) + ": " + error);
        assertFalse(error.contains("Exception") || error.contains("\tat "), error);
        assertEquals("", stdout.toString(StandardCharsets.UTF_8), String.join(" ", args));
    }

    private int run(final String... args)
    {
        return Esp4jMain.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    }
}
