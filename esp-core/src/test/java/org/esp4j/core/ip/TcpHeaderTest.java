package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.esp4j.core.ip.HeaderVectors.integer;
import static org.esp4j.core.ip.HeaderVectors.unsigned;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * TcpHeader accessors against TCP segments scapy wrote (options, PSH|ACK, SYN|ECE|CWR, sequence numbers above 2^31).
 */
class TcpHeaderTest
{
    @Test
    void shouldReadEveryFieldScapyWrote()
    {
        int seen = 0;
        for (final Map<String, Object> vector : HeaderVectors.list("transport"))
        {
            if (integer(vector, "protocol") != IpProtocol.TCP)
            {
                continue;
            }
            final String name = (String)vector.get("name");
            final UnsafeBuffer packet = HeaderVectors.packet(vector);
            final int tcp = integer(vector, "transportOffset");

            assertEquals(integer(vector, "sourcePort"), TcpHeader.sourcePort(packet, tcp), name);
            assertEquals(integer(vector, "destinationPort"), TcpHeader.destinationPort(packet, tcp), name);
            assertEquals(unsigned(vector, "sequence"), TcpHeader.sequence(packet, tcp), name);
            assertEquals(unsigned(vector, "acknowledgment"), TcpHeader.acknowledgment(packet, tcp), name);
            assertEquals(integer(vector, "headerLength"), TcpHeader.headerLength(packet, tcp), name);
            assertEquals(integer(vector, "flags"), TcpHeader.flags(packet, tcp), name);
            assertEquals(integer(vector, "window"), TcpHeader.window(packet, tcp), name);
            assertEquals(integer(vector, "checksum"), TcpHeader.checksum(packet, tcp), name);
            assertEquals(integer(vector, "urgentPointer"), TcpHeader.urgentPointer(packet, tcp), name);
            seen++;
        }
        assertEquals(2, seen);
    }

    @Test
    void shouldWriteSequenceFlagsAndChecksum()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[TcpHeader.MIN_LENGTH]);

        TcpHeader.sequence(buffer, 0, 0xFEDC_BA98L);
        TcpHeader.flags(buffer, 0, TcpHeader.CWR | TcpHeader.ECE | TcpHeader.SYN);
        TcpHeader.checksum(buffer, 0, 0xBEEF);

        assertEquals(0xFEDC_BA98L, TcpHeader.sequence(buffer, 0));
        assertEquals(0xC2, buffer.getByte(TcpHeader.FLAGS_OFFSET) & 0xFF);
        assertEquals(0xBEEF, TcpHeader.checksum(buffer, 0));
    }
}
