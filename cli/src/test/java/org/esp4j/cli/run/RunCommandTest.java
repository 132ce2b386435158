package org.esp4j.cli.run;

import org.esp4j.tun.daemon.DaemonSetting;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code esp4j run}'s privilege check: {@code CapEff} of {@code /proc/self/status} (hex, linux/capability.h bit 12 for
 * CAP_NET_ADMIN), read before anything is touched, so that a user without it is told what to do in one line.
 */
class RunCommandTest
{
    @Test
    void shouldFindCapNetAdminInTheEffectiveCapabilities()
    {
        assertTrue(RunCommand.hasNetAdmin("Name:\tjava\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n"));
        assertTrue(RunCommand.hasNetAdmin("CapEff:\t0000000000001000\n")); // CAP_NET_ADMIN alone
        assertFalse(RunCommand.hasNetAdmin("Name:\tjava\nCapPrm:\t0000000000001000\nCapEff:\t0000000000000000\n"));
        assertFalse(RunCommand.hasNetAdmin("CapEff:\t0000000000002000\n")); // CAP_NET_RAW only
    }

    @Test
    void shouldLeaveTheVerdictToTheStartWhenTheCapabilitiesCannotBeRead()
    {
        assertTrue(RunCommand.hasNetAdmin(null));
        assertTrue(RunCommand.hasNetAdmin("Name:\tjava\n"));
        assertTrue(RunCommand.hasNetAdmin("CapEff:\tnot hex\n"));
    }

    @Test
    void shouldTellANonRootUserWhatToDoInOneLine()
    {
        assertTrue(RunCommand.NEEDS_NET_ADMIN.contains("root") && RunCommand.NEEDS_NET_ADMIN.contains("CAP_NET_ADMIN"));
        assertFalse(RunCommand.NEEDS_NET_ADMIN.contains("\n"));
    }

    @Test
    void shouldListEveryConfigKeyInRunHelp() throws InterruptedException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(RunCommand.EXIT_OK, RunCommand.run(new String[]{ "--help" },
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith(RunCommand.USAGE + "\n"), text);
        for (final DaemonSetting setting : DaemonSetting.values())
        {
            assertTrue(text.contains("\n  " + setting.key() + " "), setting.key() + " in\n" + text);
        }
    }

    @Test
    void shouldRejectAnUnknownLogLevelInOneLineBeforeStarting() throws InterruptedException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(RunCommand.EXIT_USAGE, RunCommand.run(new String[]{ "--log-level", "loud" },
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("esp4j run: bad config: log.level must be error, warn, info or debug: loud\n",
            err.toString(StandardCharsets.UTF_8));
    }
}
