package org.esp4j.sip.message;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An immutable parsed SIP request or response (RFC 3261 §7): start line, header fields in order, body bytes.
 * Header look-ups are case-insensitive and understand compact forms; repeated headers and comma lists can be read
 * as one list with {@link #headerListValues(String)}.
 */
public final class SipMessage
{
    private final String startLine;
    private final String method;
    private final String requestUri;
    private final int statusCode;
    private final String reasonPhrase;
    private final List<SipHeader> headers;
    private final byte[] body;
    private final int declaredContentLength;

    SipMessage(
        final String startLine,
        final String method,
        final String requestUri,
        final int statusCode,
        final String reasonPhrase,
        final List<SipHeader> headers,
        final byte[] body,
        final int declaredContentLength)
    {
        this.startLine = startLine;
        this.method = method;
        this.requestUri = requestUri;
        this.statusCode = statusCode;
        this.reasonPhrase = reasonPhrase;
        this.headers = Collections.unmodifiableList(headers);
        this.body = body;
        this.declaredContentLength = declaredContentLength;
    }

    /**
     * @return true for a request, false for a response.
     */
    public boolean isRequest()
    {
        return method != null;
    }

    /**
     * @return the request method (e.g. {@code REGISTER}), or null for a response.
     */
    public String method()
    {
        return method;
    }

    /**
     * @return the Request-URI, or null for a response.
     */
    public String requestUri()
    {
        return requestUri;
    }

    /**
     * @return the status code of a response, or 0 for a request.
     */
    public int statusCode()
    {
        return statusCode;
    }

    /**
     * @return the reason phrase of a response, or null for a request.
     */
    public String reasonPhrase()
    {
        return reasonPhrase;
    }

    /**
     * @return the start line as written.
     */
    public String startLine()
    {
        return startLine;
    }

    /**
     * @return all header fields in message order.
     */
    public List<SipHeader> headers()
    {
        return headers;
    }

    /**
     * @return a copy of the body bytes.
     */
    public byte[] body()
    {
        return body.clone();
    }

    /**
     * @return the body length in bytes.
     */
    public int bodyLength()
    {
        return body.length;
    }

    /**
     * @return the value of Content-Length, or -1 when the header is absent.
     */
    public int declaredContentLength()
    {
        return declaredContentLength;
    }

    /**
     * First value of a header, case-insensitive, compact forms understood.
     *
     * @param name header name.
     * @return the value, or null when absent.
     */
    public String header(final String name)
    {
        final String canonical = HeaderNames.canonical(name);
        for (final SipHeader header : headers)
        {
            if (header.canonicalName().equals(canonical))
            {
                return header.value();
            }
        }
        return null;
    }

    /**
     * All values of a repeated header, in order.
     *
     * @param name header name.
     * @return the values, possibly empty.
     */
    public List<String> headerValues(final String name)
    {
        final String canonical = HeaderNames.canonical(name);
        final List<String> values = new ArrayList<>(2);
        for (final SipHeader header : headers)
        {
            if (header.canonicalName().equals(canonical))
            {
                values.add(header.value());
            }
        }
        return values;
    }

    /**
     * All list elements of a header that may be repeated and may hold comma lists (RFC 3261 §7.3.1: the two are
     * equivalent).
     *
     * @param name header name.
     * @return the elements in order, possibly empty.
     */
    public List<String> headerListValues(final String name)
    {
        final List<String> elements = new ArrayList<>(2);
        for (final String value : headerValues(name))
        {
            elements.addAll(HeaderValues.splitList(value));
        }
        return elements;
    }

    /**
     * @return the Call-ID, or null when absent.
     */
    public String callId()
    {
        return header(HeaderNames.CALL_ID);
    }

    /**
     * @return the CSeq sequence number.
     * @throws SipParseException naming CSeq when it is absent or malformed.
     */
    public long cseqNumber()
    {
        final String cseq = requireHeader(HeaderNames.CSEQ);
        final int space = cseq.indexOf(' ');
        try
        {
            return Long.parseLong((space < 0 ? cseq : cseq.substring(0, space)).trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new SipParseException("CSeq: sequence number is not a number: '" + cseq + "'");
        }
    }

    /**
     * @return the CSeq method.
     * @throws SipParseException naming CSeq when it is absent or malformed.
     */
    public String cseqMethod()
    {
        final String cseq = requireHeader(HeaderNames.CSEQ);
        final int space = cseq.indexOf(' ');
        if (space < 0)
        {
            throw new SipParseException("CSeq: method missing in '" + cseq + "'");
        }
        return cseq.substring(space + 1).trim();
    }

    /**
     * @param name header name.
     * @return the first value.
     * @throws SipParseException naming the header when it is absent.
     */
    public String requireHeader(final String name)
    {
        final String value = header(name);
        if (value == null)
        {
            throw new SipParseException(name + ": header missing");
        }
        return value;
    }

    /**
     * @return a short description for ladders and logs: the method, or status code and reason phrase.
     */
    public String summary()
    {
        return isRequest() ? method : statusCode + " " + reasonPhrase;
    }

    /**
     * A copy with other header fields; start line and body are kept, Content-Length is whatever the new headers say.
     *
     * @param newHeaders the header fields.
     * @return the new message.
     */
    public SipMessage withHeaders(final List<SipHeader> newHeaders)
    {
        return new SipMessage(
            startLine, method, requestUri, statusCode, reasonPhrase, new ArrayList<>(newHeaders), body, declaredContentLength);
    }

    /**
     * Serialise with CRLF line ends, header fields as held, and the body.
     *
     * @return the message bytes.
     */
    public byte[] toBytes()
    {
        final StringBuilder sb = new StringBuilder(512);
        sb.append(startLine).append("\r\n");
        for (final SipHeader header : headers)
        {
            sb.append(header.name()).append(": ").append(header.value()).append("\r\n");
        }
        sb.append("\r\n");
        final byte[] head = sb.toString().getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + body.length);
        out.write(head, 0, head.length);
        out.write(body, 0, body.length);
        return out.toByteArray();
    }

    public String toString()
    {
        return "SipMessage{" + startLine + ", Call-ID=" + callId() + ", CSeq=" + header(HeaderNames.CSEQ) + "}";
    }
}
