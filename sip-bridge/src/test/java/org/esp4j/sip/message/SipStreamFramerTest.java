package org.esp4j.sip.message;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void shouldFrameA64KiBMessageFrom2ByteSegmentsWithLinearWork()
    {
        // 32 KiB of header lines (the part a rescan would go over again and again) and a 32 KiB body.
        final StringBuilder head = new StringBuilder("MESSAGE sip:a SIP/2.0\r\nCall-ID: big\r\nCSeq: 1 MESSAGE\r\n");
        for (int i = 0; head.length() < 32 * 1024 - 100; i++)
        {
            head.append("X-Filler-").append(i).append(": ").append("f".repeat(40)).append("\r\n");
        }
        final int bodyLength = 64 * 1024 - head.length() - "Content-Length: 00000\r\n\r\n".length();
        head.append(String.format("Content-Length: %05d\r\n\r\n", bodyLength));
        final byte[] bytes = (head + "b".repeat(bodyLength)).getBytes(StandardCharsets.US_ASCII);
        assertEquals(64 * 1024, bytes.length);

        final SipStreamFramer framer = new SipStreamFramer();
        final List<SipMessage> messages = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += 2)
        {
            messages.addAll(framer.onBytes(bytes, i, 2));
        }

        assertEquals(1, messages.size());
        assertEquals(bodyLength, messages.get(0).bodyLength());
        // Each header byte is looked at about twice (the search resumes 2 bytes back per 2-byte segment) and once
        // more for Content-Length; body bytes not at all. A rescan per segment would be ~32768 x 16 KiB on average.
        assertTrue(framer.bytesScanned() <= 3L * bytes.length, "bytes scanned: " + framer.bytesScanned());
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
