package org.esp4j.sip.message;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses one SIP message from bytes (RFC 3261 §7, §18.3). Lines may end in CRLF or a bare LF; header names are
 * case-insensitive with compact forms; continuation lines (starting with space or tab, RFC 3261 §7.3.1) are folded
 * into the previous header. Bytes are scanned in place and each line is decoded once, so the cost is linear in the
 * message size. Stateless and thread-safe.
 */
public final class SipMessageParser
{
    /** Longest header block accepted, a guard against garbage streams. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;

    private SipMessageParser()
    {
    }

    /**
     * Parse a datagram with {@link ContentLengthPolicy#STRICT} rules.
     *
     * @param buffer holding the message.
     * @param offset of the first byte.
     * @param length of the message in bytes.
     * @return the message.
     * @throws SipParseException naming the line or header at fault.
     */
    public static SipMessage parse(final byte[] buffer, final int offset, final int length)
    {
        return parse(buffer, offset, length, ContentLengthPolicy.STRICT);
    }

    /**
     * Parse one message.
     *
     * @param buffer holding the message.
     * @param offset of the first byte.
     * @param length of the message in bytes.
     * @param policy what to do when Content-Length disagrees with the body.
     * @return the message.
     * @throws SipParseException naming the line or header at fault.
     */
    public static SipMessage parse(final byte[] buffer, final int offset, final int length, final ContentLengthPolicy policy)
    {
        final int limit = offset + length;
        int position = offset;
        // RFC 3261 §7.5: tolerate CRLFs before the start line (keep-alives).
        while (position < limit && (buffer[position] == '\r' || buffer[position] == '\n'))
        {
            position++;
        }
        final int headerEnd = findHeaderEnd(buffer, position, limit - position);
        if (headerEnd < 0)
        {
            throw new SipParseException("message: no empty line ends the header block");
        }

        final List<SipHeader> headers = new ArrayList<>(24);
        String startLine = null;
        String pendingName = null;
        StringBuilder pendingValue = null;
        while (position < headerEnd)
        {
            int lineEnd = position;
            while (lineEnd < headerEnd && buffer[lineEnd] != '\n')
            {
                lineEnd++;
            }
            final int next = lineEnd + 1;
            int contentEnd = lineEnd;
            if (contentEnd > position && buffer[contentEnd - 1] == '\r')
            {
                contentEnd--;
            }
            if (contentEnd == position)
            {
                break;
            }
            final String line = new String(buffer, position, contentEnd - position, StandardCharsets.UTF_8);
            position = next;
            if (startLine == null)
            {
                startLine = line;
                continue;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t')
            {
                if (pendingName == null)
                {
                    throw new SipParseException("message: continuation line before any header: '" + line.trim() + "'");
                }
                pendingValue.append(' ').append(line.trim());
                continue;
            }
            if (pendingName != null)
            {
                headers.add(new SipHeader(pendingName, pendingValue.toString()));
            }
            final int colon = line.indexOf(':');
            if (colon <= 0)
            {
                throw new SipParseException("message: header line without a name and colon: '" + line + "'");
            }
            pendingName = line.substring(0, colon).trim();
            if (pendingName.isEmpty() || pendingName.indexOf(' ') >= 0)
            {
                throw new SipParseException("message: malformed header name in '" + line + "'");
            }
            pendingValue = new StringBuilder(line.length() - colon).append(line.substring(colon + 1).trim());
        }
        if (pendingName != null)
        {
            headers.add(new SipHeader(pendingName, pendingValue.toString()));
        }
        if (startLine == null)
        {
            throw new SipParseException("message: empty");
        }

        final int declared = declaredContentLength(headers);
        final int available = limit - headerEnd;
        final int bodyLength;
        if (declared < 0 || policy == ContentLengthPolicy.TAKE_ALL_BYTES)
        {
            bodyLength = available;
        }
        else if (declared > available)
        {
            throw new SipParseException(
                "Content-Length: declares " + declared + " body bytes but only " + available + " follow the header block");
        }
        else
        {
            bodyLength = declared;
        }
        final byte[] body = Arrays.copyOfRange(buffer, headerEnd, headerEnd + bodyLength);
        return build(startLine, headers, body, declared);
    }

    private static SipMessage build(final String startLine, final List<SipHeader> headers, final byte[] body, final int declared)
    {
        if (startLine.startsWith("SIP/"))
        {
            final String[] parts = startLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].equals("SIP/2.0"))
            {
                throw new SipParseException("status line: expected 'SIP/2.0 <code> <reason>', got '" + startLine + "'");
            }
            final int code;
            try
            {
                code = Integer.parseInt(parts[1]);
            }
            catch (final NumberFormatException ex)
            {
                throw new SipParseException("status line: status code is not a number in '" + startLine + "'");
            }
            if (code < 100 || code > 699)
            {
                throw new SipParseException("status line: status code " + code + " outside 100..699");
            }
            return new SipMessage(startLine, null, null, code, parts.length > 2 ? parts[2] : "", headers, body, declared);
        }
        final String[] parts = startLine.split(" ");
        if (parts.length != 3 || !parts[2].equals("SIP/2.0") || parts[0].isEmpty() || parts[1].isEmpty())
        {
            throw new SipParseException("request line: expected '<method> <uri> SIP/2.0', got '" + startLine + "'");
        }
        return new SipMessage(startLine, parts[0], parts[1], 0, null, headers, body, declared);
    }

    private static int declaredContentLength(final List<SipHeader> headers)
    {
        for (final SipHeader header : headers)
        {
            if (header.canonicalName().equals(HeaderNames.CONTENT_LENGTH))
            {
                return parseContentLength(header.value());
            }
        }
        return -1;
    }

    /**
     * Parse a Content-Length value.
     *
     * @param value the header value.
     * @return the length.
     * @throws SipParseException naming Content-Length when it is not a non-negative integer.
     */
    public static int parseContentLength(final String value)
    {
        final String trimmed = value.trim();
        if (trimmed.isEmpty() || trimmed.length() > 9)
        {
            throw new SipParseException("Content-Length: not a valid length: '" + value + "'");
        }
        int length = 0;
        for (int i = 0; i < trimmed.length(); i++)
        {
            final char c = trimmed.charAt(i);
            if (c < '0' || c > '9')
            {
                throw new SipParseException("Content-Length: not a valid length: '" + value + "'");
            }
            length = length * 10 + (c - '0');
        }
        return length;
    }

    /**
     * Find the end of the header block: the index just after the empty line (CRLFCRLF, LFLF or a mix).
     *
     * @param buffer to scan.
     * @param offset first byte.
     * @param length bytes available.
     * @return index of the first body byte, or -1 when the block is not complete yet.
     * @throws SipParseException when no end is found within {@link #MAX_HEADER_BYTES}.
     */
    public static int findHeaderEnd(final byte[] buffer, final int offset, final int length)
    {
        final int end = scanHeaderEnd(buffer, offset, offset + Math.min(length, MAX_HEADER_BYTES + 3));
        if (end >= 0)
        {
            return end;
        }
        if (length > MAX_HEADER_BYTES)
        {
            throw new SipParseException("message: header block longer than " + MAX_HEADER_BYTES + " bytes");
        }
        return -1;
    }

    /**
     * @param buffer bytes.
     * @param from   first byte to look at.
     * @param limit  end of the bytes (exclusive).
     * @return the index after the first empty line (LF [CR] LF) found starting at {@code from}, or -1.
     */
    public static int scanHeaderEnd(final byte[] buffer, final int from, final int limit)
    {
        for (int i = from; i < limit; i++)
        {
            if (buffer[i] != '\n')
            {
                continue;
            }
            int j = i + 1;
            if (j < limit && buffer[j] == '\r')
            {
                j++;
            }
            if (j < limit && buffer[j] == '\n')
            {
                return j + 1;
            }
        }
        return -1;
    }
}
