package org.esp4j.sip.message;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SIP message or header value that cannot be parsed. The message names the header or parameter at fault. It goes
 * into log lines and events, so the values of the digest and AKA parameters that carry secrets or their inputs
 * ({@code nonce}, {@code cnonce}, {@code response}, {@code rspauth}, {@code ck}, {@code ik}, {@code res},
 * {@code xres}) are never in it, whatever part of a message it quotes: each reads {@code <hidden, N characters>}.
 */
public class SipParseException extends RuntimeException
{
    private static final long serialVersionUID = 1L;
    private static final Pattern SECRET_PARAMETER = Pattern.compile(
        "(?i)\\b(nonce|cnonce|response|rspauth|ck|ik|res|xres)(\\s*=\\s*)(\"[^\"]*\"?|[^,;\\s]*)");

    /**
     * @param message what is wrong, naming the header or parameter.
     */
    public SipParseException(final String message)
    {
        super(hideSecrets(message));
    }

    /**
     * @param text any text that may quote a message's Authorization, WWW-Authenticate or Authentication-Info.
     * @return the text with the value of each secret-bearing parameter replaced by its length.
     */
    public static String hideSecrets(final String text)
    {
        if (text == null)
        {
            return null;
        }
        final Matcher matcher = SECRET_PARAMETER.matcher(text);
        if (!matcher.find())
        {
            return text;
        }
        final StringBuilder sb = new StringBuilder(text.length());
        do
        {
            matcher.appendReplacement(sb, "");
            sb.append(matcher.group(1)).append(matcher.group(2)).append("<hidden, ")
                .append(matcher.group(3).length()).append(" characters>");
        }
        while (matcher.find());
        matcher.appendTail(sb);
        return sb.toString();
    }
}
