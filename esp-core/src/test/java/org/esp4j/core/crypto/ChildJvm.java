package org.esp4j.core.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs a probe's {@code main} in a child JVM on this test's class path with the given JVM options. */
final class ChildJvm
{
    private ChildJvm()
    {
    }

    /** @return what the probe printed, trimmed; fails the test if it did not exit with 0 within 60 s. */
    static String run(final Class<?> probe, final String... jvmArgs) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("-Xshare:auto");
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), probe.getName()));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe did not exit");
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
