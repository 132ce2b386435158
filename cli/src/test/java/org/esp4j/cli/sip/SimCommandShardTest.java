package org.esp4j.cli.sip;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sim ue --shard I/S}, {@code --times FILE} and {@code --sustain S}: refused, with one line and status 2, where they make no sense,
 * before anything starts (no address added, no socket opened).
 */
class SimCommandShardTest
{
    @Test
    void shouldRefuseAShardThatDoesNotFitTheFarm()
    {
        final Result result = run("ue", "--ues", "4", "--ue-prefix", "2001:db8:1::/64", "--shard", "5/4");
        assertEquals(2, result.status, result.err);
        assertEquals("esp4j sim ue: --shard: expected I/S with 1 <= I <= S, got 5/4", result.err.lines().findFirst().orElse(""));
    }

    @Test
    void shouldRefuseAMalformedShard()
    {
        final Result result = run("ue", "--ues", "4", "--ue-prefix", "2001:db8:1::/64", "--shard", "two");
        assertEquals(2, result.status, result.err);
        assertTrue(result.err.startsWith("esp4j sim ue: --shard: expected I/S (shard I of S, from 1), got 'two'"), result.err);
    }

    @Test
    void shouldRefuseShardAndTimesOutsideAUeFarm()
    {
        final Result single = run("ue", "--shard", "1/2");
        assertEquals(2, single.status, single.err);
        assertTrue(single.err.startsWith("esp4j sim ue: --shard: only for a UE farm (sim ue --ues N)"), single.err);
        final Result pcscf = run("pcscf", "--ues", "4", "--times", "/tmp/never-written");
        assertEquals(2, pcscf.status, pcscf.err);
        assertTrue(pcscf.err.startsWith("esp4j sim pcscf: --times: only for a UE farm (sim ue --ues N)"), pcscf.err);
    }

    @Test
    void shouldRefuseSustainedLoadOutsideAUeFarmOrWithAHoldOrReregistrations()
    {
        final Result single = run("ue", "--sustain", "10");
        assertEquals(2, single.status, single.err);
        assertTrue(single.err.startsWith("esp4j sim ue: --sustain: only for a UE farm (sim ue --ues N)"), single.err);
        for (final String[] other : new String[][]{ { "--hold", "/tmp/never-written" }, { "--hold-time", "5" },
            { "--reregister", "1" } })
        {
            final Result held = run("ue", "--ues", "4", "--ue-prefix", "2001:db8:1::/64", "--sustain", "10", other[0],
                other[1]);
            assertEquals(2, held.status, held.err);
            assertEquals("esp4j sim ue: --sustain: not with --hold, --hold-time or --reregister",
                held.err.lines().findFirst().orElse(""), String.join(" ", other));
        }
    }

    private record Result(int status, String err)
    {
    }

    private static Result run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = SimCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, err.toString(StandardCharsets.UTF_8));
    }
}
