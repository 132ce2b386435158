package org.esp4j.tun.control;

import org.esp4j.core.xfrm.XfrmToken;
import org.esp4j.core.xfrm.XfrmTokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlProtocolTest
{
    @Test
    void quotedWordsComeBackExactlyThroughTheXfrmTokenizer()
    {
        final List<String> words = List.of("xfrm", "state", "add", "enc", "cbc(aes)", "", "it's", "a b",
            "\"double\"", "back\\slash", "#not-a-comment", "$HOME", "*", "tab\there", "ünïcødé");
        final List<XfrmToken> tokens = XfrmTokenizer.tokenize(ControlProtocol.quote(words));
        assertEquals(words, tokens.stream().map(XfrmToken::text).toList());
    }

    @Test
    void lineEndsInsideAWordAreRefused()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ControlProtocol.quote(List.of("xfrm", "state", "list\nxfrm state flush")));
        assertTrue(ex.getMessage().contains("argument 3"), ex.getMessage());
    }

    @Test
    void dataLinesThatLookLikeAStatusAreStuffed()
    {
        for (final String line : List.of("ok", "error: not really", ".hidden", "..", "plain", "", "okay"))
        {
            final String sent = ControlProtocol.stuff(line);
            assertFalse(ControlProtocol.isStatus(sent), sent);
            assertEquals(line, ControlProtocol.unstuff(sent));
        }
        assertEquals("plain", ControlProtocol.stuff("plain"));
        assertTrue(ControlProtocol.isStatus("ok"));
        assertTrue(ControlProtocol.isStatus("error: x"));
    }

    @Test
    void errorStatusIsOneLine()
    {
        assertEquals("error: a b", ControlProtocol.errorStatus("a\nb"));
        assertEquals("error: failed", ControlProtocol.errorStatus(null));
    }
}
