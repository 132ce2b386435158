package org.esp4j.core.xfrm;

import org.esp4j.core.redact.Redaction;

/**
 * A line in {@code ip xfrm} syntax that cannot be accepted, with where it went wrong.
 * <p>
 * The message has the shape {@code line 3: token 17 'hmac(sha2)': unknown auth algorithm}, or
 * {@code sa.conf:3: token 9 ...} when read from a file. Tokens are counted from 1 over the whole line as written
 * (including any {@code ip xfrm state add} prefix) so the user can count along; the column is kept too.
 * <p>
 * Key material never appears in the message: a token at a key position is shown as {@link #REDACTED_KEY}, and so is
 * any token anywhere that looks like a key (a hex number longer than 32 bits, or a long run of bare hex digits),
 * because a key that slipped into the wrong position (a forgotten algorithm name, a key split by a blank) is still a
 * key. The parsers also redact an unknown algorithm name when the words after it show that the name was left out
 * and the word is really the key.
 */
public final class XfrmSyntaxException extends IllegalArgumentException
{
    /** What is printed instead of a token that is, or looks like, key material. */
    public static final String REDACTED_KEY = "<key>";

    private static final long serialVersionUID = 1L;

    private final String location;
    private final int tokenIndex;
    private final int column;
    private final String tokenText;
    private final String reason;

    /**
     * @param location   {@code line 3}, {@code sa.conf:3}, or null when there is no line to name.
     * @param tokenIndex 1-based token number within the line, or 0 when the error is not about one token.
     * @param column     1-based column of the token's first character, or 0.
     * @param tokenText  the token as it is safe to print (already redacted), or null.
     * @param reason     what is wrong, never containing key material.
     */
    public XfrmSyntaxException(
        final String location, final int tokenIndex, final int column, final String tokenText, final String reason)
    {
        super(message(location, tokenIndex, tokenText, reason));
        this.location = location;
        this.tokenIndex = tokenIndex;
        this.column = column;
        this.tokenText = tokenText;
        this.reason = reason;
    }

    /**
     * @param token    the offending token.
     * @param isKey    true when the token is at a key position.
     * @param location line description, or null.
     * @param reason   what is wrong.
     * @return the exception.
     */
    static XfrmSyntaxException at(final XfrmToken token, final boolean isKey, final String location, final String reason)
    {
        return new XfrmSyntaxException(
            location, token.index(), token.column(), isKey ? REDACTED_KEY : printable(token.text()), reason);
    }

    /**
     * @param location line description, or null.
     * @param reason   what is wrong.
     * @return an exception about the line as a whole (e.g. a missing field).
     */
    static XfrmSyntaxException ofLine(final String location, final String reason)
    {
        return new XfrmSyntaxException(location, 0, 0, null, reason);
    }

    /**
     * @param text a token's text.
     * @return the text, or {@link #REDACTED_KEY} when it looks like key material.
     */
    static String printable(final String text)
    {
        return looksLikeKey(text) ? REDACTED_KEY : Redaction.redact(text);
    }

    /**
     * A hex number too long to be an SPI, reqid or any other 32-bit field is taken to be a key
     * ({@link Redaction#looksLikeKey}).
     *
     * @param text a token's text.
     * @return true if it must not be printed.
     */
    static boolean looksLikeKey(final String text)
    {
        return Redaction.looksLikeKey(text);
    }

    private static String message(final String location, final int tokenIndex, final String tokenText, final String reason)
    {
        final StringBuilder sb = new StringBuilder();
        if (location != null)
        {
            sb.append(location).append(": ");
        }
        if (tokenIndex > 0)
        {
            sb.append("token ").append(tokenIndex);
            if (tokenText != null)
            {
                sb.append(" '").append(tokenText).append('\'');
            }
            sb.append(": ");
        }
        return sb.append(reason).toString();
    }

    /** @return {@code line 3}, {@code sa.conf:3}, or null. */
    public String location()
    {
        return location;
    }

    /** @return 1-based token number, or 0 when the error is about the line as a whole. */
    public int tokenIndex()
    {
        return tokenIndex;
    }

    /** @return 1-based column of the token, or of the character at fault for quoting errors; 0 if none. */
    public int column()
    {
        return column;
    }

    /** @return the token as printed in the message (redacted when it is key material), or null. */
    public String tokenText()
    {
        return tokenText;
    }

    /** @return the reason alone, without location and token. */
    public String reason()
    {
        return reason;
    }
}
