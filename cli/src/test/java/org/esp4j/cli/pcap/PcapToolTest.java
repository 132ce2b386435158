package org.esp4j.cli.pcap;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.esp4j.core.testutil.EspSa;
import org.esp4j.core.testutil.EspVector;
import org.esp4j.core.testutil.EspVectors;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The offline tool end to end on the shared pcaps: the SA file is written in {@code ip xfrm state add} syntax from
 * vectors.json's SA list, and the tool's per-frame verdicts and output capture are checked against the vectors.
 */
class PcapToolTest
{
    private static final EspVectors VECTORS = EspVectors.load();

    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @ParameterizedTest
    @ValueSource(strings = { "esp_null_md5.pcap", "esp_null_sha1.pcap", "esp_aescbc_md5.pcap", "esp_aescbc_sha1.pcap",
        "esp_replay_window.pcap" })
    void shouldGiveEveryFrameItsExpectedVerdictAndPlaintext(final String pcap) throws IOException
    {
        final Path saFile = writeSaFile(pcap);
        final Path out = dir.resolve("out.pcap");
        final int status = run("pcap", "unprotect", "--sa", saFile.toString(), "--verdicts",
            EspVectors.resourcePath(pcap).toString(), out.toString());
        assertEquals(0, status, stderr.toString());

        final List<EspVector> vectors = VECTORS.inPcap(pcap);
        final List<String> lines = Arrays.stream(stdout.toString(StandardCharsets.UTF_8).split("\n"))
            .filter(l -> l.startsWith("frame ")).toList();
        assertEquals(vectors.size(), lines.size());
        final List<byte[]> written = readNetworkLayers(out);
        for (final EspVector vector : vectors)
        {
            final String line = lines.get(vector.frame() - 1);
            final String verdict = line.split(" ")[6];
            assertEquals(vector.expectAccept() ? "accept" : "drop", verdict, vector.name() + ": " + line);
            assertTrue(line.contains(String.format("spi 0x%08x", vector.spi())), line);
            final byte[] expected = vector.expectAccept() ? vector.plaintext() : vector.espIp();
            assertEquals(Hex.encode(expected), Hex.encode(written.get(vector.frame() - 1)), vector.name());
        }
        assertTrue(stdout.toString().contains("XfrmInStateSeqError"), stdout.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = { "esp_null_md5.pcap", "esp_null_sha1.pcap" })
    void shouldProtectDecryptedCaptureBackToTheReferenceBytes(final String pcap) throws IOException
    {
        // Raw-ESP SAs only: a plaintext packet does not say which encapsulation it should get.
        final Path saFile = writeSaFile(pcap, false);
        final Path plain = dir.resolve("plain.pcap");
        final Path again = dir.resolve("again.pcap");
        assertEquals(0, run("pcap", "unprotect", "--sa", saFile.toString(), EspVectors.resourcePath(pcap).toString(),
            plain.toString()), stderr.toString());
        stdout.reset();
        assertEquals(0, run("pcap", "protect", "--sa", saFile.toString(), "--verdicts", plain.toString(),
            again.toString()), stderr.toString());

        final List<byte[]> protectedFrames = readNetworkLayers(again);
        for (final EspVector vector : VECTORS.inPcap(pcap))
        {
            if (vector.expectAccept() && "raw".equals(vector.encap()))
            {
                // Accepted frames are the first two of each SA, sequence 1 and 2: protecting them anew with
                // NULL encryption must give the reference bytes again.
                assertEquals(Hex.encode(vector.espIp()), Hex.encode(protectedFrames.get(vector.frame() - 1)),
                    vector.name());
            }
        }
    }

    @Test
    void shouldRejectMalformedSaLineNamingFileLineAndToken() throws IOException
    {
        final Path saFile = dir.resolve("bad.sa");
        Files.writeString(saFile, "# comment\nsrc 2001::1 dst 2001::2 proto esp spi 0x1000 mode transport " +
            "auth-trunc 'hmac(sha2)' 0x00112233445566778899aabbccddeeff00112233 96 enc 'ecb(cipher_null)' \"\"\n");
        final int status = run("pcap", "unprotect", "--sa", saFile.toString(),
            EspVectors.resourcePath("esp_null_md5.pcap").toString(), dir.resolve("o.pcap").toString());
        assertEquals(2, status);
        final String error = stderr.toString();
        assertTrue(error.contains("bad.sa:2"), error);
        assertTrue(error.contains("hmac(sha2)"), error);
        assertFalse(error.contains("00112233445566778899"), "key bytes must not be printed: " + error);
    }

    @Test
    void shouldRejectKeyOfWrongLength() throws IOException
    {
        final Path saFile = dir.resolve("short.sa");
        Files.writeString(saFile, "src 2001::1 dst 2001::2 proto esp spi 0x1000 mode transport " +
            "auth hmac(md5) 0x0011 enc 'ecb(cipher_null)' \"\"\n");
        assertEquals(2, run("pcap", "unprotect", "--sa", saFile.toString(),
            EspVectors.resourcePath("esp_null_md5.pcap").toString(), dir.resolve("o.pcap").toString()));
        assertTrue(stderr.toString().contains("short.sa:1"), stderr.toString());
    }

    @Test
    void shouldRejectUnreadableCapture() throws IOException
    {
        final Path saFile = writeSaFile("esp_null_md5.pcap");
        final Path notPcap = dir.resolve("notes.txt");
        Files.writeString(notPcap, "this is not a capture file at all");
        assertEquals(2, run("pcap", "unprotect", "--sa", saFile.toString(), notPcap.toString(),
            dir.resolve("o.pcap").toString()));
        assertTrue(stderr.toString().contains("notes.txt"), stderr.toString());
        stderr.reset();
        assertEquals(2, run("pcap", "unprotect", "--sa", saFile.toString(), dir.resolve("missing.pcap").toString(),
            dir.resolve("o.pcap").toString()));
        assertTrue(stderr.toString().contains("missing.pcap: no such file"), stderr.toString());
    }

    @Test
    void shouldPrintWiresharkLinesForEverySa() throws IOException
    {
        final Path saFile = writeSaFile("esp_null_sha1.pcap");
        assertEquals(0, run("wireshark", "--sa", saFile.toString()), stderr.toString());
        final String text = stdout.toString();
        assertTrue(text.contains("\"IPv6\",\"2001::1:d1ae:bb37:d9c9:81d0\",\"2001::1:0:0:0:2\"") ||
            text.contains("\"IPv6\",\"2001::1:d1ae:bb37:d9c9:81d0\""), text);
        assertTrue(text.contains("\"0xa82588f1\""), text);
        assertTrue(text.contains("HMAC-SHA-1-96 [RFC2404]"), text);
    }

    @Test
    void shouldExplainUsage()
    {
        assertEquals(2, run("pcap", "decrypt", "--sa", "x", "a", "b"));
        assertTrue(stderr.toString().contains("usage: esp4j pcap"), stderr.toString());
    }

    private int run(final String command, final String... args)
    {
        final PrintStream out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        return "pcap".equals(command) ? PcapTool.run(args, out, err) : WiresharkTool.run(args, out, err);
    }

    /** One raw and one UDP-encapsulated SA per vectors.json SA of the pcap, in ip xfrm state add syntax. */
    private Path writeSaFile(final String pcap) throws IOException
    {
        return writeSaFile(pcap, !pcap.equals("esp_replay_window.pcap"));
    }

    private Path writeSaFile(final String pcap, final boolean withEncapsulated) throws IOException
    {
        final StringBuilder sb = new StringBuilder("# generated from vectors.json for " + pcap + "\n");
        for (final EspSa sa : VECTORS.sas())
        {
            if (!sa.pcap().equals(pcap))
            {
                continue;
            }
            final String auth = sa.authAlg().equals("HMAC-MD5-96") ? "'hmac(md5)'" : "'hmac(sha1)'";
            final String enc = sa.cryptAlg().equals("NULL") ? "'ecb(cipher_null)' \"\"" :
                "'cbc(aes)' 0x" + Hex.encode(sa.cryptKey());
            final String line = "src " + sa.src() + " dst " + sa.dst() + " proto esp spi " + sa.spiHex() +
                " mode transport replay-window 64 auth-trunc " + auth + " 0x" + Hex.encode(sa.authKey()) + " 96 enc " + enc;
            sb.append(line).append('\n');
            if (withEncapsulated)
            {
                sb.append(line).append(" encap espinudp 4500 4500 0.0.0.0\n");
            }
        }
        final Path file = dir.resolve(pcap + ".sa");
        Files.writeString(file, sb.toString());
        return file;
    }

    private static List<byte[]> readNetworkLayers(final Path pcap) throws IOException
    {
        final List<byte[]> frames = new ArrayList<>();
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                frames.add(Arrays.copyOfRange(frame.data(), frame.networkOffset(), frame.length()));
            }
        }
        return frames;
    }

    @Test
    void shouldKeepFramesItDoesNotTouchIdentical() throws IOException
    {
        final Path saFile = dir.resolve("none.sa");
        Files.writeString(saFile, "# no SAs\n");
        final Path out = dir.resolve("same.pcap");
        assertEquals(0, run("pcap", "unprotect", "--sa", saFile.toString(),
            EspVectors.resourcePath("esp_null_md5.pcap").toString(), out.toString()), stderr.toString());
        assertArrayEquals(Files.readAllBytes(EspVectors.resourcePath("esp_null_md5.pcap")), Files.readAllBytes(out));
    }

    @Test
    void shouldBlameTheOutputPathWhenItsDirectoryIsMissing() throws IOException
    {
        final Path saFile = writeSaFile("esp_null_md5.pcap");
        final Path out = dir.resolve("nonexistent-dir").resolve("out.pcap");
        assertEquals(2, run("pcap", "unprotect", "--sa", saFile.toString(),
            EspVectors.resourcePath("esp_null_md5.pcap").toString(), out.toString()));
        assertEquals("esp4j pcap: " + out + ": cannot create: no such directory " + out.getParent() + "\n",
            stderr.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldNameTheLineOfAnSaFileThatIsNotUtf8() throws IOException
    {
        final Path saFile = dir.resolve("latin1.sa");
        Files.write(saFile, "# r\u00e9seau\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(2, run("wireshark", "--sa", saFile.toString()));
        assertEquals("esp4j wireshark: " + saFile + ":1: column 4: not UTF-8 text (byte 0xe9); save the file as UTF-8\n",
            stderr.toString(StandardCharsets.UTF_8));
        stderr.reset();
        assertEquals(2, run("pcap", "unprotect", "--sa", saFile.toString(),
            EspVectors.resourcePath("esp_null_md5.pcap").toString(), dir.resolve("o.pcap").toString()));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j pcap: " + saFile + ":1: column 4: "),
            stderr.toString());
    }

    /** The daemon's own listing and a preload file give the same rows as the SA file. */
    @Test
    void shouldPrintTheSameWiresharkLinesFromAStateListingAndAPreloadFile() throws IOException
    {
        final Path saFile = writeSaFile("esp_null_sha1.pcap", false);
        assertEquals(0, run("wireshark", "--sa", saFile.toString()), stderr.toString());
        final String fromSaFile = stdout.toString(StandardCharsets.UTF_8);
        assertTrue(fromSaFile.contains("HMAC-SHA-1-96 [RFC2404]"), fromSaFile);

        final StringBuilder listing = new StringBuilder();
        final StringBuilder preload = new StringBuilder("# preload\n");
        for (final org.esp4j.core.sa.SaConfig sa : org.esp4j.core.xfrm.SaFileReader.read(saFile))
        {
            listing.append(org.esp4j.core.xfrm.XfrmFormatter.formatState(sa, true));
            preload.append("state add ").append(org.esp4j.core.xfrm.XfrmFormatter.toStateAddArgs(sa, true))
                .append("\npolicy add src ::/0 dst ::/0 dir out tmpl proto esp mode transport\n");
        }
        for (final String text : new String[]{ listing.toString(), preload.toString() })
        {
            final Path file = Files.writeString(dir.resolve("other.txt"), text);
            stdout.reset();
            assertEquals(0, run("wireshark", "--sa", file.toString()), stderr.toString());
            assertEquals(fromSaFile, stdout.toString(StandardCharsets.UTF_8), text);
        }
        assertEquals("", stderr.toString(StandardCharsets.UTF_8));
    }

    /** Wireshark 4.0 has no GMAC entry: no row that would make it misread the IV, and a warning saying so. */
    @Test
    void shouldWarnThatWiresharkCannotDissectGmacAndCommentItsRowOut() throws IOException
    {
        final Path saFile = Files.writeString(dir.resolve("gmac.sa"), "src 2001:db8::1 dst 2001:db8::2 proto esp " +
            "spi 0x00001235 aead 'rfc4543(gcm(aes))' 0x00112233445566778899aabbccddeeffa1b2c3d4 128\n");
        assertEquals(0, run("wireshark", "--sa", saFile.toString()));
        final String rows = stdout.toString(StandardCharsets.UTF_8);
        assertTrue(rows.contains("\n# AES-GMAC, no Wireshark entry: \"IPv6\",\"2001:db8::1\",\"2001:db8::2\",\"0x00001235\""),
            rows);
        assertFalse(rows.lines().anyMatch(line -> line.startsWith("\"")), "no live row: " + rows);
        final String warning = stderr.toString(StandardCharsets.UTF_8);
        assertTrue(warning.startsWith("esp4j wireshark: SPI 0x00001235: AES-GMAC (RFC 4543) has no Wireshark entry"),
            warning);
        assertTrue(warning.contains("IV"), warning);
    }

    @Test
    void shouldPrintHelpOnStandardOutputWithStatusZero()
    {
        for (final String command : new String[]{ "pcap", "wireshark" })
        {
            stdout.reset();
            assertEquals(0, run(command, "--help"), command);
            assertTrue(stdout.toString(StandardCharsets.UTF_8).startsWith("usage: esp4j " + command), stdout.toString());
        }
        assertEquals("", stderr.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("wireshark", "--bogus", "x"));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("esp4j wireshark: unknown argument '--bogus'\n"),
            stderr.toString());
    }
}
