package org.esp4j.core.xfrm;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.esp4j.core.xfrm.XfrmStateParserTest.AES_KEY;
import static org.esp4j.core.xfrm.XfrmStateParserTest.ISSUE_LINE;
import static org.esp4j.core.xfrm.XfrmStateParserTest.SHA1_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SAs from the three kinds of files users have: SA files, preload files with policy lines, and the
 * {@code xfrm state list --keys} listing (written here as iproute2 prints it, ip/ipxfrm.c).
 */
class SaListingReaderTest
{
    /** Two SAs as {@code ip xfrm state list} prints them, and a policy record between them. */
    private static final String LISTING = String.join("\n",
        "src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0",
        "\tproto esp spi 0x0008a23a reqid 0 mode transport",
        "\treplay-window 64 ",
        "\tauth-trunc hmac(sha1) 0x" + SHA1_KEY + " 96",
        "\tenc ecb(cipher_null) ",
        "\tsel src 2001:0:0:1::2/128 dst 2001::1:d1ae:bb37:d9c9:81d0/128 proto udp sport 50718 dport 38003 ",
        "src 2001::1:d1ae:bb37:d9c9:81d0/128 dst 2001:0:0:1::2/128 proto udp sport 38003 dport 50718 ",
        "\tdir out priority 0 ",
        "\ttmpl src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2",
        "\t\tproto esp spi 0xa82588f1 reqid 0 mode transport",
        "src 192.0.2.1 dst 192.0.2.2",
        "\tproto esp spi 0xce28e247 reqid 7 mode transport",
        "\treplay-window 128 flag esn",
        "\tauth-trunc hmac(sha1) 0x" + SHA1_KEY + " 96",
        "\tenc cbc(aes) 0x" + AES_KEY,
        "\tencap type espinudp sport 4500 dport 4501 addr 0.0.0.0",
        "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 ",
        "");

    @TempDir
    Path dir;

    @Test
    void shouldReadTheStatesOfAStateListingAndSkipItsPolicies()
    {
        final List<SaConfig> sas = SaListingReader.parse(LISTING, "list.txt");
        assertEquals(2, sas.size());

        final SaConfig first = sas.get(0);
        assertEquals(0x0008a23aL, first.spi());
        assertEquals(64, first.replayWindowSize());
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, first.integrityAlgorithm());
        assertEquals(SHA1_KEY, HexFormat.of().formatHex(first.integrityKey()));
        assertEquals(EncryptionAlgorithm.NULL, first.encryptionAlgorithm());
        assertEquals(0, first.encryptionKey().length);
        assertEquals(SaConfig.Encapsulation.NONE, first.encapsulation());
        assertTrue(XfrmFormatter.toStateAddArgs(first, false).contains(" proto udp sport 50718 dport 38003"),
            XfrmFormatter.toStateAddArgs(first, false));

        final SaConfig second = sas.get(1);
        assertEquals(0xce28e247L, second.spi());
        assertEquals(7, second.reqid());
        assertEquals(128, second.replayWindowSize());
        assertTrue(second.esn());
        assertEquals(EncryptionAlgorithm.AES_CBC, second.encryptionAlgorithm());
        assertEquals(AES_KEY, HexFormat.of().formatHex(second.encryptionKey()));
        assertEquals(SaConfig.Encapsulation.ESP_IN_UDP, second.encapsulation());
        assertEquals(4500, second.encapsulationSourcePort());
        assertEquals(4501, second.encapsulationDestinationPort());
    }

    @Test
    void shouldReadBackWhatTheFormatterListsForEveryKindOfSa()
    {
        final List<String> lines = List.of(
            ISSUE_LINE + " sel src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0 proto udp sport 50718 dport 38003",
            "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x00001234 aead 'rfc4106(gcm(aes))' " +
                "0x00112233445566778899aabbccddeeffa1b2c3d4 96",
            "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x00001235 aead 'rfc4543(gcm(aes))' " +
                "0x00112233445566778899aabbccddeeffa1b2c3d4 128",
            "src 192.0.2.1 dst 192.0.2.2 proto esp spi 4294967295 replay-window 32 flag esn auth hmac(md5) " +
                "0xf769bcd751044604127672711c6d3441 enc des3_ede 0x000102030405060708090a0b0c0d0e0f1011121314151617 " +
                "encap espinudp 4500 4500 0.0.0.0");
        final StringBuilder listing = new StringBuilder();
        for (final String line : lines)
        {
            listing.append(XfrmFormatter.formatState(XfrmStateParser.parseAdd(line), true));
        }
        final List<SaConfig> read = SaListingReader.parse(listing.toString(), "list.txt");
        assertEquals(lines.size(), read.size());
        for (int i = 0; i < lines.size(); i++)
        {
            // a listing has a sel line for every SA (the kernel gives each the any-selector of its family)
            assertEquals(XfrmFormatter.toStateAddArgs(XfrmStateParser.parseAdd(lines.get(i)), true),
                XfrmFormatter.toStateAddArgs(read.get(i), true).replace(" sel src ::/0 dst ::/0", "")
                .replace(" sel src 0.0.0.0/0 dst 0.0.0.0/0", ""), lines.get(i));
        }
    }

    @Test
    void shouldReadTheStateLinesOfAPreloadFileAndSkipItsPolicyLines()
    {
        final String preload = String.join("\n",
            "# preload",
            "ip xfrm state add " + ISSUE_LINE,
            "policy add src 2001::1:d1ae:bb37:d9c9:81d0/128 dst 2001:0:0:1::2/128 proto udp sport 38003 dport 50718 " +
                "dir out tmpl src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2 proto esp spi 0xa82588f1 mode transport",
            "state add " + ISSUE_LINE.replace("0x0008a23a", "0x0008a239"),
            "");
        final List<SaConfig> sas = SaListingReader.parse(preload, "preload.conf");
        assertEquals(List.of(0x0008a23aL, 0x0008a239L), sas.stream().map(SaConfig::spi).toList());
    }

    @Test
    void shouldRefuseAListingWithHiddenKeysSayingHowToListThem()
    {
        final String hidden = LISTING.replace("0x" + SHA1_KEY, XfrmFormatter.KEYS_HIDDEN);
        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class,
            () -> SaListingReader.parse(hidden, "list.txt"));
        assertTrue(ex.getMessage().startsWith("list.txt:1: "), ex.getMessage());
        assertTrue(ex.getMessage().endsWith("keys hidden: list the SAs with their keys (esp4j xfrm state list --keys)"),
            ex.getMessage());
    }

    @Test
    void shouldNameTheLineAndColumnOfTextThatIsNotUtf8() throws IOException
    {
        final Path file = dir.resolve("latin1.sa");
        final byte[] text = ("# SAs\n# caf\u00e9 in Latin-1: \n" + ISSUE_LINE + "\n").getBytes(
            java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(file, text);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> SaListingReader.read(file));
        assertEquals(file + ":2: column 6: not UTF-8 text (byte 0xe9); save the file as UTF-8", ex.getMessage());
        // the same for the readers of SA files and preload files
        assertEquals(ex.getMessage(), assertThrows(IllegalArgumentException.class,
            () -> SaFileReader.read(file)).getMessage());
        assertEquals(ex.getMessage(), assertThrows(IllegalArgumentException.class,
            () -> XfrmPreloadReader.read(file)).getMessage());
        assertFalse(ex.getMessage().contains("Input length"));
    }
}
