package org.esp4j.core.xfrm;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a line into words the way a POSIX shell would for an {@code ip xfrm} command, so a line copied from a
 * shell script means the same here.
 * <ul>
 *     <li>Words are separated by blanks (space, tab) and line ends.</li>
 *     <li>{@code '...'} quotes everything literally: {@code 'hmac(sha1)'}.</li>
 *     <li>{@code "..."} quotes too; inside it a backslash escapes only {@code "} and {@code \}.</li>
 *     <li>Outside quotes a backslash escapes the next character.</li>
 *     <li>Quoted and unquoted parts next to each other make one word; {@code ""} alone is an empty word
 *         (iproute2's way of giving {@code cipher_null} an empty key).</li>
 *     <li>{@code #} at the start of a word starts a comment to the end of the line; elsewhere it is literal.</li>
 * </ul>
 * Variables, globs and command substitution are not expanded: {@code $} and {@code *} are ordinary characters.
 */
public final class XfrmTokenizer
{
    private XfrmTokenizer()
    {
    }

    /**
     * @param line one line.
     * @return its words, in order.
     * @throws XfrmSyntaxException for an unterminated quote or a trailing backslash.
     */
    public static List<XfrmToken> tokenize(final CharSequence line)
    {
        return tokenize(line, null);
    }

    /**
     * @param line     one line.
     * @param location {@code line 3} or {@code sa.conf:3} for error messages, or null.
     * @return its words, in order.
     * @throws XfrmSyntaxException for an unterminated quote or a trailing backslash.
     */
    public static List<XfrmToken> tokenize(final CharSequence line, final String location)
    {
        final List<XfrmToken> tokens = new ArrayList<>();
        final StringBuilder word = new StringBuilder();
        final int length = line.length();
        int i = 0;
        while (i < length)
        {
            char c = line.charAt(i);
            if (isBlank(c))
            {
                i++;
                continue;
            }
            if (c == '#')
            {
                break;
            }

            final int start = i;
            boolean quoted = false;
            word.setLength(0);
            while (i < length && !isBlank(c = line.charAt(i)))
            {
                if (c == '\'')
                {
                    quoted = true;
                    final int close = indexOf(line, '\'', i + 1);
                    if (close < 0)
                    {
                        // The rest of the line may be a key: name the column only.
                        throw new XfrmSyntaxException(location, tokens.size() + 1, i + 1, null,
                            "unterminated single quote at column " + (i + 1));
                    }
                    word.append(line, i + 1, close);
                    i = close + 1;
                }
                else if (c == '"')
                {
                    quoted = true;
                    i = readDoubleQuoted(line, i, word, location, tokens.size() + 1);
                }
                else if (c == '\\')
                {
                    if (i + 1 >= length)
                    {
                        throw new XfrmSyntaxException(location, tokens.size() + 1, i + 1, null,
                            "backslash at end of line at column " + (i + 1));
                    }
                    word.append(line.charAt(i + 1));
                    i += 2;
                }
                else
                {
                    word.append(c);
                    i++;
                }
            }
            tokens.add(new XfrmToken(word.toString(), tokens.size() + 1, start + 1, quoted));
        }
        return tokens;
    }

    private static int readDoubleQuoted(
        final CharSequence line, final int open, final StringBuilder word, final String location, final int tokenIndex)
    {
        int i = open + 1;
        while (i < line.length())
        {
            final char c = line.charAt(i);
            if (c == '"')
            {
                return i + 1;
            }
            if (c == '\\' && i + 1 < line.length() && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\'))
            {
                word.append(line.charAt(i + 1));
                i += 2;
            }
            else
            {
                word.append(c);
                i++;
            }
        }
        throw new XfrmSyntaxException(location, tokenIndex, open + 1, null,
            "unterminated double quote at column " + (open + 1));
    }

    private static int indexOf(final CharSequence line, final char c, final int from)
    {
        for (int i = from; i < line.length(); i++)
        {
            if (line.charAt(i) == c)
            {
                return i;
            }
        }
        return -1;
    }

    private static boolean isBlank(final char c)
    {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
