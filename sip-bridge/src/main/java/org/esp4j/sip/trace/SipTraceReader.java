package org.esp4j.sip.trace;

import org.esp4j.sip.message.ContentLengthPolicy;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.util.InetAddressText;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the esp4j SIP trace format: each message starts with a line
 * {@code === TCP|UDP [src]:port -> [dst]:port} (IPv4 without brackets) followed by the message as text, up to the
 * next such line. Line ends may be LF or CRLF. The body runs to the next header line less its final line end,
 * whatever Content-Length says; a mismatch is reported as a warning on the entry (hand-edited traces re-flow
 * bodies).
 */
public final class SipTraceReader
{
    private static final byte[] MARKER = "=== ".getBytes(StandardCharsets.US_ASCII);

    private SipTraceReader()
    {
    }

    /**
     * @param path trace file.
     * @return the entries in order.
     * @throws IOException when the file cannot be read.
     * @throws TraceFormatException naming the file and line when the content is malformed.
     */
    public static List<TraceEntry> read(final Path path) throws IOException
    {
        return read(path.toString(), Files.readAllBytes(path));
    }

    /**
     * @param name  for error messages.
     * @param bytes the trace content.
     * @return the entries in order.
     * @throws TraceFormatException naming the file and line when the content is malformed.
     */
    public static List<TraceEntry> read(final String name, final byte[] bytes)
    {
        final List<TraceEntry> entries = new ArrayList<>();
        int position = 0;
        int line = 1;
        int headerStart = -1;
        int headerLine = 0;
        while (position < bytes.length)
        {
            final int lineEnd = lineEnd(bytes, position);
            if (startsWithMarker(bytes, position))
            {
                if (headerStart >= 0)
                {
                    entries.add(entry(name, bytes, headerStart, headerLine, position, entries.size() + 1));
                }
                else if (!isBlank(bytes, 0, position))
                {
                    throw new TraceFormatException(name + ":1: text before the first '=== ' message header");
                }
                headerStart = position;
                headerLine = line;
            }
            position = lineEnd;
            line++;
        }
        if (headerStart >= 0)
        {
            entries.add(entry(name, bytes, headerStart, headerLine, bytes.length, entries.size() + 1));
        }
        else if (!isBlank(bytes, 0, bytes.length))
        {
            throw new TraceFormatException(name + ": no '=== ' message header found");
        }
        return entries;
    }

    private static TraceEntry entry(
        final String name, final byte[] bytes, final int start, final int lineNumber, final int end, final int index)
    {
        final int messageStart = lineEnd(bytes, start);
        final String header = new String(bytes, start, messageStart - start, StandardCharsets.UTF_8).trim();
        final String where = name + ":" + lineNumber;
        final String[] parts = header.split("\\s+");
        if (parts.length != 5 || !parts[3].equals("->"))
        {
            throw new TraceFormatException(where + ": expected '=== UDP|TCP [src]:port -> [dst]:port', got '" + header + "'");
        }
        final Transport transport;
        try
        {
            transport = Transport.parse(parts[1]);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TraceFormatException(where + ": " + ex.getMessage());
        }
        final Object[] src = endpoint(where, "source", parts[2]);
        final Object[] dst = endpoint(where, "destination", parts[4]);

        byte[] block = Arrays.copyOfRange(bytes, messageStart, end);
        final List<String> warnings = new ArrayList<>(1);
        int headerEnd = SipMessageParser.findHeaderEnd(block, 0, block.length);
        if (headerEnd < 0)
        {
            // The last message of a file may lack the empty line that ends its header block.
            block = Arrays.copyOf(block, block.length + 1);
            block[block.length - 1] = '\n';
            headerEnd = SipMessageParser.findHeaderEnd(block, 0, block.length);
            if (headerEnd < 0)
            {
                throw new TraceFormatException(where + ": message has no empty line after its headers");
            }
        }
        int bodyEnd = block.length;
        if (bodyEnd > headerEnd && block[bodyEnd - 1] == '\n')
        {
            bodyEnd--;
            if (bodyEnd > headerEnd && block[bodyEnd - 1] == '\r')
            {
                bodyEnd--;
            }
        }
        final SipMessage message;
        try
        {
            message = SipMessageParser.parse(block, 0, bodyEnd, ContentLengthPolicy.TAKE_ALL_BYTES);
        }
        catch (final SipParseException ex)
        {
            throw new TraceFormatException(where + ": " + ex.getMessage());
        }
        if (message.declaredContentLength() >= 0 && message.declaredContentLength() != message.bodyLength())
        {
            warnings.add("Content-Length " + message.declaredContentLength() + " does not match the " +
                message.bodyLength() + " body bytes in the trace; body taken as written");
        }
        return new TraceEntry(index, lineNumber, transport, (InetAddress)src[0], (Integer)src[1],
            (InetAddress)dst[0], (Integer)dst[1], message, List.copyOf(warnings));
    }

    private static Object[] endpoint(final String where, final String what, final String text)
    {
        final int colon = text.lastIndexOf(':');
        final boolean bracketed = text.startsWith("[");
        if (colon < 0 || bracketed && text.charAt(colon - 1) != ']' || !bracketed && text.indexOf(':') != colon)
        {
            throw new TraceFormatException(where + ": " + what + " must be [ipv6]:port or ipv4:port, got '" + text + "'");
        }
        try
        {
            final InetAddress address = InetAddressText.parse(what + " address", text.substring(0, colon));
            final int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 1 || port > 65535)
            {
                throw new TraceFormatException(where + ": " + what + " port " + port + " outside 1..65535");
            }
            return new Object[]{ address, port };
        }
        catch (final NumberFormatException ex)
        {
            throw new TraceFormatException(where + ": " + what + " port is not a number in '" + text + "'");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TraceFormatException(where + ": " + ex.getMessage());
        }
    }

    private static int lineEnd(final byte[] bytes, final int from)
    {
        int i = from;
        while (i < bytes.length && bytes[i] != '\n')
        {
            i++;
        }
        return Math.min(i + 1, bytes.length);
    }

    private static boolean startsWithMarker(final byte[] bytes, final int at)
    {
        if (bytes.length - at < MARKER.length)
        {
            return false;
        }
        for (int i = 0; i < MARKER.length; i++)
        {
            if (bytes[at + i] != MARKER[i])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isBlank(final byte[] bytes, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r' && bytes[i] != '\n')
            {
                return false;
            }
        }
        return true;
    }
}
