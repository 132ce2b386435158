package org.esp4j.tun.daemon;

import org.esp4j.tun.log.LogLevel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonLogTest
{
    private static final String KEY = "465b5ce8b199b49faa5f0a2ee238a6bc";

    @Test
    void shouldWriteEachLineWithItsInstantAndTunAndRedactAnythingThatLooksLikeAKey()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final DaemonLog log = new DaemonLog("esp4j0", out, LogLevel.INFO);

        log.log(LogLevel.INFO, "sip-bridge: SA_INSTALLED spi 0xce28e247 from [2001:db8::1]:5060");
        log.accept("bad line: k " + KEY + " é");

        final String[] lines = out.toString(StandardCharsets.UTF_8).split("\n", -1);
        assertEquals(3, lines.length, "two lines, each ended by a line feed");
        assertEquals("", lines[2]);
        final String[] first = lines[0].split(" ", 2);
        Instant.parse(first[0]);
        assertEquals("esp4j[esp4j0] sip-bridge: SA_INSTALLED spi 0xce28e247 from [2001:db8::1]:5060", first[1]);
        assertFalse(lines[1].contains(KEY), lines[1]);
        assertTrue(lines[1].endsWith(" esp4j[esp4j0] bad line: k <redacted hex, 32 digits> é"), lines[1]);
    }

    @Test
    void shouldWriteOnlyTheLinesAtOrBelowItsLevelWithAcceptAsAWarning()
    {
        assertEquals(List.of("error"), written(LogLevel.ERROR));
        assertEquals(List.of("error", "warn", "accepted"), written(LogLevel.WARN));
        assertEquals(List.of("error", "warn", "accepted", "info"), written(LogLevel.INFO));
        assertEquals(List.of("error", "warn", "accepted", "info", "debug"), written(LogLevel.DEBUG));
    }

    @Test
    void shouldSayWhichLevelsItWrites()
    {
        final DaemonLog warn = new DaemonLog("esp4j0", new ByteArrayOutputStream(), LogLevel.WARN);
        assertTrue(warn.enabled(LogLevel.ERROR));
        assertTrue(warn.enabled(LogLevel.WARN));
        assertFalse(warn.enabled(LogLevel.INFO));
        assertFalse(LogLevel.enabled(warn, LogLevel.DEBUG));
        assertTrue(LogLevel.enabled(warn, LogLevel.WARN));
    }

    @Test
    void shouldHandEveryLineToAPlainConsumerWhateverItsLevel()
    {
        final List<String> lines = new ArrayList<>();
        final Consumer<String> plain = lines::add;
        assertTrue(LogLevel.enabled(plain, LogLevel.DEBUG));
        LogLevel.log(plain, LogLevel.DEBUG, "debug");
        LogLevel.log(plain, LogLevel.ERROR, "error");
        assertEquals(List.of("debug", "error"), lines);
    }

    private static List<String> written(final LogLevel level)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final DaemonLog log = new DaemonLog("esp4j0", out, level);
        LogLevel.log(log, LogLevel.ERROR, "error");
        LogLevel.log(log, LogLevel.WARN, "warn");
        log.accept("accepted");
        LogLevel.log(log, LogLevel.INFO, "info");
        LogLevel.log(log, LogLevel.DEBUG, "debug");
        final List<String> texts = new ArrayList<>();
        for (final String line : out.toString(StandardCharsets.UTF_8).split("\n"))
        {
            if (!line.isEmpty())
            {
                texts.add(line.substring(line.indexOf("] ") + 2));
            }
        }
        return texts;
    }
}
