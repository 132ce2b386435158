package org.esp4j.cli.demo;

import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code esp4j demo} as CI runs it (root): the seed's registration between two namespaces, each with an esp4j
 * daemon and a simulator, on both families and both carriers, with one re-registration and a de-registration. The
 * demo checks the wire itself (tcpdump); this test asserts what it printed -- the ladder with each message's SA, the
 * wire check, no drop while registered -- and that the lab is gone: no namespace, process or counters file left.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DemoEndToEndTest
{
    private final long pid = ProcessHandle.current().pid();

    @AfterEach
    void removeCapture() throws IOException
    {
        Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"), "esp4j-demo-" + pid + ".pcap"));
    }

    @ParameterizedTest
    @CsvSource({ "false, raw", "true, udp" })
    void shouldRunTheSeedsRegistrationWithIpsecOnTheWireAndLeaveNothingBehind(final boolean ipv4, final String carrier)
        throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final List<String> args = new java.util.ArrayList<>(List.of("--carrier", carrier, "--reregister", "1",
            "--deregister"));
        if (ipv4)
        {
            args.add("--ipv4");
        }
        final int status = DemoCommand.run(args.toArray(new String[0]), out, out);
        final String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);

        // the seed's ladder, each message on its SA (the UE's view; the demo matched each one on the wire)
        assertLadder(text, "REGISTER \\(1 REGISTER\\)\\s+\\d+ B  unprotected");
        assertLadder(text, "401 Unauthorized \\(1 REGISTER\\)\\s+\\d+ B  unprotected");
        assertLadder(text, "sent TCP \\S+:38003 -> \\S+:50718  REGISTER \\(2 REGISTER\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  TCP \\S+:50718 -> \\S+:38003  200 OK \\(2 REGISTER\\)\\s+\\d+ B  SA spi 565817 ");
        assertLadder(text, "sent UDP \\S+:38003 -> \\S+:50718  SUBSCRIBE \\(1 SUBSCRIBE\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  UDP \\S+:50717 -> \\S+:39003  200 OK \\(1 SUBSCRIBE\\)\\s+\\d+ B  SA spi 565818 ");
        assertLadder(text, "got  \\w+ \\S+:50717 -> \\S+:39003  NOTIFY \\(1 NOTIFY\\)\\s+\\d+ B  SA spi 565818 ");
        assertLadder(text, "sent \\w+ \\S+:3[89]003 -> \\S+:5071[78]  200 OK \\(1 NOTIFY\\)\\s+\\d+ B  SA spi " +
            "(2821032177|3458785863) ");
        assertLadder(text, "200 OK \\(3 REGISTER\\)\\s+\\d+ B  SA spi 565817 ");
        assertLadder(text, "200 OK \\(4 REGISTER\\)\\s+\\d+ B  SA spi 565817 ");
        assertTrue(text.contains("UE: de-registered"), text);
        // the first REGISTER is over 1,300 bytes with the seed's IPv6 addresses: TCP, as in the seed
        assertLadder(text, (ipv4 ? "sent UDP" : "sent TCP") + " \\S+ -> \\S+:5060  REGISTER \\(1 REGISTER\\)");

        final java.util.regex.Matcher wire = Pattern.compile("wire check \\(\\S+\\): (\\d+) of (\\d+) messages found " +
            "on the veth as the ladder says \\(NULL encryption: SPI, ports and SIP start line each\\), 0 clear packets " +
            "on the protected ports").matcher(text);
        assertTrue(wire.find(), text);
        assertEquals(wire.group(2), wire.group(1), text);
        assertTrue(Integer.parseInt(wire.group(1)) >= 12, text);
        for (final String spi : new String[]{ "0xa82588f1", "0x0008a239", "0x0008a23a", "0xce28e247" })
        {
            assertTrue(text.contains("counters spi " + spi), "both daemons held SA " + spi + ":\n" + text);
        }
        assertFalse(text.contains("(a drop)"), text);
        assertTrue(text.contains("\"" + (ipv4 ? "IPv4" : "IPv6") + "\",") && text.contains("\"HMAC-MD5-96 [RFC2403]\""),
            "esp_sa lines:\n" + text);
        assertTrue(text.contains("esp4j demo: every step held") && text.contains("lab removed"), text);

        // nothing left behind: namespaces (and with them the veth, TUNs, rules, nft tables), processes, files
        final String namespaces = new IpCommand().check("netns", "list").output();
        assertFalse(namespaces.contains("esp4j-ue-" + pid) || namespaces.contains("esp4j-pc-" + pid), namespaces);
        try (Stream<Path> shm = Files.list(Path.of("/dev/shm")))
        {
            assertTrue(shm.noneMatch(path -> path.getFileName().toString().startsWith("esp4j-demo-" + pid + "-")));
        }
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive), "no child process left");
    }

    @Test
    void shouldMoveToTheNewSasWhenTheReregistrationIsRechallenged() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final int status = DemoCommand.run(new String[]{ "--reregister", "1", "--rechallenge", "--deregister" }, out,
            out);
        final String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);

        // TS 33.203 7.4: the re-REGISTER and its 401 over the old set, the authenticated re-REGISTER over the new one
        assertLadder(text, "sent TCP \\S+:38003 -> \\S+:50718  REGISTER \\(3 REGISTER\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  TCP \\S+:50718 -> \\S+:38003  401 Unauthorized \\(3 REGISTER\\)\\s+\\d+ B  SA spi 565817 ");
        assertLadder(text, "sent TCP \\S+:38005 -> \\S+:50718  REGISTER \\(4 REGISTER\\)\\s+\\d+ B  SA spi 2821032179 ");
        assertLadder(text, "got  TCP \\S+:50718 -> \\S+:38005  200 OK \\(4 REGISTER\\)\\s+\\d+ B  SA spi 565819 ");
        assertLadder(text, "sent TCP \\S+:38005 -> \\S+:50718  REGISTER \\(5 REGISTER\\)\\s+\\d+ B  SA spi 2821032179 ");
        assertTrue(text.contains("P-CSCF: challenge with SQN ff9bb4d0b608") || text.contains("(SQN ff9bb4d0b608)"),
            "a fresh challenge, SQN incremented:\n" + text);
        // after the change no message is on an old SA (the wire check matched each on the veth by SPI)
        final String afterChange = text.substring(text.indexOf("REGISTER (4 REGISTER)"), text.indexOf("UE: de-registered"));
        for (final String oldSpi : new String[]{ "2821032177", "565817", "565818", "3458785863" })
        {
            assertFalse(afterChange.contains("SA spi " + oldSpi + " "), oldSpi + " after the change:\n" + text);
        }
        final java.util.regex.Matcher wire = Pattern.compile("wire check \\(\\S+\\): (\\d+) of (\\d+) messages found " +
            "on the veth as the ladder says \\(NULL encryption: SPI, ports and SIP start line each\\), 0 clear packets " +
            "on the protected ports").matcher(text);
        assertTrue(wire.find(), text);
        assertEquals(wire.group(2), wire.group(1), text);
        // both daemons' bridges installed the new set the sims agreed on
        for (final String spi : new String[]{ "0xa82588f3", "0x0008a23b", "0x0008a23c", "0xce28e249" })
        {
            assertTrue(text.contains("counters spi " + spi), "both daemons held new SA " + spi + ":\n" + text);
        }
        assertFalse(text.contains("(a drop)"), text);
        assertTrue(text.contains("esp4j demo: every step held") && text.contains("lab removed"), text);
    }

    @Test
    void shouldRunTheRegistrationOverRel15AesGcmSasWithEncryptedSipOnTheWire() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final int status = DemoCommand.run(new String[]{ "--ealg", "aes-gcm" }, out, out);
        final String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);

        assertTrue(text.contains("UE: registered over null/aes-gcm SAs"), text);
        assertLadder(text, "sent TCP \\S+:38003 -> \\S+:50718  REGISTER \\(2 REGISTER\\)\\s+\\d+ B  SA spi 2821032177 ");
        assertLadder(text, "got  UDP \\S+:50717 -> \\S+:39003  200 OK \\(1 SUBSCRIBE\\)\\s+\\d+ B  SA spi 565818 ");
        assertTrue(text.contains("aead rfc4106(gcm(aes)) <<Keys hidden>> 128"), text);
        // encrypted: the wire check matches each message by SPI and direction only
        final java.util.regex.Matcher wire = Pattern.compile("wire check \\(\\S+\\): (\\d+) of (\\d+) messages found " +
            "on the veth as the ladder says \\(encrypted: SPI and direction\\), 0 clear packets on the protected ports")
            .matcher(text);
        assertTrue(wire.find(), text);
        assertEquals(wire.group(2), wire.group(1), text);
        assertTrue(Integer.parseInt(wire.group(1)) >= 8, text);
        assertFalse(text.contains("(a drop)"), text);
        assertTrue(text.contains("\"AES-GCM with 16 octet ICV [RFC4106]\""), "esp_sa lines:\n" + text);
        assertTrue(text.contains("esp4j demo: every step held") && text.contains("lab removed"), text);
        final String namespaces = new IpCommand().check("netns", "list").output();
        assertFalse(namespaces.contains("esp4j-ue-" + pid) || namespaces.contains("esp4j-pc-" + pid), namespaces);
    }

    @Test
    void shouldLeaveTheLabUpWithKeepAndRemoveItAllWithThePrintedCommand(@TempDir final Path bin) throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final int status = DemoCommand.run(new String[]{ "--keep" }, out, out);
        final String text = bytes.toString(StandardCharsets.UTF_8);
        boolean removed = false;
        try
        {
            assertEquals(0, status, text);
            assertTrue(text.contains("esp4j demo: every step held") && text.contains("(lab kept)"), text);
            final String ueNs = "esp4j-ue-" + pid;
            final String pcNs = "esp4j-pc-" + pid;
            final String namespaces = new IpCommand().check("netns", "list").output();
            assertTrue(namespaces.contains(ueNs) && namespaces.contains(pcNs), "the lab stays:\n" + namespaces);
            assertTrue(new IpCommand().check("netns", "exec", ueNs, "ip", "-o", "link", "show").output().contains("e4u" + pid),
                "the UE namespace keeps its veth");
            assertTrue(ProcessHandle.current().children().filter(ProcessHandle::isAlive).count() >= 2,
                "both daemons stay up:\n" + text);
            for (final String poke : new String[]{ " stat --sa --socket ", " xfrm state list --socket " })
            {
                assertTrue(text.contains(poke), "prints how to poke the daemons:\n" + text);
            }

            final java.util.regex.Matcher removal = Pattern.compile("(?m)^remove it with:\\R  (.+)$").matcher(text);
            assertTrue(removal.find(), text);
            // the printed command, as a user would paste it; the test runs as root, so sudo only passes it on
            final Path sudo = bin.resolve("sudo");
            Files.writeString(sudo, "#!/bin/sh\nexec \"$@\"\n");
            assertTrue(sudo.toFile().setExecutable(true));
            final ProcessBuilder remove = new ProcessBuilder("/bin/sh", "-c", removal.group(1)).redirectErrorStream(true);
            remove.environment().put("PATH", bin + ":" + System.getenv("PATH"));
            final Process process = remove.start();
            final String removalOutput = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), removal.group(1));
            assertEquals(0, process.exitValue(), removal.group(1) + "\n" + removalOutput);
            removed = true;
        }
        finally
        {
            if (!removed)
            {
                // a failure above: do not leave the lab on the shared machine
                ProcessHandle.current().children().forEach(ProcessHandle::destroy);
                new ProcessBuilder("ip", "netns", "del", "esp4j-ue-" + pid).start().waitFor();
                new ProcessBuilder("ip", "netns", "del", "esp4j-pc-" + pid).start().waitFor();
            }
        }

        final String namespaces = new IpCommand().check("netns", "list").output();
        assertFalse(namespaces.contains("esp4j-ue-" + pid) || namespaces.contains("esp4j-pc-" + pid), namespaces);
        try (Stream<Path> shm = Files.list(Path.of("/dev/shm")))
        {
            assertTrue(shm.noneMatch(path -> path.getFileName().toString().startsWith("esp4j-demo-" + pid + "-")));
        }
        for (final ProcessHandle child : ProcessHandle.current().children().toList())
        {
            child.onExit().get(30, TimeUnit.SECONDS);
        }
        assertTrue(ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive), "no child process left");
    }

    private static void assertLadder(final String text, final String regex)
    {
        assertTrue(Pattern.compile("(?m)^\\s+[0-9.]+ ms  UE " + (regex.startsWith("sent") || regex.startsWith("got") ?
            "" : "\\w+\\s+\\w+ \\S+ -> \\S+  ") + regex).matcher(text).find(), "ladder line /" + regex + "/:\n" + text);
    }
}
