package org.esp4j.tun.daemon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonSettingTest
{
    /** The header of README's table of config keys; the rows follow it up to the first line not starting '|'. */
    static final String README_TABLE_HEADER = "| key | value | default | meaning |";

    @Test
    void shouldDocumentEveryKeyInTheReadmeTableAndNoStaleOne() throws IOException
    {
        final List<String> lines = Files.readAllLines(readme(), StandardCharsets.UTF_8);
        final int header = lines.indexOf(README_TABLE_HEADER);
        assertTrue(header >= 0, "README.md has no line " + README_TABLE_HEADER);
        final List<String> rows = new ArrayList<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++)
        {
            rows.add(lines.get(i));
        }
        final List<String> expected = new ArrayList<>();
        for (final DaemonSetting setting : DaemonSetting.values())
        {
            expected.add(setting.markdownRow());
        }
        assertEquals(String.join("\n", expected), String.join("\n", rows),
            "README's table of config keys must be DaemonSetting's (paste the expected rows)");
    }

    @Test
    void shouldAcceptExactlyTheKeysOfTheTable()
    {
        assertEquals(DaemonSetting.keys(), DaemonConfig.KEYS);
        for (final DaemonSetting setting : DaemonSetting.values())
        {
            assertNotNull(DaemonSetting.byKey(setting.key()));
        }
    }

    @Test
    void shouldApplyTheDefaultsTheTableStates()
    {
        final DaemonConfig.Builder explicit = DaemonConfig.builder().environment(Map.of());
        for (final DaemonSetting setting : DaemonSetting.values())
        {
            if (!setting.defaultValue().isEmpty())
            {
                explicit.set(setting.key(), setting.defaultValue().replace("TUN", DaemonConfig.DEFAULT_TUN_NAME));
            }
        }
        final DaemonConfig given = explicit.build();
        final DaemonConfig defaults = DaemonConfig.builder().build();
        assertEquals(defaults.tunName(), given.tunName());
        assertEquals(defaults.tunMtu(), given.tunMtu());
        assertEquals(defaults.tunTxQueueLength(), given.tunTxQueueLength());
        assertEquals(defaults.tunOffload(), given.tunOffload());
        assertEquals(defaults.pathMtu(), given.pathMtu());
        assertEquals(defaults.carrier(), given.carrier());
        assertEquals(defaults.udpPort(), given.udpPort());
        assertEquals(defaults.udpChecksum(), given.udpChecksum());
        assertEquals(defaults.mark(), given.mark());
        assertEquals(defaults.routingSettings(), given.routingSettings());
        assertEquals(defaults.countersFile(), given.countersFile());
        assertEquals(defaults.controlSocket(), given.controlSocket());
        assertEquals(defaults.burst(), given.burst());
        assertEquals(defaults.idlePollMs(), given.idlePollMs());
        assertEquals(defaults.inboundFilter(), given.inboundFilter());
        assertEquals(defaults.multiBuffer(), given.multiBuffer());
        assertEquals(defaults.carrierRing(), given.carrierRing());
        assertEquals(defaults.logLevel(), given.logLevel());
        assertEquals(defaults.profile(), given.profile());
        assertEquals(defaults.packetThreads(), given.packetThreads());
        assertEquals(defaults.idleSpinUs(), given.idleSpinUs());
    }

    private static Path readme()
    {
        Path dir = Path.of("").toAbsolutePath();
        // the module has no README of its own: the first README.md up the tree is the project's
        while (dir != null && !Files.exists(dir.resolve("README.md")))
        {
            dir = dir.getParent();
        }
        assertNotNull(dir, "README.md not found above " + Path.of("").toAbsolutePath());
        return dir.resolve("README.md");
    }
}
