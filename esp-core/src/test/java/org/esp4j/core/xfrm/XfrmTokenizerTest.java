package org.esp4j.core.xfrm;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XfrmTokenizerTest
{
    @Test
    void splitsOnBlanksAndKeepsColumns()
    {
        final List<XfrmToken> tokens = XfrmTokenizer.tokenize("src  10.0.0.1\tdst 10.0.0.2");

        assertEquals(List.of("src", "10.0.0.1", "dst", "10.0.0.2"), texts(tokens));
        assertEquals(1, tokens.get(0).column());
        assertEquals(6, tokens.get(1).column());
        assertEquals(15, tokens.get(2).column());
        assertEquals(4, tokens.get(3).index());
    }

    @Test
    void removesQuotesLikeAShell()
    {
        final List<XfrmToken> tokens = XfrmTokenizer.tokenize("auth-trunc 'hmac(sha1)' \"ecb(cipher_null)\" hmac'('md5')'");

        assertEquals(List.of("auth-trunc", "hmac(sha1)", "ecb(cipher_null)", "hmac(md5)"), texts(tokens));
        assertFalse(tokens.get(0).quoted());
        assertTrue(tokens.get(1).quoted());
        assertEquals(12, tokens.get(1).column());
    }

    @Test
    void emptyQuotesAreAnEmptyWord()
    {
        final List<XfrmToken> tokens = XfrmTokenizer.tokenize("enc cipher_null \"\" x ''");

        assertEquals(List.of("enc", "cipher_null", "", "x", ""), texts(tokens));
        assertTrue(tokens.get(2).quoted());
    }

    @Test
    void quotesKeepBlanksAndBackslashesEscape()
    {
        final List<XfrmToken> tokens = XfrmTokenizer.tokenize("'a b' \"c \\\" d\" e\\ f 'g\\h'");

        assertEquals(List.of("a b", "c \" d", "e f", "g\\h"), texts(tokens));
    }

    @Test
    void hashStartsACommentOnlyAtTheStartOfAWord()
    {
        assertEquals(List.of("spi", "256"), texts(XfrmTokenizer.tokenize("spi 256 # the SPI")));
        assertEquals(List.of("a#b", "#c"), texts(XfrmTokenizer.tokenize("a#b '#c' #d")));
        assertEquals(List.of(), texts(XfrmTokenizer.tokenize("   # only a comment")));
        assertEquals(List.of(), texts(XfrmTokenizer.tokenize("")));
    }

    @Test
    void unterminatedQuoteNamesTheColumnNotTheText()
    {
        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class,
            () -> XfrmTokenizer.tokenize("enc 'cbc(aes)' 'secretkey", "line 4"));

        assertEquals("line 4: token 3: unterminated single quote at column 16", ex.getMessage());
        assertEquals(16, ex.column());
        assertFalse(ex.getMessage().contains("secret"));
    }

    @Test
    void unterminatedDoubleQuoteAndTrailingBackslashAreErrors()
    {
        assertEquals("token 1: unterminated double quote at column 1",
            assertThrows(XfrmSyntaxException.class, () -> XfrmTokenizer.tokenize("\"abc")).getMessage());
        assertEquals("token 2: backslash at end of line at column 3",
            assertThrows(XfrmSyntaxException.class, () -> XfrmTokenizer.tokenize("a \\")).getMessage());
    }

    static List<String> texts(final List<XfrmToken> tokens)
    {
        return tokens.stream().map(XfrmToken::text).toList();
    }
}
