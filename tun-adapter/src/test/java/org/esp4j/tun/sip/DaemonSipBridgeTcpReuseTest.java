package org.esp4j.tun.sip;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaLifecycleState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

import static org.esp4j.tun.sip.DaemonSipBridgeOrderingTest.address;
import static org.esp4j.tun.sip.DaemonSipBridgeOrderingTest.ok;
import static org.esp4j.tun.sip.DaemonSipBridgeOrderingTest.register;
import static org.esp4j.tun.sip.DaemonSipBridgeOrderingTest.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one failure of the last session's sustained UE farm, replayed at unit level: a P-CSCF daemon's bridge watches a
 * UE register and de-register twice over TCP, the second cycle on the same ports and SPIs as the first (as the farm
 * does), while something of the first connection is still held or still arriving: a late retransmission, a FIN, a
 * partial message, segments out of order. Each {@link Order} is one such sequence; every one must leave the second
 * cycle's protected REGISTER seen (its 200 OK establishes the set, leaving as ESP) and its de-REGISTER seen (the set
 * goes), never a 494-style loss of the set. The sniffer's socket is a queue, as in {@link DaemonSipBridgeOrderingTest};
 * no threads, no sleeps.
 */
class DaemonSipBridgeTcpReuseTest
{
    private static final InetAddress UE = address("2001::1:d1ae:bb37:d9c9:81d0");
    private static final InetAddress PCSCF = address("2001:0:0:1::2");
    private static final InetAddress SCSCF = address("2001:0:0:2::5");
    private static final String IK = "f769bcd751044604127672711c6d3441";
    private static final String CK = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
    private static final String SERVER = "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;" +
        "spi-c=3458785863;spi-s=2821032177;port-c=50717;port-s=50718;q=0.1";
    private static final int UE_PORT_C = 38003;
    private static final int PCSCF_PORT_S = 50718;
    private static final int SYN = 0x02;
    private static final int FIN = 0x01;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    /** First connection's initial sequence number: its segments wrap past 2^32. */
    private static final long ISN_1 = 0xFFFF_FF00L;

    /** The sequences tried; each names what of the first connection is held or late when the second one opens. */
    enum Order
    {
        /** Both cycles in order: the baseline. */
        IN_ORDER,
        /** The first connection's FIN, sent again, seen after the second connection's SYN, before its REGISTER. */
        LATE_OLD_FIN_AFTER_NEW_SYN,
        /** The first connection's last pure ACK seen after the second connection's SYN. */
        LATE_OLD_ACK_AFTER_NEW_SYN,
        /** The first de-REGISTER's last segment, sent again, seen after the second connection's SYN. */
        LATE_OLD_DATA_AFTER_NEW_SYN,
        /** The first de-REGISTER's first segment sent again after the FIN: a partial message on a closed flow. */
        OLD_PARTIAL_HELD_AT_NEW_SYN,
        /**
         * The first de-REGISTER's FIN seen before its last segment (the flow waits for it), the new SYN after both:
         * failed before segments without data stopped moving a flow's sequence (the first de-REGISTER lost).
         */
        OLD_FIN_BEFORE_LAST_DATA,
        /** The second protected REGISTER's segments out of order, the first sent again (twice). */
        NEW_REGISTER_OUT_OF_ORDER_AND_RETRANSMITTED,
        /**
         * A late retransmission of the whole first de-REGISTER around the second REGISTER's first segment, the first
         * connection closed (its state gone): failed before the SYN started a flow's state.
         */
        LATE_OLD_DEREGISTER_BETWEEN_NEW_SEGMENTS,
        /**
         * The first connection's FIN never seen (its state kept), its last pure ACK seen after the new SYN: failed
         * before segments without data stopped moving a flow's sequence (the second REGISTER after a hole).
         */
        OLD_FIN_UNSEEN_LATE_OLD_ACK_AFTER_NEW_SYN,
        /** The first connection's FIN never seen, its de-REGISTER's last segment sent again after the new SYN. */
        OLD_FIN_UNSEEN_LATE_OLD_DATA_AFTER_NEW_SYN,
        /** The first connection's FIN never seen, the whole first de-REGISTER sent again around the new REGISTER. */
        OLD_FIN_UNSEEN_LATE_OLD_DEREGISTER_BETWEEN_NEW_SEGMENTS,
        /**
         * The whole first de-REGISTER sent again after the new SYN, then, once the second set is established, a
         * message of the second connection whose first segment is lost with more after it than a flow keeps: the hole
         * is skipped, and must not land on the old de-REGISTER (with the second initial sequence number below the
         * first's numbers it once did: {@code TcpReassemblyTest} shows that framing; here the live set must survive and
         * the second de-REGISTER still be seen).
         */
        LATE_OLD_DEREGISTER_THEN_NEW_HOLE_SKIPPED;

        boolean finSeen()
        {
            return !name().startsWith("OLD_FIN_UNSEEN");
        }
    }

    private final long[] nowNs = { 1_000_000_000L };
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final SecurityAssociationDatabase sad =
        new SecurityAssociationDatabase(counters, () -> nowNs[0], (type, sa) -> { });
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final EspProcessor processor = new EspProcessor(sad, spd, counters, () -> nowNs[0]);
    private final List<String> log = new ArrayList<>();
    private final Deque<byte[]> snifferQueue = new ArrayDeque<>();
    private DaemonSipBridge pcscf;

    /**
     * Each order twice: the second connection's initial sequence number after the first connection's numbers (its
     * late segments look like ones already seen) and before them (they look like segments after a hole).
     */
    static Stream<Arguments> orders()
    {
        return Arrays.stream(Order.values()).flatMap(order -> Stream.of(
            Arguments.of(order, 0x0001_0000L), Arguments.of(order, 0xFFFF_0000L)));
    }

    @ParameterizedTest(name = "{0}, second ISN {1}")
    @MethodSource("orders")
    void shouldSeeTheSecondCyclesProtectedRegisterAndDeRegisterOnReusedPorts(final Order order, final long isn2)
    {
        pcscf = new DaemonSipBridge(Role.PCSCF, null, sad, spd, () -> nowNs[0], log::add);
        pcscf.inboundSource(limit ->
        {
            int taken = 0;
            for (byte[] packet; taken < limit && (packet = snifferQueue.poll()) != null; taken++)
            {
                pcscf.onReceived(packet, 0, packet.length);
            }
            return taken;
        });

        // cycle 1: in order, except where the order holds something back
        final Connection first = new Connection(ISN_1);
        unprotectedRound(1);
        sniff(first.syn());
        sniff(first.data(register(2, PCSCF_PORT_S, SERVER, 600)));
        establish(2, "cycle 1");
        final byte[][] deregister = first.split(register(3, PCSCF_PORT_S, SERVER, 0));
        final byte[] fin = first.fin();
        final byte[] lastAck = first.ack();
        switch (order)
        {
            case OLD_FIN_BEFORE_LAST_DATA -> sniff(deregister[0], fin, deregister[1], lastAck);
            default -> sniff(order.finSeen() ?
                new byte[][] { deregister[0], deregister[1], fin, lastAck } : deregister);
        }
        deregister(3, "cycle 1");
        if (order == Order.OLD_PARTIAL_HELD_AT_NEW_SYN)
        {
            sniff(deregister[0]); // sent again after the close: a partial message on a flow without state
        }

        // cycle 2: the same ports and SPIs, a new connection
        nowNs[0] += 30_000_000_000L;
        final Connection second = new Connection(isn2);
        unprotectedRound(4);
        final byte[] syn = second.syn();
        final byte[][] register = second.split(register(5, PCSCF_PORT_S, SERVER, 600));
        switch (order)
        {
            case LATE_OLD_FIN_AFTER_NEW_SYN -> sniff(syn, fin, register[0], register[1]);
            case LATE_OLD_ACK_AFTER_NEW_SYN, OLD_FIN_UNSEEN_LATE_OLD_ACK_AFTER_NEW_SYN ->
                sniff(syn, lastAck, register[0], register[1]);
            case LATE_OLD_DATA_AFTER_NEW_SYN, OLD_FIN_UNSEEN_LATE_OLD_DATA_AFTER_NEW_SYN ->
                sniff(syn, deregister[1], register[0], register[1]);
            case NEW_REGISTER_OUT_OF_ORDER_AND_RETRANSMITTED ->
                sniff(syn, register[1], register[0], register[0], register[1]);
            case LATE_OLD_DEREGISTER_BETWEEN_NEW_SEGMENTS, OLD_FIN_UNSEEN_LATE_OLD_DEREGISTER_BETWEEN_NEW_SEGMENTS ->
                sniff(syn, deregister[0], register[0], deregister[1], register[1]);
            case LATE_OLD_DEREGISTER_THEN_NEW_HOLE_SKIPPED -> sniff(syn, deregister[0], deregister[1], register[0],
                register[1]);
            default -> sniff(syn, register[0], register[1]);
        }
        establish(5, "cycle 2");
        if (order == Order.LATE_OLD_DEREGISTER_THEN_NEW_HOLE_SKIPPED)
        {
            final String body = "b".repeat(4000);
            final byte[][] message = second.split("MESSAGE sip:pcscf.ims.example.org SIP/2.0\r\nCall-ID: filler\r\n" +
                "CSeq: 1 MESSAGE\r\nContent-Length: " + body.length() + "\r\n\r\n" + body, 10);
            final int logged = log.size();
            sniff(Arrays.copyOfRange(message, 1, message.length)); // the first lost on the way to the watch
            pcscf.drainReceived(16);
            assertEquals(logged, log.size(), () -> "cycle 2: nothing framed but the filler; last: " + tail());
            assertEquals(4, sad.size(), () -> "cycle 2: the set still there; last: " + tail());
        }
        final byte[][] deregister2 = second.split(register(6, PCSCF_PORT_S, SERVER, 0));
        sniff(deregister2[0], deregister2[1], second.fin());
        deregister(6, "cycle 2");
        assertEquals(0, pcscf.errors(), this::tail);
    }

    /** The unprotected round on 5060 (UDP): the UE's REGISTER, the S-CSCF's 401 with ck/ik, the P-CSCF's 401. */
    private void unprotectedRound(final int cseq)
    {
        sniff(udp(UE, UE_PORT_C, PCSCF, 5060, register(cseq, 5060, null, 600)));
        sniff(udp(SCSCF, 5060, PCSCF, 5060, challenge401(cseq, "ck=\"" + CK + "\",ik=\"" + IK + "\"", null)));
        assertEquals(EspVerdict.PASS, send(udp(PCSCF, 5060, UE, UE_PORT_C, challenge401(cseq, null, SERVER))));
        assertEquals(4, pcscf.activeSas().size(), this::tail);
    }

    /**
     * The application's 200 OK to the protected REGISTER: it leaves as ESP and establishes the set (which the 200 OK
     * does on its own). That the watch saw the REGISTER itself (its Security-Verify and digest checked) shows when the
     * same REGISTER comes again: it is known, by CSeq and branch, as a retransmission.
     */
    private void establish(final int cseq, final String cycle)
    {
        assertEquals(EspVerdict.DELIVER, send(udp(PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(cseq, 600))), cycle);
        assertTrue(pcscf.activeSas().stream().allMatch(sa -> sa.state() == SaLifecycleState.ESTABLISHED),
            () -> cycle + ": established; last: " + tail());
        sniff(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(cseq, PCSCF_PORT_S, SERVER, 600)));
        pcscf.drainReceived(16);
        final String seen =
            "RETRANSMISSION_IGNORED: REGISTER CSeq " + cseq + " branch z9hG4bKt" + cseq + " seen before";
        assertTrue(log.get(log.size() - 1).contains(seen), () -> cycle + ": the protected REGISTER was seen; last: " +
            tail());
    }

    /** The application's 200 OK to the de-REGISTER: it leaves as ESP, then the set goes. */
    private void deregister(final int cseq, final String cycle)
    {
        assertEquals(EspVerdict.DELIVER, send(udp(PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(cseq, 0))), cycle);
        pcscf.onDutyCycleEnd();
        assertEquals(0, sad.size(), () -> cycle + ": the de-REGISTER was seen; last: " + tail());
        assertEquals(0, spd.size(), cycle);
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates), cycle);
    }

    /** The bridge's last log lines, up to the SA part (a failure message, not the whole log). */
    private String tail()
    {
        return log.subList(Math.max(0, log.size() - 3), log.size()).stream()
            .map(line -> line.substring(0, Math.min(line.length(), 160))).toList().toString();
    }

    private void sniff(final byte[]... packets)
    {
        snifferQueue.addAll(Arrays.asList(packets));
    }

    private int send(final byte[] packet)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(
            new byte[EspProcessor.MAX_HEADROOM + packet.length + EspProcessor.MAX_TAILROOM]);
        buffer.putBytes(EspProcessor.MAX_HEADROOM, packet);
        processor.outboundObserver(pcscf);
        try
        {
            return processor.outbound(buffer, EspProcessor.MAX_HEADROOM, packet.length);
        }
        finally
        {
            processor.outboundObserver(null);
        }
    }

    /** The UE's side of one TCP connection from port-c to the P-CSCF's port-s, as the P-CSCF's watch sees it. */
    private static final class Connection
    {
        private long next;

        Connection(final long isn)
        {
            next = isn;
        }

        byte[] syn()
        {
            final byte[] syn = tcp(next, SYN, new byte[0]);
            next = (next + 1) & 0xFFFF_FFFFL;
            return syn;
        }

        byte[] data(final String sip)
        {
            final byte[] payload = sip.getBytes(StandardCharsets.US_ASCII);
            final byte[] segment = tcp(next, ACK | PSH, payload);
            next = (next + payload.length) & 0xFFFF_FFFFL;
            return segment;
        }

        /** The message in {@code parts} segments of about the same size. */
        byte[][] split(final String sip, final int parts)
        {
            final byte[][] segments = new byte[parts][];
            for (int i = 0; i < parts; i++)
            {
                segments[i] = data(sip.substring(i * sip.length() / parts, (i + 1) * sip.length() / parts));
            }
            return segments;
        }

        /** The message in two segments, the first ending inside the Authorization header (the digest). */
        byte[][] split(final String sip)
        {
            final int cut = sip.indexOf("response=");
            return new byte[][] { data(sip.substring(0, cut)), data(sip.substring(cut)) };
        }

        byte[] fin()
        {
            final byte[] fin = tcp(next, FIN | ACK, new byte[0]);
            next = (next + 1) & 0xFFFF_FFFFL;
            return fin;
        }

        byte[] ack()
        {
            return tcp(next, ACK, new byte[0]);
        }

        private static byte[] tcp(final long sequence, final int flags, final byte[] payload)
        {
            final ByteBuffer packet = ByteBuffer.allocate(60 + payload.length);
            packet.putInt(0x6000_0000).putShort((short)(20 + payload.length)).put((byte)6).put((byte)64);
            packet.put(UE.getAddress()).put(PCSCF.getAddress());
            packet.putShort((short)UE_PORT_C).putShort((short)PCSCF_PORT_S).putInt((int)sequence).putInt(1);
            packet.put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
            return packet.put(payload).array();
        }
    }

    /** As {@link DaemonSipBridgeOrderingTest#challenge}, for the REGISTER of {@code cseq} (a second round's). */
    private static String challenge401(final int cseq, final String keys, final String server)
    {
        return DaemonSipBridgeOrderingTest.challenge(keys, server).replace("branch=z9hG4bKt1\r\n",
            "branch=z9hG4bKt" + cseq + "\r\n").replace("CSeq: 1 REGISTER", "CSeq: " + cseq + " REGISTER");
    }
}
