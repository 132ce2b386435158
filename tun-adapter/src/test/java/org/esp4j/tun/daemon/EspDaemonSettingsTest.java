package org.esp4j.tun.daemon;

import org.esp4j.tun.jna.CpuSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings the daemon refuses before it sets anything up (this JVM runs without jdk.incubator.vector). */
class EspDaemonSettingsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRefuseMultiBufferOnWithoutTheVectorModuleBeforeSettingAnythingUp()
    {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty(),
            "tun-adapter's tests run without --add-modules jdk.incubator.vector");
        final Path counters = dir.resolve("esp4j-test.counters");
        final List<String> log = new ArrayList<>();
        final EspDaemon daemon = new EspDaemon(DaemonConfig.builder()
            .set("tun.name", "esp4jmb0")
            .set("counters.file", counters.toString())
            .set("crypto.multibuffer", "on")
            .build(), log::add, null);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, daemon::start);
        assertEquals("crypto.multibuffer=on needs the JVM option --add-modules jdk.incubator.vector", ex.getMessage());
        assertFalse(Files.exists(counters), "nothing set up");
        assertTrue(log.contains("start failed: " + ex.getMessage()), log.toString());
    }

    @Test
    void shouldRefuseAPacketCpuThisProcessMayNotRunOnBeforeSettingAnythingUp()
    {
        final List<Integer> allowed = CpuSet.allowedForThisThread();
        final int notAllowed = allowed.get(allowed.size() - 1) + 1; // CPUs are numbered from 0: past the last one
        final Path counters = dir.resolve("esp4j-test.counters");
        final List<String> log = new ArrayList<>();
        final EspDaemon daemon = new EspDaemon(DaemonConfig.builder()
            .set("tun.name", "esp4jcpu0")
            .set("counters.file", counters.toString())
            .set("packet.cpus", "0," + notAllowed)
            .build(), log::add, null);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, daemon::start);
        assertEquals("packet.cpus: CPU " + notAllowed + " is not one this process may run on (" +
            CpuSet.toList(allowed) + ")", ex.getMessage());
        assertFalse(Files.exists(counters), "nothing set up");
        assertTrue(log.contains("start failed: " + ex.getMessage()), log.toString());
    }
}
