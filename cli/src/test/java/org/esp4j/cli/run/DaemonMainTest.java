package org.esp4j.cli.run;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code esp4j run}'s privilege check: {@code CapEff} of {@code /proc/self/status} (hex, linux/capability.h bit 12 for
 * CAP_NET_ADMIN), read before anything is touched, so that a user without it is told what to do in one line.
 */
class DaemonMainTest
{
    @Test
    void shouldFindCapNetAdminInTheEffectiveCapabilities()
    {
        assertTrue(DaemonMain.hasNetAdmin("Name:\tjava\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n"));
        assertTrue(DaemonMain.hasNetAdmin("CapEff:\t0000000000001000\n")); // CAP_NET_ADMIN alone
        assertFalse(DaemonMain.hasNetAdmin("Name:\tjava\nCapPrm:\t0000000000001000\nCapEff:\t0000000000000000\n"));
        assertFalse(DaemonMain.hasNetAdmin("CapEff:\t0000000000002000\n")); // CAP_NET_RAW only
    }

    @Test
    void shouldLeaveTheVerdictToTheStartWhenTheCapabilitiesCannotBeRead()
    {
        assertTrue(DaemonMain.hasNetAdmin(null));
        assertTrue(DaemonMain.hasNetAdmin("Name:\tjava\n"));
        assertTrue(DaemonMain.hasNetAdmin("CapEff:\tnot hex\n"));
    }

    @Test
    void shouldTellANonRootUserWhatToDoInOneLine()
    {
        assertTrue(DaemonMain.NEEDS_NET_ADMIN.contains("root") && DaemonMain.NEEDS_NET_ADMIN.contains("CAP_NET_ADMIN"));
        assertFalse(DaemonMain.NEEDS_NET_ADMIN.contains("\n"));
    }
}
