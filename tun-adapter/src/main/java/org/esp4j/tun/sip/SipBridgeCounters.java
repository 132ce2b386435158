package org.esp4j.tun.sip;

import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.TcpReassembly;

/**
 * The SIP bridge's bounded-memory figures as named daemon counters, copied from the bridge about once a second by
 * the {@link SipSniffer} (under the bridge's lock): the live TCP reassembly flows and buffered bytes, and how many
 * flows were evicted (flow cap), expired (idle timeout) or lost their partial message (bytes-per-flow cap, a new
 * connection on the same ports, a RST or FIN mid-message), the segments kept after a hole and the holes skipped, the
 * segments dropped as an earlier connection's or outside the window and the flows started over, and the passive
 * P-CSCF's flow conflicts.
 *
 * @param tcpFlows         live TCP reassembly flows (a gauge).
 * @param tcpBufferedBytes bytes buffered over all flows (a gauge).
 * @param tcpFlowsEvicted  flows evicted to stay within the flow cap.
 * @param tcpIdleExpired   flows dropped after the idle timeout.
 * @param tcpOverflowed    partial messages dropped at the bytes-per-flow cap.
 * @param flowConflicts    sets a passive P-CSCF could not install (another live registration's flow or SPI).
 * @param tcpSegmentsAhead segments kept after a hole until it was filled.
 * @param tcpHolesSkipped  holes given up on.
 * @param tcpPartialsDroppedByNewConnection partial messages dropped because a SYN began a new connection.
 * @param tcpPartialsDroppedByClose         partial messages dropped because a RST or FIN ended the connection.
 * @param tcpSegmentsOfEarlierConnection    segments dropped as an earlier connection's on the same ports.
 * @param tcpSegmentsOutsideWindow          segments dropped as outside the receive window of their flow.
 * @param tcpFlowsResynchronised            flows started over at a run of contiguous segments outside the window.
 */
public record SipBridgeCounters(
    AtomicCounter tcpFlows,
    AtomicCounter tcpBufferedBytes,
    AtomicCounter tcpFlowsEvicted,
    AtomicCounter tcpIdleExpired,
    AtomicCounter tcpOverflowed,
    AtomicCounter flowConflicts,
    AtomicCounter tcpSegmentsAhead,
    AtomicCounter tcpHolesSkipped,
    AtomicCounter tcpPartialsDroppedByNewConnection,
    AtomicCounter tcpPartialsDroppedByClose,
    AtomicCounter tcpSegmentsOfEarlierConnection,
    AtomicCounter tcpSegmentsOutsideWindow,
    AtomicCounter tcpFlowsResynchronised)
{
    void update(final SipBridge bridge)
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        tcpFlows.setOrdered(tcp.flowCount());
        tcpBufferedBytes.setOrdered(tcp.bufferedBytes());
        tcpFlowsEvicted.setOrdered(tcp.flowsEvicted());
        tcpIdleExpired.setOrdered(tcp.flowsIdleExpired());
        tcpOverflowed.setOrdered(tcp.flowsOverflowed());
        flowConflicts.setOrdered(bridge.flowConflicts());
        tcpSegmentsAhead.setOrdered(tcp.segmentsAhead());
        tcpHolesSkipped.setOrdered(tcp.holesSkipped());
        tcpPartialsDroppedByNewConnection.setOrdered(tcp.partialsDroppedByNewConnection());
        tcpPartialsDroppedByClose.setOrdered(tcp.partialsDroppedByClose());
        tcpSegmentsOfEarlierConnection.setOrdered(tcp.segmentsOfEarlierConnection());
        tcpSegmentsOutsideWindow.setOrdered(tcp.segmentsOutsideWindow());
        tcpFlowsResynchronised.setOrdered(tcp.flowsResynchronised());
    }
}
