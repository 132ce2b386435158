package org.esp4j.sip.message;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SipStreamFramerTest
{
    private static final String FIRST = "REGISTER sip:a SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
    private static final String SECOND = "MESSAGE sip:a SIP/2.0\r\nCall-ID: 2\r\nl: 5\r\n\r\nhello";

    @Test
    void shouldFrameTwoMessagesInOneSegment()
    {
        final byte[] bytes = (FIRST + "\r\n\r\n" + SECOND).getBytes(StandardCharsets.UTF_8);

        final List<SipMessage> messages = new SipStreamFramer().onBytes(bytes, 0, bytes.length);

        assertEquals(2, messages.size());
        assertEquals("1", messages.get(0).callId());
        assertEquals("hello", new String(messages.get(1).body(), StandardCharsets.UTF_8));
    }

    @Test
    void shouldFrameByteByByte()
    {
        final SipStreamFramer framer = new SipStreamFramer();
        final byte[] bytes = (SECOND + FIRST).getBytes(StandardCharsets.UTF_8);
        final List<SipMessage> messages = new ArrayList<>();

        for (int i = 0; i < bytes.length; i++)
        {
            messages.addAll(framer.onBytes(bytes, i, 1));
        }

        assertEquals(2, messages.size());
        assertEquals("2", messages.get(0).callId());
        assertEquals(5, messages.get(0).bodyLength());
        assertEquals(0, framer.bufferedBytes());
    }

    @Test
    void shouldWaitForTheWholeBody()
    {
        final SipStreamFramer framer = new SipStreamFramer();
        final byte[] bytes = SECOND.getBytes(StandardCharsets.UTF_8);

        assertEquals(0, framer.onBytes(bytes, 0, bytes.length - 1).size());
        assertEquals(1, framer.onBytes(bytes, bytes.length - 1, 1).size());
    }

    @Test
    void shouldRejectAnAbsurdContentLength()
    {
        final byte[] bytes = "MESSAGE sip:a SIP/2.0\r\nContent-Length: 99999999\r\n\r\n".getBytes(StandardCharsets.UTF_8);

        assertThrows(SipParseException.class, () -> new SipStreamFramer().onBytes(bytes, 0, bytes.length));
    }
}
