package org.esp4j.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code esp4j} command as a process: whatever a command echoes on standard error, a key typed in the wrong
 * place is not shown (the launcher's {@code main} redacts all of stderr).
 */
class Esp4jMainRedactionTest
{
    private static final String KEY = "f769bcd751044604127672711c6d344100000000";

    @Test
    void shouldNotEchoAKeyTypedAsTheCommand() throws Exception
    {
        assertRedacted(esp4j(KEY));
    }

    @Test
    void shouldNotEchoAKeyTypedAsAnArgument() throws Exception
    {
        assertRedacted(esp4j("stat", KEY));
        assertRedacted(esp4j("pcap", "0x" + KEY));
    }

    private static void assertRedacted(final String err)
    {
        assertFalse(err.contains(KEY.substring(0, 16)), err);
        assertTrue(err.contains("<redacted hex, 40 digits>"), err);
    }

    /** @return what {@code esp4j ARGS...} printed on stderr; it must exit 2 (bad usage). */
    private static String esp4j(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), Esp4jMain.class.getName()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        final String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "esp4j did not finish");
        assertEquals(2, process.exitValue(), err);
        return err;
    }
}
