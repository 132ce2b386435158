package org.esp4j.cli.sip;

import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SipReplayCommandTest
{
    private static final String[] TABLE = {
        "| 1 | UE port-c 38003 -> P-CSCF port-s 50718 | 2821032177 (P-CSCF spi-s) | 0xa82588f1 | hmac-md5-96 | null |",
        "| 2 | P-CSCF port-s 50718 -> UE port-c 38003 | 565817 (UE spi-c) | 0x0008a239 | hmac-md5-96 | null |",
        "| 3 | P-CSCF port-c 50717 -> UE port-s 39003 | 565818 (UE spi-s) | 0x0008a23a | hmac-md5-96 | null |",
        "| 4 | UE port-s 39003 -> P-CSCF port-c 50717 | 3458785863 (P-CSCF spi-c) | 0xce28e247 | hmac-md5-96 | null |",
    };

    @TempDir
    static Path dir;
    private static Path trace;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void copyTrace() throws Exception
    {
        trace = dir.resolve("ims-register-ipsec.sip");
        try (var in = SipReplayCommandTest.class.getResourceAsStream("/traces/ims-register-ipsec.sip"))
        {
            Files.write(trace, in.readAllBytes());
        }
    }

    private int run(final String... args)
    {
        return SipReplayCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out()
    {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintTheFourSeedSasAndTheLadder()
    {
        assertEquals(0, run(trace.toString()));

        final String text = out();
        for (final String row : TABLE)
        {
            assertTrue(text.contains(row), row + "\n in \n" + text);
        }
        assertEquals(4, text.lines().filter(line -> line.matches("\\| [1-4] \\|.*")).count());
        assertEquals(8, text.lines().filter(line -> line.matches("\\s+\\d+\\s+(TCP|UDP)\\s+UE:.*")).count());
        assertTrue(text.contains("UE:42368 -- REGISTER (CSeq 1)"), text);
        assertTrue(text.lines().anyMatch(line -> line.contains("REGISTER (CSeq 1)") && line.endsWith("unprotected")));
        assertTrue(text.lines().anyMatch(line -> line.contains("REGISTER (CSeq 2)") && line.endsWith("SA1 (spi 2821032177)")));
        assertTrue(text.lines().anyMatch(line -> line.contains("NOTIFY") && line.endsWith("SA3 (spi 565818)")));
        assertTrue(text.contains("Content-Length 740 does not match"), text);
        assertFalse(text.contains("0x{"), "no keys or key placeholders without --keys");
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintTheSameTableInTheUeRole()
    {
        assertEquals(0, run(trace.toString(), "--role", "ue"));

        for (final String row : TABLE)
        {
            assertTrue(out().contains(row), row);
        }
    }

    @Test
    void shouldReportDigestMismatchWhenKeysDoNotMatchTheTrace()
    {
        assertEquals(0, run(trace.toString(), "--k", "465b5ce8b199b49faa5f0a2ee238a6bc", "--op", "cdc202d5123e20f62b6d676ac72cb318", "--keys"));

        final String text = out();
        assertTrue(text.contains("digest check MISMATCH"), text);
        assertTrue(text.contains("ip xfrm state add src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2 proto esp spi 0xa82588f1"), text);
        for (final String row : TABLE)
        {
            assertTrue(text.contains(row), row);
        }
    }

    @Test
    void shouldNegotiateAesGcmFromARel15TraceAndPrintRfc4106Sas() throws Exception
    {
        final Path gcm = dir.resolve("ims-register-aes-gcm.sip");
        try (var in = SipReplayCommandTest.class.getResourceAsStream("/traces/ims-register-aes-gcm.sip"))
        {
            Files.write(gcm, in.readAllBytes());
        }
        // keys from a file, so that stderr holds no --k warning and must stay empty
        final Path keys = keyFile("rel15.keys", "rw-------",
            "k=465b5ce8b199b49faa5f0a2ee238a6bc\nop=0xcdc202d5123e20f62b6d676ac72cb318\n");
        for (final String role : new String[]{ "pcscf", "ue" })
        {
            out.reset();
            assertEquals(0, run(gcm.toString(), "--role", role, "--subscriber", keys.toString(), "--keys"));

            final String text = out();
            assertTrue(text.contains("| 1 | UE port-c 38003 -> P-CSCF port-s 50718 | 2821032177 (P-CSCF spi-s) | 0xa82588f1 | null | aes-gcm |"), text);
            assertTrue(text.contains("| 4 | UE port-s 39003 -> P-CSCF port-c 50717 | 3458785863 (P-CSCF spi-c) | 0xce28e247 | null | aes-gcm |"), text);
            // The CK of the trace's RAND and the 32-bit Annex I salt: 20 bytes in one aead clause, ICV 128 bits.
            assertTrue(text.matches("(?s).*proto esp spi 0xa82588f1 reqid 0 mode transport replay-window 64 aead 'rfc4106\\(gcm\\(aes\\)\\)' 0x[0-9a-f]{40} 128 sel .*"), text);
            assertEquals("", err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldFailWithOneLineNamingAMissingFile()
    {
        assertEquals(2, run(dir.resolve("missing.sip").toString()));

        final String error = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, error.lines().count(), error);
        assertTrue(error.contains("missing.sip"), error);
    }

    @Test
    void shouldFailWithOneLineNamingABadOption()
    {
        assertEquals(2, run(trace.toString(), "--k", "0011"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith(SipReplayCommand.PREFIX + "--k:"));
        assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count());
    }

    @Test
    void shouldFailOnUnknownOptionAndUnknownRole()
    {
        assertEquals(2, run(trace.toString(), "--frobnicate"));
        assertEquals(2, run(trace.toString(), "--role", "s-cscf"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("role: expected ue or pcscf"));
    }

    @Test
    void shouldFailOnMalformedTraceNamingTheLine() throws Exception
    {
        final Path bad = dir.resolve("bad.sip");
        Files.writeString(bad, "=== UDP [2001::1]:0 -> [2001::2]:5060\nOPTIONS sip:a SIP/2.0\n\n");

        assertEquals(2, run(bad.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("bad.sip:1"), err.toString(StandardCharsets.UTF_8));
    }

    private static final String K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    private static final String OP = "cdc202d5123e20f62b6d676ac72cb318";

    @Test
    void shouldTakeKeysFromSubscriberFileAsFromOptionsWithoutWarning() throws Exception
    {
        final Path keys = keyFile("subscriber.keys", "rw-------", "# test subscriber\nk=" + K + "\nop=0x" + OP + "\n");
        final Replay fromOptions = replay(Map.of(), trace.toString(), "--k", K, "--op", OP, "--keys");
        final Replay fromFile = replay(Map.of(), trace.toString(), "--subscriber", keys.toString(), "--keys");

        assertEquals(0, fromFile.status, fromFile.err);
        assertTrue(fromFile.out.contains("digest check MISMATCH"), fromFile.out);
        assertEquals(fromOptions.out, fromFile.out);
        assertEquals("", fromFile.err);
    }

    @Test
    void shouldWarnOnceThatKeysGivenAsOptionsAreVisibleToOtherUsers()
    {
        final Replay replay = replay(Map.of(), trace.toString(), "--k", K, "--op", OP);

        assertEquals(0, replay.status);
        assertEquals(1, replay.err.lines().count(), replay.err);
        assertTrue(replay.err.startsWith(SipReplayCommand.PREFIX + "warning: --k/--op/--opc are visible to every "),
            replay.err);
    }

    @Test
    void shouldTakeKeysFromEnvironment()
    {
        final Replay fromOptions = replay(Map.of(), trace.toString(), "--k", K, "--op", OP, "--keys");
        final Replay fromEnvironment = replay(Map.of("ESP4J_K", K, "ESP4J_OP", OP), trace.toString(), "--keys");

        assertEquals(fromOptions.out, fromEnvironment.out);
        assertEquals("", fromEnvironment.err);
    }

    @Test
    void shouldRefuseSubscriberFileThatOthersCanRead() throws Exception
    {
        final Path keys = keyFile("open.keys", "rw-r--r--", "k=" + K + "\nop=" + OP + "\n");
        final Replay replay = replay(Map.of(), trace.toString(), "--subscriber", keys.toString());

        assertEquals(2, replay.status);
        assertEquals(1, replay.err.lines().count(), replay.err);
        assertTrue(replay.err.contains("open.keys: permissions rw-r--r-- are too open"), replay.err);
        assertTrue(replay.err.contains("chmod 600"), replay.err);
        assertFalse(replay.err.contains(K.substring(0, 8)), replay.err);
    }

    @Test
    void shouldNameTheLineNotTheKeyOfAMalformedSubscriberFile() throws Exception
    {
        final Path keys = keyFile("bad.keys", "rw-------", "k " + K + "\nop=" + OP + "\n");
        final Replay replay = replay(Map.of(), trace.toString(), "--subscriber", keys.toString());

        assertEquals(2, replay.status);
        assertTrue(replay.err.contains("bad.keys:1: expected name=value"), replay.err);
        assertFalse(replay.err.contains(K.substring(0, 8)), replay.err);
    }

    /**
     * Every {@code ip xfrm} line {@code --keys} prints, run by the real iproute2 in a namespace of its own: the
     * policies must be taken; a state line must pass iproute2's parser and the kernel's checks up to the ESP type
     * and the algorithm, which a kernel without ESP (CONFIG_INET6_ESP, as CI's) or without GCM then refuses by name.
     * A state whose keys are unknown is printed as a comment (its key placeholder would go in as key bytes).
     */
    @Test
    void shouldPrintIpXfrmLinesThatIpXfrmTakes() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final Path gcm = copy("ims-register-aes-gcm.sip");
        final Path keys = keyFile("xfrm.keys", "rw-------", "k=" + K + "\nop=0x" + OP + "\n");
        final String ns = "esp4j-sipxfrm-" + ProcessHandle.current().pid();
        assertEquals(0, shell("ip netns add " + ns).status);
        try
        {
            final String[][] replays = {
                { trace.toString(), "--subscriber", keys.toString(), "--keys" },
                { gcm.toString(), "--role", "ue", "--subscriber", keys.toString(), "--keys" },
                { trace.toString(), "--keys" } };
            for (final String[] args : replays)
            {
                assertEquals(0, shell("ip -n " + ns + " xfrm state flush && ip -n " + ns + " xfrm policy flush").status);
                final Replay replay = replay(Map.of(), args);
                assertEquals(0, replay.status, replay.err);
                final boolean keysKnown = args.length > 2;
                final List<String> states = replay.out.lines().filter(line -> line.startsWith("ip xfrm state add "))
                    .toList();
                final List<String> commented = replay.out.lines()
                    .filter(line -> line.startsWith("# ip xfrm state add ")).toList();
                final List<String> policies = replay.out.lines().filter(line -> line.startsWith("ip xfrm policy add "))
                    .toList();
                assertEquals(keysKnown ? 4 : 0, states.size(), replay.out);
                assertEquals(keysKnown ? 0 : 4, commented.size(), replay.out);
                assertEquals(8, policies.size(), replay.out);
                for (final String line : states)
                {
                    final Shell added = shell("ip -n " + ns + " " + line.substring("ip ".length()));
                    assertTrue(added.status == 0 || added.err.startsWith("Error: Requested type not found.") ||
                        added.err.startsWith("Error: Requested AEAD algorithm not found."),
                        line + "\n" + added.status + " " + added.err);
                }
                for (final String line : policies)
                {
                    final Shell added = shell("ip -n " + ns + " " + line.substring("ip ".length()));
                    assertEquals(0, added.status, line + "\n" + added.err);
                }
                assertTrue(shell("ip -n " + ns + " xfrm policy count").out.contains("IN  4 OUT 4"),
                    shell("ip -n " + ns + " xfrm policy list").out);
            }
        }
        finally
        {
            shell("ip netns del " + ns);
        }
    }

    private static Path copy(final String name) throws Exception
    {
        final Path copy = dir.resolve(name);
        try (var in = SipReplayCommandTest.class.getResourceAsStream("/traces/" + name))
        {
            Files.write(copy, in.readAllBytes());
        }
        return copy;
    }

    private static Shell shell(final String command) throws Exception
    {
        final Process process = new ProcessBuilder("sh", "-c", command).redirectInput(ProcessBuilder.Redirect.from(
            new java.io.File("/dev/null"))).start();
        final var out = process.getInputStream().readAllBytes();
        final var err = process.getErrorStream().readAllBytes();
        return new Shell(process.waitFor(), new String(out, StandardCharsets.UTF_8),
            new String(err, StandardCharsets.UTF_8));
    }

    private record Shell(int status, String out, String err)
    {
    }

    private static Path keyFile(final String name, final String permissions, final String text) throws Exception
    {
        final Path file = dir.resolve(name);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static Replay replay(final Map<String, String> env, final String... args)
    {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        final int status = SipReplayCommand.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8), env);
        return new Replay(status, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    }

    private record Replay(int status, String out, String err)
    {
    }
}
