package org.esp4j.sip.trace;

import org.esp4j.sip.message.Transport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SipTraceReaderTest
{
    static List<TraceEntry> seedTrace() throws Exception
    {
        try (var in = SipTraceReaderTest.class.getResourceAsStream("/traces/ims-register-ipsec.sip"))
        {
            return SipTraceReader.read("ims-register-ipsec.sip", in.readAllBytes());
        }
    }

    @Test
    void shouldReadTheEightMessagesOfTheSeedTrace() throws Exception
    {
        final List<TraceEntry> entries = seedTrace();

        assertEquals(8, entries.size());
        final TraceEntry first = entries.get(0);
        assertEquals(Transport.TCP, first.transport());
        assertEquals("2001:0:0:1:d1ae:bb37:d9c9:81d0", first.src().getHostAddress());
        assertEquals(42368, first.srcPort());
        assertEquals(5060, first.dstPort());
        assertEquals("REGISTER", first.message().method());
        assertEquals(401, entries.get(1).message().statusCode());
        assertEquals(Transport.UDP, entries.get(4).transport());
        assertEquals("SUBSCRIBE", entries.get(4).message().method());
        for (final TraceEntry entry : entries)
        {
            if (!"NOTIFY".equals(entry.message().method()))
            {
                assertTrue(entry.warnings().isEmpty(), entry.warnings().toString());
            }
        }
    }

    @Test
    void shouldReportTheNotifyWhoseContentLengthDoesNotMatchItsBody() throws Exception
    {
        final TraceEntry notify = seedTrace().get(6);

        assertEquals("NOTIFY", notify.message().method());
        assertEquals(740, notify.message().declaredContentLength());
        assertTrue(new String(notify.message().body(), StandardCharsets.UTF_8).endsWith("</reginfo>"));
        assertEquals(1, notify.warnings().size());
        assertTrue(notify.warnings().get(0).contains("Content-Length 740"), notify.warnings().get(0));
    }

    @Test
    void shouldReadIpv4EndpointsAndCrlfLines()
    {
        final String trace = "=== UDP 192.0.2.1:5060 -> 192.0.2.2:5062\r\nOPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n" +
            "Content-Length: 0\r\n\r\n";

        final TraceEntry entry = SipTraceReader.read("t", trace.getBytes(StandardCharsets.US_ASCII)).get(0);

        assertEquals("192.0.2.2", entry.dst().getHostAddress());
        assertEquals(5062, entry.dstPort());
        assertTrue(entry.warnings().isEmpty());
    }

    @Test
    void shouldNameFileAndLineOfABadHeaderLine()
    {
        final String trace = "=== UDP [2001::1]:5060 -> [2001::2]:5060\nOPTIONS sip:a SIP/2.0\nCSeq: 1 OPTIONS\n\n" +
            "=== SCTP [2001::1]:5060 -> [2001::2]:5060\nOPTIONS sip:a SIP/2.0\n\n";

        final TraceFormatException ex = assertThrows(TraceFormatException.class,
            () -> SipTraceReader.read("bad.sip", trace.getBytes(StandardCharsets.US_ASCII)));

        assertTrue(ex.getMessage().startsWith("bad.sip:5:"), ex.getMessage());
        assertTrue(ex.getMessage().contains("SCTP"), ex.getMessage());
    }

    @Test
    void shouldRejectHostNamesInsteadOfResolvingThem()
    {
        final String trace = "=== UDP pcscf.example.org:5060 -> [2001::2]:5060\nOPTIONS sip:a SIP/2.0\n\n";

        final TraceFormatException ex = assertThrows(TraceFormatException.class,
            () -> SipTraceReader.read("t", trace.getBytes(StandardCharsets.US_ASCII)));

        assertTrue(ex.getMessage().contains("not an IP address literal"), ex.getMessage());
    }
}
