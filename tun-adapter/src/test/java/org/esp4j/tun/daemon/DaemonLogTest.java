package org.esp4j.tun.daemon;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

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
        final DaemonLog log = new DaemonLog("esp4j0", out);

        log.accept("sip-bridge: SA_INSTALLED spi 0xce28e247 from [2001:db8::1]:5060");
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
}
