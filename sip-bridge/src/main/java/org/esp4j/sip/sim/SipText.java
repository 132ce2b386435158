package org.esp4j.sip.sim;

import org.esp4j.sip.message.HeaderValues;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.Transport;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Building the simulators' SIP text (RFC 3261 §7, §8.2.6 for responses) and the transport choice of RFC 3261
 * §18.1.1 / TS 24.229 §5.1.1.1: a request larger than 1,300 bytes goes over TCP.
 */
final class SipText
{
    /** RFC 3261 §18.1.1: within 200 bytes of a 1,500-byte MTU a request must use a congestion-controlled transport. */
    static final int UDP_MAX_REQUEST_BYTES = 1300;

    private SipText()
    {
    }

    /**
     * @param startLine request or status line.
     * @param headers   header lines without CRLF, Content-Length excluded.
     * @param body      body bytes, may be empty.
     * @return the message bytes.
     */
    static byte[] message(final String startLine, final List<String> headers, final byte[] body)
    {
        final StringBuilder text = new StringBuilder(1500).append(startLine).append("\r\n");
        for (final String header : headers)
        {
            text.append(header).append("\r\n");
        }
        text.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        final ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + body.length);
        out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /**
     * A response to a request (RFC 3261 §8.2.6.2): Vias, From, To (with a tag when it had none), Call-ID and CSeq
     * copied, then the extra headers.
     */
    static byte[] response(
        final SipMessage request, final int status, final String reason, final String toTag, final List<String> extra,
        final byte[] body)
    {
        final List<String> headers = new java.util.ArrayList<>(8 + extra.size());
        for (final String via : request.headerValues("Via"))
        {
            headers.add("Via: " + via);
        }
        headers.add("From: " + request.header("From"));
        final String to = request.header("To");
        headers.add("To: " + (HeaderValues.parameter(to, "tag") == null && toTag != null ? to + ";tag=" + toTag : to));
        headers.add("Call-ID: " + request.callId());
        headers.add("CSeq: " + request.header("CSeq"));
        headers.addAll(extra);
        return message("SIP/2.0 " + status + " " + reason, headers, body);
    }

    static String literal(final InetAddress address)
    {
        return address instanceof java.net.Inet6Address ? "[" + address.getHostAddress().replaceAll("%.*", "") + "]" :
            address.getHostAddress();
    }

    static String branch()
    {
        return "z9hG4bK" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    static String tag()
    {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL);
    }

    static Transport transportFor(final Transport forced, final int requestBytes)
    {
        return forced != null ? forced : requestBytes > UDP_MAX_REQUEST_BYTES ? Transport.TCP : Transport.UDP;
    }

    /** The top Via's branch, or null. */
    static String topBranch(final SipMessage message)
    {
        final List<String> vias = message.headerListValues("Via");
        return vias.isEmpty() ? null : HeaderValues.parameter(vias.get(0), "branch");
    }

    /** The port of the top Via's sent-by (RFC 3261 §18.2.2), 5060 when it names none. */
    static int topViaPort(final SipMessage message)
    {
        final List<String> vias = message.headerListValues("Via");
        if (vias.isEmpty())
        {
            return 5060;
        }
        String sentBy = vias.get(0).trim();
        final int space = sentBy.indexOf(' ');
        sentBy = (space < 0 ? sentBy : sentBy.substring(space + 1)).trim();
        final int semi = sentBy.indexOf(';');
        sentBy = (semi < 0 ? sentBy : sentBy.substring(0, semi)).trim();
        final int colon = sentBy.lastIndexOf(':');
        final int bracket = sentBy.lastIndexOf(']');
        if (colon < 0 || colon < bracket)
        {
            return 5060;
        }
        try
        {
            return Integer.parseInt(sentBy.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            return 5060;
        }
    }

    /** The Expires of a REGISTER: the Contact's expires parameter, else the Expires header, else 3600 (RFC 3261 §10.2.1.1). */
    static long expires(final SipMessage message)
    {
        final List<String> contacts = message.headerListValues("Contact");
        final String parameter = contacts.isEmpty() ? null : HeaderValues.parameter(contacts.get(0), "expires");
        final String text = parameter != null ? parameter : message.header("Expires");
        try
        {
            return text == null ? 3600 : Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            return 3600;
        }
    }

    static String lower(final String text)
    {
        return text == null ? null : text.toLowerCase(Locale.ROOT);
    }
}
