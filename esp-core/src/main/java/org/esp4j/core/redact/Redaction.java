package org.esp4j.core.redact;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The one rule for what looks like key material, so that no error message, log line or control-socket answer
 * echoes a key a user typed in the wrong place (a config line with a blank instead of {@code =}, a key where a
 * command word was expected, half a key split off by a blank).
 * <p>
 * A <em>word</em> is a maximal run of ASCII letters and digits. A word looks like a key when it is
 * <ul>
 *   <li>{@code 0x} followed by more than 8 hex digits: a hex number too long for an SPI, reqid or any other 32-bit
 *   field, or</li>
 *   <li>{@value #MIN_BARE_HEX_DIGITS} or more bare hex digits.</li>
 * </ul>
 * IPv4 and IPv6 addresses, SPIs ({@code 0xce28e247}), algorithm names and file names do not. The rule is
 * deliberately blunt: a hash or any other long hex number is hidden too, which costs a user little (the message
 * still names the line, token and digit count) and never shows a key.
 */
public final class Redaction
{
    /** Bare hex digits from which a word is taken to be a key (64 bits: half the shortest key, AES-128). */
    public static final int MIN_BARE_HEX_DIGITS = 16;

    private static final int MAX_PREFIXED_NON_KEY_DIGITS = 8;

    private Redaction()
    {
    }

    /**
     * @param word one token or word.
     * @return true if it must not be printed.
     */
    public static boolean looksLikeKey(final CharSequence word)
    {
        return hexDigitsIfKey(word, 0, word.length()) > 0;
    }

    /**
     * @param text any text: a message, a line of a file, a request.
     * @return the text with every word that {@link #looksLikeKey looks like a key} replaced by
     * {@code <redacted hex, N digits>}; the same text if there is none.
     */
    public static String redact(final String text)
    {
        if (text == null)
        {
            return null;
        }
        StringBuilder sb = null;
        int copied = 0;
        int i = 0;
        while (i < text.length())
        {
            if (!isWordChar(text.charAt(i)))
            {
                i++;
                continue;
            }
            final int start = i;
            while (i < text.length() && isWordChar(text.charAt(i)))
            {
                i++;
            }
            final int digits = hexDigitsIfKey(text, start, i);
            if (digits > 0)
            {
                if (sb == null)
                {
                    sb = new StringBuilder(text.length());
                }
                sb.append(text, copied, start).append(placeholder(digits));
                copied = i;
            }
        }
        return sb == null ? text : sb.append(text, copied, text.length()).toString();
    }

    /**
     * A stream for error output that {@link #redact redacts} every line on its way to {@code target}, so that no
     * command, whatever it echoes in an error, shows a key on a terminal or in a log. Lines are passed on at each
     * line end, and a partial line at an explicit flush (not autoflushed, which would cut a key in two).
     *
     * @param target where the redacted text goes (standard error).
     * @return the redacting stream, UTF-8.
     */
    public static PrintStream redacting(final PrintStream target)
    {
        return new PrintStream(new LineRedactor(target), false, StandardCharsets.UTF_8);
    }

    /**
     * @param digits number of hex digits hidden.
     * @return what is printed in place of them.
     */
    public static String placeholder(final int digits)
    {
        return "<redacted hex, " + digits + " digits>";
    }

    /** @return the number of hex digits of text[start, end) if it looks like a key, else 0. */
    private static int hexDigitsIfKey(final CharSequence text, final int start, final int end)
    {
        final boolean prefixed = end - start > 2 && text.charAt(start) == '0' &&
            (text.charAt(start + 1) == 'x' || text.charAt(start + 1) == 'X');
        final int from = prefixed ? start + 2 : start;
        final int digits = end - from;
        if (prefixed ? digits <= MAX_PREFIXED_NON_KEY_DIGITS : digits < MIN_BARE_HEX_DIGITS)
        {
            return 0;
        }
        for (int i = from; i < end; i++)
        {
            if (Character.digit(text.charAt(i), 16) < 0 || text.charAt(i) > 0x7f)
            {
                return 0;
            }
        }
        return digits;
    }

    private static boolean isWordChar(final char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** Collects bytes up to a line end, then writes the redacted line. */
    private static final class LineRedactor extends OutputStream
    {
        private final PrintStream target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

        LineRedactor(final PrintStream target)
        {
            this.target = target;
        }

        public synchronized void write(final int b)
        {
            line.write(b);
            if (b == '\n')
            {
                flush();
            }
        }

        /** A whole buffer at once (PrintStream hands over each print so): not a synchronized call per byte. */
        public synchronized void write(final byte[] bytes, final int offset, final int length)
        {
            int start = offset;
            final int end = offset + length;
            for (int i = offset; i < end; i++)
            {
                if (bytes[i] == '\n')
                {
                    line.write(bytes, start, i + 1 - start);
                    flush();
                    start = i + 1;
                }
            }
            line.write(bytes, start, end - start);
        }

        public synchronized void flush()
        {
            if (line.size() > 0)
            {
                target.print(redact(line.toString(StandardCharsets.UTF_8)));
                line.reset();
            }
            target.flush();
        }

        public void close() throws IOException
        {
            flush();
        }
    }
}
