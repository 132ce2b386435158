package org.esp4j.sip.message;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Frames SIP messages out of a byte stream (TCP) by Content-Length, RFC 3261 §18.3: the header block ends at the
 * first empty line and exactly Content-Length body bytes follow (a missing Content-Length is taken as 0). Bytes may
 * arrive in any split; CRLF keep-alives (RFC 5626 §3.5.1) between messages are skipped. One instance per
 * connection direction; not thread-safe.
 * <p>
 * Linear in the bytes received, however small the segments: the search for the end of the header block resumes
 * where the last one stopped (a terminator is at most 3 bytes, so 2 bytes are looked at again), the Content-Length
 * is read once per message, and while the body arrives only the buffered length is compared with the message's
 * end. {@link #bytesScanned()} counts the bytes those searches examine.
 */
public final class SipStreamFramer
{
    /** Longest message accepted, a guard against garbage streams. */
    public static final int MAX_MESSAGE_BYTES = 256 * 1024;

    private byte[] buffer = new byte[4096];
    private int size;
    /** Where the header-end search resumes (buffer index), for the message starting at index 0 after compaction. */
    private int scanFrom;
    /** End of the current message once its header block is read, else -1. */
    private int messageEnd = -1;
    private long bytesScanned;

    /**
     * Append stream bytes and take out every complete message.
     *
     * @param bytes  received bytes.
     * @param offset first byte.
     * @param length number of bytes.
     * @return complete messages, possibly none.
     * @throws SipParseException when the stream cannot be framed; the buffered bytes are then dropped.
     */
    public List<SipMessage> onBytes(final byte[] bytes, final int offset, final int length)
    {
        ensureCapacity(size + length);
        System.arraycopy(bytes, offset, buffer, size, length);
        size += length;

        List<SipMessage> messages = List.of();
        int start = 0;
        try
        {
            while (true)
            {
                if (messageEnd < 0)
                {
                    while (start < size && start >= scanFrom && (buffer[start] == '\r' || buffer[start] == '\n'))
                    {
                        start++;
                    }
                    if (start == size)
                    {
                        scanFrom = start;
                        break;
                    }
                    final int headerEnd = findHeaderEnd(start);
                    if (headerEnd < 0)
                    {
                        break;
                    }
                    final int contentLength = contentLength(start, headerEnd);
                    if (headerEnd - start + contentLength > MAX_MESSAGE_BYTES)
                    {
                        throw new SipParseException("Content-Length: " + contentLength + " exceeds the stream limit");
                    }
                    messageEnd = headerEnd + contentLength;
                }
                if (messageEnd > size)
                {
                    break;
                }
                final int messageLength = messageEnd - start;
                if (messages.isEmpty())
                {
                    messages = new ArrayList<>(1);
                }
                messages.add(SipMessageParser.parse(buffer, start, messageLength));
                start = messageEnd;
                scanFrom = start;
                messageEnd = -1;
            }
        }
        catch (final SipParseException ex)
        {
            size = 0;
            scanFrom = 0;
            messageEnd = -1;
            throw ex;
        }
        if (start > 0)
        {
            System.arraycopy(buffer, start, buffer, 0, size - start);
            size -= start;
            scanFrom = Math.max(0, scanFrom - start);
            messageEnd = messageEnd < 0 ? -1 : messageEnd - start;
        }
        return messages;
    }

    /**
     * @return bytes examined by the header-end and Content-Length searches since creation: the framer's work, which
     * grows linearly with the bytes received.
     */
    public long bytesScanned()
    {
        return bytesScanned;
    }

    /** The end of the header block (index after its empty line) of the message at {@code start}, or -1 for not yet. */
    private int findHeaderEnd(final int start)
    {
        // A terminator (LF [CR] LF) not found before scanFrom can only begin at scanFrom - 2 or later.
        final int from = Math.max(start, scanFrom - 2);
        final int end = SipMessageParser.scanHeaderEnd(buffer, from, size);
        bytesScanned += (end < 0 ? size : end) - from;
        if (end >= 0)
        {
            return end;
        }
        scanFrom = size;
        if (size - start > SipMessageParser.MAX_HEADER_BYTES)
        {
            throw new SipParseException("message: header block longer than " + SipMessageParser.MAX_HEADER_BYTES + " bytes");
        }
        return -1;
    }

    /**
     * @return bytes buffered waiting for the rest of a message.
     */
    public int bufferedBytes()
    {
        return size;
    }

    private int contentLength(final int start, final int headerEnd)
    {
        // Header lines start after a LF; look for "content-length:" or compact "l:" case-insensitively.
        int lineStart = start;
        while (lineStart < headerEnd)
        {
            int lineEnd = lineStart;
            while (lineEnd < headerEnd && buffer[lineEnd] != '\n')
            {
                lineEnd++;
            }
            bytesScanned += lineEnd - lineStart;
            final int colon = indexOf(lineStart, lineEnd, (byte)':');
            if (colon > lineStart)
            {
                if (nameIs(lineStart, colon, "content-length") || nameIs(lineStart, colon, "l"))
                {
                    return SipMessageParser.parseContentLength(
                        new String(buffer, colon + 1, lineEnd - colon - 1, java.nio.charset.StandardCharsets.US_ASCII));
                }
            }
            lineStart = lineEnd + 1;
        }
        return 0;
    }

    private int indexOf(final int from, final int to, final byte b)
    {
        for (int i = from; i < to; i++)
        {
            if (buffer[i] == b)
            {
                return i;
            }
        }
        return -1;
    }

    private boolean nameIs(final int from, final int colon, final String lowerCaseName)
    {
        int end = colon;
        while (end > from && (buffer[end - 1] == ' ' || buffer[end - 1] == '\t'))
        {
            end--;
        }
        if (end - from != lowerCaseName.length())
        {
            return false;
        }
        for (int i = 0; i < lowerCaseName.length(); i++)
        {
            if (Character.toLowerCase((char)buffer[from + i]) != lowerCaseName.charAt(i))
            {
                return false;
            }
        }
        return true;
    }

    private void ensureCapacity(final int required)
    {
        if (required > MAX_MESSAGE_BYTES * 2)
        {
            size = 0;
            scanFrom = 0;
            messageEnd = -1;
            throw new SipParseException("message: stream buffer would exceed " + (MAX_MESSAGE_BYTES * 2) + " bytes");
        }
        if (required > buffer.length)
        {
            buffer = Arrays.copyOf(buffer, Math.max(required, buffer.length * 2));
        }
    }
}
