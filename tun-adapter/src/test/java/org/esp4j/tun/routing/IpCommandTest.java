package org.esp4j.tun.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IpCommand#runProcess}: the conductor runs {@code ip} and {@code nft} through it, so a child that hangs must
 * cost it the timeout, never more.
 */
class IpCommandTest
{
    @Test
    void shouldTimeOutAChildThatKeepsItsOutputOpen()
    {
        // Without the timeout the call would return normally once the child's output closes, 30 s later.
        final IOException thrown = assertThrows(IOException.class,
            () -> IpCommand.runProcess(List.of("sh", "-c", "echo started; exec sleep 30"), null, 300));
        assertTrue(thrown.getMessage().endsWith("timed out"), thrown.getMessage());
    }

    @Test
    void shouldTimeOutAChildThatDoesNotReadItsInput()
    {
        final String input = "x".repeat(1 << 20); // more than a pipe holds
        final IOException thrown = assertThrows(IOException.class,
            () -> IpCommand.runProcess(List.of("sh", "-c", "exec sleep 30"), input, 300));
        assertTrue(thrown.getMessage().endsWith("timed out"), thrown.getMessage());
    }

    @Test
    void shouldReturnTheExitCodeOutputAndErrorOfAChildThatReadsItsInput() throws IOException
    {
        final IpCommand.Result result = IpCommand.runProcess(
            List.of("sh", "-c", "wc -c; echo oops >&2; exit 3"), "x".repeat(100_000), 10_000);
        assertEquals(3, result.exitCode());
        assertEquals("100000", result.output().trim());
        assertEquals("oops", result.error().trim());
    }

    @Test
    void shouldWaitUntilTheKernelListsTheAddressAsLocal(@TempDir final Path dir) throws IOException
    {
        // a stand-in for ip: no local route for its first three calls (the kernel's work queue not yet run), then one
        final Path calls = dir.resolve("calls");
        final IpCommand ip = new IpCommand(fakeIp(dir, "echo \"$*\" >> " + calls + "\n" +
            "[ $(wc -l < " + calls + ") -gt 3 ] && echo 'local 2001:db8::1 dev tun0 table local proto kernel'\ntrue"), null);

        ip.awaitLocalAddress("2001:db8::1", 30_000);

        final List<String> lines = Files.readAllLines(calls);
        assertEquals(4, lines.size(), lines.toString());
        assertEquals("-6 route show table local 2001:db8::1", lines.get(0));
    }

    @Test
    void shouldFailWithOneLineWhenTheAddressNeverBecomesLocal(@TempDir final Path dir) throws IOException
    {
        final IpCommand ip = new IpCommand(fakeIp(dir, "exit 0"), null);

        final IOException thrown = assertThrows(IOException.class, () -> ip.awaitLocalAddress("198.51.100.1", 50));
        assertEquals("no local route for 198.51.100.1 after 50 ms", thrown.getMessage());
    }

    private static String fakeIp(final Path dir, final String body) throws IOException
    {
        final Path script = dir.resolve("ip");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        assertTrue(script.toFile().setExecutable(true));
        return script.toString();
    }
}
