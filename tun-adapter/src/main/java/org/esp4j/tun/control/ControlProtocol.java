package org.esp4j.tun.control;

import java.util.List;

/**
 * The wire protocol of the control socket, a line protocol a person can also speak with
 * {@code socat - UNIX-CONNECT:/run/esp4j/esp4j.sock}.
 * <h2>Request</h2>
 * One request per connection: one line of UTF-8 text ending with {@code \n} (or with the end of the stream), at most
 * {@link #MAX_REQUEST_BYTES} bytes including the line end. The line holds the command words as typed after
 * {@code esp4j}, e.g. {@code xfrm state add src 2001:db8::1 dst ... enc 'cbc(aes)' 0x...}, and the server splits it
 * with {@link org.esp4j.core.xfrm.XfrmTokenizer} (POSIX-shell quoting). So the CLI's argv travels exactly: the
 * client quotes every word with single quotes ({@link #quote(List)}), which that tokenizer reads back literally; a
 * word holding a line end or another control character is refused by the client, since no {@code ip xfrm} argument
 * has one.
 * <h2>Response</h2>
 * Lines of UTF-8 text, each ending with {@code \n}, then exactly one status line, after which the server closes:
 * <ul>
 *     <li>{@code ok}: the command succeeded (exit status 0);</li>
 *     <li>{@code error: MESSAGE}: it failed, nothing was changed unless the message says so (exit status 1).</li>
 * </ul>
 * A data line that starts with {@code .}, is {@code ok} or starts with {@code error:} is sent with one extra
 * {@code .} in front (as SMTP stuffs dots), so a status line can never be confused with output; a reader removes one
 * leading {@code .} from every data line ({@link #unstuff(String)}). {@code xfrm monitor} sends data lines until the
 * client disconnects; its status line comes only if the server stops or the client falls too far behind.
 */
public final class ControlProtocol
{
    /** Longest request line accepted, line end included. Longer ones get an error and the connection is closed. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024;

    /** Status line of success. */
    public static final String STATUS_OK = "ok";

    /** Start of the status line of failure; the message follows. */
    public static final String STATUS_ERROR_PREFIX = "error: ";

    private static final String ERROR_WORD = "error:";

    private ControlProtocol()
    {
    }

    /**
     * @param line a line read from the server, without its line end.
     * @return true if it is the status line ending the response.
     */
    public static boolean isStatus(final String line)
    {
        return STATUS_OK.equals(line) || line.startsWith(ERROR_WORD);
    }

    /**
     * @param line a data line to send.
     * @return the line as sent: with a {@code .} in front when it could be taken for a status line or starts with one.
     */
    public static String stuff(final String line)
    {
        return line.startsWith(".") || isStatus(line) ? "." + line : line;
    }

    /**
     * @param line a data line as received.
     * @return the line as the server meant it.
     */
    public static String unstuff(final String line)
    {
        return line.startsWith(".") ? line.substring(1) : line;
    }

    /**
     * @param message what went wrong; line ends are replaced by blanks so the status stays one line.
     * @return the status line.
     */
    public static String errorStatus(final String message)
    {
        final String text = message == null || message.isEmpty() ? "failed" : message;
        return STATUS_ERROR_PREFIX + text.replace('\r', ' ').replace('\n', ' ');
    }

    /**
     * Quote command words so {@link org.esp4j.core.xfrm.XfrmTokenizer} gives them back unchanged: each word in single
     * quotes, a single quote inside written as {@code '\''}, as a POSIX shell does.
     *
     * @param words the words.
     * @return one request line, without line end.
     * @throws IllegalArgumentException if a word holds a control character (a line end would end the request).
     */
    public static String quote(final List<String> words)
    {
        final StringBuilder sb = new StringBuilder();
        for (int w = 0; w < words.size(); w++)
        {
            final String word = words.get(w);
            for (int i = 0; i < word.length(); i++)
            {
                final char c = word.charAt(i);
                if (Character.isISOControl(c) && c != '\t')
                {
                    throw new IllegalArgumentException(
                        "argument " + (w + 1) + " contains a control character (a line end?)");
                }
            }
            if (w > 0)
            {
                sb.append(' ');
            }
            sb.append('\'').append(word.replace("'", "'\\''")).append('\'');
        }
        return sb.toString();
    }
}
