package org.esp4j.core.redact;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedactionTest
{
    private static final String KEY = "f769bcd751044604127672711c6d344100000000";

    @Test
    void shouldRedactBareHexKeyInAnyTokenPosition()
    {
        assertEquals("unknown command 'xfrm state <redacted hex, 40 digits>'",
            Redaction.redact("unknown command 'xfrm state " + KEY + "'"));
        assertEquals("<redacted hex, 40 digits> first", Redaction.redact(KEY + " first"));
        assertEquals("last <redacted hex, 40 digits>", Redaction.redact("last " + KEY));
    }

    @Test
    void shouldRedactPrefixedHexLongerThanThirtyTwoBits()
    {
        assertEquals("spi <redacted hex, 9 digits>", Redaction.redact("spi 0x100000000"));
        assertEquals("auth <redacted hex, 40 digits> 96", Redaction.redact("auth 0x" + KEY + " 96"));
    }

    @Test
    void shouldRedactKeyGluedToPunctuation()
    {
        assertEquals("k=<redacted hex, 32 digits>, opc=<redacted hex, 32 digits>",
            Redaction.redact("k=465b5ce8b199b49faa5f0a2ee238a6bc, opc=cd63cb71954a9f4e48a5994e37a02baf"));
        assertEquals("'<redacted hex, 16 digits>'", Redaction.redact("'465b5ce8b199b49f'"));
    }

    @Test
    void shouldKeepAddressesSpisAndShortHex()
    {
        final String text = "src 2001:db8::1:d1ae:bb37:d9c9:81d0 dst 192.0.2.1 spi 0xce28e247 reqid 7 " +
            "465b5ce8b199b49 hmac(sha1) sa.conf:3";

        assertSame(text, Redaction.redact(text));
        assertFalse(Redaction.looksLikeKey("0xce28e247"));
        assertFalse(Redaction.looksLikeKey("465b5ce8b199b49"));
    }

    @Test
    void shouldNotRedactWordsThatAreNotAllHex()
    {
        assertEquals("465b5ce8b199b49faa5f0a2ee238a6bg", Redaction.redact("465b5ce8b199b49faa5f0a2ee238a6bg"));
        assertTrue(Redaction.looksLikeKey("465b5ce8b199b49f"));
        assertFalse(Redaction.looksLikeKey("465b5ce8b199b49g"));
    }

    @Test
    void shouldRedactEveryLinePrintedToARedactingStream()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream err = Redaction.redacting(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        err.println("esp4j: unknown command '" + KEY + "'");
        err.print("half " + KEY.substring(0, 20));
        err.print(KEY.substring(20) + " whole\n");
        err.printf("spi 0x%08x ok%n", 0xce28e247L);

        assertEquals("esp4j: unknown command '<redacted hex, 40 digits>'\nhalf <redacted hex, 40 digits> whole\n" +
            "spi 0xce28e247 ok" + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRedactEachLineOfOneWriteThatHoldsSeveralLinesAndAKeySplitAcrossWrites()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream err = Redaction.redacting(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        final byte[] two = ("a " + KEY + "\nb 0x1234\nc " + KEY.substring(0, 10)).getBytes(StandardCharsets.UTF_8);
        err.write(two, 0, two.length);
        assertEquals("a <redacted hex, 40 digits>\nb 0x1234\n", bytes.toString(StandardCharsets.UTF_8),
            "whole lines go at once, the partial one waits");
        final byte[] rest = (KEY.substring(10) + "\n").getBytes(StandardCharsets.UTF_8);
        err.write(rest, 0, rest.length);

        assertEquals("a <redacted hex, 40 digits>\nb 0x1234\nc <redacted hex, 40 digits>\n",
            bytes.toString(StandardCharsets.UTF_8));
    }
}
