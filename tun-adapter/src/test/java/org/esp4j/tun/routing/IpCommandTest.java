package org.esp4j.tun.routing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
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
}
