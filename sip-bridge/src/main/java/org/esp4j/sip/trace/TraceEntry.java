package org.esp4j.sip.trace;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.Transport;

import java.net.InetAddress;
import java.util.List;

/**
 * One message of a SIP trace with its transport, addresses and ports, and what the reader noticed about it.
 *
 * @param index      1-based position in the trace.
 * @param lineNumber line of the {@code ===} header in the file.
 * @param transport  UDP or TCP.
 * @param src        source address.
 * @param srcPort    source port.
 * @param dst        destination address.
 * @param dstPort    destination port.
 * @param message    the parsed message.
 * @param warnings   irregularities, e.g. a Content-Length that does not match the body.
 */
public record TraceEntry(
    int index,
    int lineNumber,
    Transport transport,
    InetAddress src,
    int srcPort,
    InetAddress dst,
    int dstPort,
    SipMessage message,
    List<String> warnings)
{
}
