package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.esp4j.core.ip.HeaderVectors.integer;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * UdpHeader accessors and the UDP-over-IPv6 checksum against datagrams scapy wrote.
 */
class UdpHeaderTest
{
    @Test
    void shouldReadEveryFieldScapyWrote()
    {
        int seen = 0;
        for (final Map<String, Object> vector : HeaderVectors.list("transport"))
        {
            if (integer(vector, "protocol") != IpProtocol.UDP)
            {
                continue;
            }
            final String name = (String)vector.get("name");
            final UnsafeBuffer packet = HeaderVectors.packet(vector);
            final int udp = integer(vector, "transportOffset");

            assertEquals(integer(vector, "sourcePort"), UdpHeader.sourcePort(packet, udp), name);
            assertEquals(integer(vector, "destinationPort"), UdpHeader.destinationPort(packet, udp), name);
            assertEquals(integer(vector, "length"), UdpHeader.length(packet, udp), name);
            assertEquals(integer(vector, "checksum"), UdpHeader.checksum(packet, udp), name);
            seen++;
        }
        assertEquals(2, seen);
    }

    @Test
    void shouldWriteAHeaderWhoseIpv6ChecksumIsTheOneScapyComputed()
    {
        final Map<String, Object> vector = HeaderVectors.list("transport").get(2); // udp over ipv6
        final UnsafeBuffer expected = HeaderVectors.packet(vector);
        final UnsafeBuffer packet = HeaderVectors.packet(vector);
        final int udp = integer(vector, "transportOffset");

        UdpHeader.write(packet, udp, 5060, 5060, integer(vector, "length"));
        assertEquals(0, UdpHeader.checksum(packet, udp));
        UdpHeader.updateIpv6Checksum(packet, 0, udp, integer(vector, "length"));

        assertEquals(expected, packet);
    }
}
