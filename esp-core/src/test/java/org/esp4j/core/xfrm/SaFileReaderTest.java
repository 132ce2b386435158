package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.PolicyAction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.esp4j.core.xfrm.XfrmStateParserTest.ISSUE_LINE;
import static org.esp4j.core.xfrm.XfrmStateParserTest.MD5_KEY;
import static org.esp4j.core.xfrm.XfrmStateParserTest.SHA1_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SaFileReaderTest
{
    static final String UE_TO_PCSCF = "src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2 proto esp spi 2821032177 " +
        "mode transport replay-window 64 auth-trunc 'hmac(sha1)' 0x" + SHA1_KEY + " 96 enc 'ecb(cipher_null)' \"\"";

    @Test
    void readsOneSaPerLineWithCommentsBlanksAndIpXfrmPrefix(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("sa.conf");
        Files.writeString(file, String.join("\n",
            "# Gm protected ports, from the REGISTER with sec-agree",
            "",
            "ip xfrm state add " + UE_TO_PCSCF + "   # UE -> P-CSCF",
            "   ",
            ISSUE_LINE,
            "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 auth md5 0x" + MD5_KEY + " enc cipher_null ''",
            ""), StandardCharsets.UTF_8);

        final List<SaConfig> sas = SaFileReader.read(file);

        assertEquals(3, sas.size());
        assertEquals(2821032177L, sas.get(0).spi());
        assertEquals(0x0008a23aL, sas.get(1).spi());
        assertEquals(0x100L, sas.get(2).spi());
    }

    @Test
    void errorNamesFileLineAndToken(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("sa.conf");
        Files.writeString(file, "# two SAs\n" + UE_TO_PCSCF + "\n" +
            "src 192.0.2.1 dst 192.0.2.2 flag noecn esn auth hmac(sha2) 0x" + MD5_KEY + " enc cipher_null ''\n",
            StandardCharsets.UTF_8);

        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class, () -> SaFileReader.read(file));

        assertEquals(file + ":3: token 9 'hmac(sha2)': unknown auth algorithm", ex.getMessage());
        assertEquals(file + ":3", ex.location());
        assertFalse(ex.getMessage().contains(MD5_KEY));
    }

    @Test
    void errorsInPrefixAndQuotingNameTheLine()
    {
        assertEquals("sa.conf:2: token 3 'policy': only 'state add' lines belong in an SA file",
            assertThrows(XfrmSyntaxException.class, () -> SaFileReader.parse(ISSUE_LINE + "\n" +
                "ip xfrm policy add dir out\n", "sa.conf")).getMessage());
        assertEquals("sa.conf:1: token 4 'del': only 'state add' lines are read here",
            assertThrows(XfrmSyntaxException.class,
                () -> SaFileReader.parse("ip xfrm state del dst 192.0.2.2 proto esp spi 256", "sa.conf")).getMessage());
        assertEquals("sa.conf:1: token 2 'link': expected 'xfrm' after 'ip'",
            assertThrows(XfrmSyntaxException.class, () -> SaFileReader.parse("ip link", "sa.conf")).getMessage());
        assertEquals("sa.conf:1: token 19: unterminated single quote at column 201",
            assertThrows(XfrmSyntaxException.class,
                () -> SaFileReader.parse(ISSUE_LINE.replace("'ecb(cipher_null)' \"\"", "'ecb(cipher_null)' 'abc"),
                    "sa.conf")).getMessage());
    }

    @Test
    void errorReportsTheLineNumberOfTheFile()
    {
        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class,
            () -> SaFileReader.parse(ISSUE_LINE + "\n\n# x\n" + ISSUE_LINE.replace("transport", "tunnel"), "sa.conf"));

        assertEquals("sa.conf:4: token 10 'tunnel': mode tunnel is not supported: transport only", ex.getMessage());
    }

    @Test
    void preloadReadsStatesAndPolicies()
    {
        final XfrmPreload preload = XfrmPreloadReader.parse(String.join("\n",
            "# esp4j preload",
            "ip xfrm state add " + UE_TO_PCSCF,
            "xfrm state add " + ISSUE_LINE,
            "ip xfrm policy add src 2001::1:d1ae:bb37:d9c9:81d0/128 dst 2001:0:0:1::2/128 proto udp sport 38003 " +
                "dport 50718 dir out tmpl proto esp reqid 1 mode transport",
            "policy add src ::/0 dst ::/0 dir in action block priority 1000"), "preload.conf");

        assertEquals(2, preload.states().size());
        assertEquals(2, preload.policies().size());
        assertEquals(PolicyAction.PROTECT, preload.policies().get(0).action());
        assertEquals(PolicyAction.DISCARD, preload.policies().get(1).action());
    }

    @Test
    void preloadNeedsACommandOnEachLine()
    {
        assertEquals("preload.conf:2: token 1 'src': expected 'state add' or 'policy add'",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmPreloadReader.parse("state add " + ISSUE_LINE + "\n" + ISSUE_LINE, "preload.conf"))
                .getMessage());
        assertEquals("preload.conf:1: token 12 'sideways': invalid dir: in, out or fwd",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmPreloadReader.parse("ip xfrm policy add src ::/0 dst ::/0 proto udp dir sideways",
                    "preload.conf")).getMessage());
    }
}
