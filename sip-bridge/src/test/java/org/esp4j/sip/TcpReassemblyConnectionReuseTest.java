package org.esp4j.sip;

import org.esp4j.sip.lifecycle.InMemorySaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.LifecycleListener;
import org.esp4j.sip.lifecycle.Role;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.esp4j.sip.TcpReassemblyTest.ACK;
import static org.esp4j.sip.TcpReassemblyTest.ATTACKER;
import static org.esp4j.sip.TcpReassemblyTest.FIN;
import static org.esp4j.sip.TcpReassemblyTest.PSH;
import static org.esp4j.sip.TcpReassemblyTest.SYN;
import static org.esp4j.sip.TcpReassemblyTest.register;
import static org.esp4j.sip.TcpReassemblyTest.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two or three TCP connections in a row on the same addresses and ports, each carrying REGISTERs and de-REGISTERs, as
 * a watch may see them: segments cut at random, reordered, duplicated, lost and sent again (alone or joined with the
 * next), the same SYN seen twice, and the last segments of a connection (and copies of its earlier ones) seen only
 * after the next connection's SYN (and before that connection's FIN: an older connection's segment seen after the
 * current one closed, far from its numbers and without an older timestamp, is taken for a connection whose SYN the
 * watch missed). Fixed seeds; each seed a few hundred segments.
 * <p>
 * Asserted: every message of a connection whose bytes (and all before them) the watch saw before the next SYN is
 * framed exactly once, every message of the last connection exactly once, none other, and no message of a connection
 * after a later connection's SYN; no parse error; at most one flow's state, its buffer within its cap, no hole skipped.
 * <p>
 * Initial sequence numbers are random over the whole space (wrapping). With TCP timestamps (half the seeds) any is
 * allowed; without them, a new connection's number is drawn again when an earlier connection's numbers fall within the
 * new connection's first window: there no rule on sequence numbers can tell the two apart (as for the receiving TCP).
 */
class TcpReassemblyConnectionReuseTest
{
    private static final int SRC_PORT = 40100;
    private static final int DST_PORT = 5064;
    private static final long MASK = 0xFFFF_FFFFL;
    private static final Pattern CALL_ID = Pattern.compile("call-id=call-(\\d+) ");

    /** One packet as the watch sees it: which connection sent it, and the bytes. */
    private record Delivery(int connection, boolean syn, byte[] packet)
    {
    }

    /** A piece of a connection's stream: offset from its first byte, and length. */
    private record Piece(int offset, int length)
    {
    }

    /** One connection: its first byte's number, stream, message ends, TCP timestamps (or none). */
    private static final class Connection
    {
        final int index;
        final long start;
        final byte[] stream;
        final int[] messageEnds;
        final long timestampBase;

        Connection(final int index, final long start, final byte[] stream, final int[] messageEnds,
            final long timestampBase)
        {
            this.index = index;
            this.start = start;
            this.stream = stream;
            this.messageEnds = messageEnds;
            this.timestampBase = timestampBase;
        }

        Delivery syn()
        {
            return new Delivery(index, true, tcp(ATTACKER, SRC_PORT, DST_PORT, (start - 1) & MASK, SYN,
                timestamp(0), new byte[0]));
        }

        Delivery data(final Piece piece, final int sentAt)
        {
            return new Delivery(index, false, tcp(ATTACKER, SRC_PORT, DST_PORT, (start + piece.offset) & MASK,
                ACK | PSH, timestamp(sentAt),
                java.util.Arrays.copyOfRange(stream, piece.offset, piece.offset + piece.length)));
        }

        Delivery fin(final int sentAt)
        {
            return new Delivery(index, false, tcp(ATTACKER, SRC_PORT, DST_PORT, (start + stream.length) & MASK,
                ACK | FIN, timestamp(sentAt), new byte[0]));
        }

        long timestamp(final int sentAt)
        {
            return timestampBase < 0 ? -1 : (timestampBase + sentAt) & MASK;
        }
    }

    static LongStream seeds()
    {
        return LongStream.range(0, 160);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldFrameEveryMessageOfTheLiveConnectionOnceAndNoneOfAnEarlierOneAfterTheNextSyn(final long seed)
    {
        final Random random = new Random(seed);
        final boolean timestamps = random.nextBoolean();
        final int count = 2 + random.nextInt(2);
        final long timestampBase = random.nextInt() & MASK;
        final List<Connection> connections = new ArrayList<>();
        final Map<Integer, Integer> expected = new HashMap<>();
        final List<List<Delivery>> schedules = new ArrayList<>();
        for (int k = 0; k < count; k++)
        {
            final Connection connection = connection(random, k, connections,
                timestamps ? (timestampBase + k * 1_000_000L) & MASK : -1);
            connections.add(connection);
            schedules.add(schedule(random, connection));
        }

        // the last few packets of each connection but the last, and copies of some of its data, seen after the next SYN
        final List<Delivery> all = new ArrayList<>();
        List<Delivery> late = List.of();
        for (int k = 0; k < count; k++)
        {
            final Connection connection = connections.get(k);
            final List<Delivery> schedule = schedules.get(k);
            final int cut = k == count - 1 ? schedule.size() : schedule.size() - random.nextInt(4);
            final List<Delivery> seen = new ArrayList<>(schedule.subList(0, cut));
            for (final Delivery old : late)
            {
                // after this connection's SYN, before its FIN (the next connection's SYN may come much later)
                seen.add(1 + random.nextInt(finIndex(seen, k)), old);
            }
            all.addAll(seen);
            final List<Delivery> nextLate = new ArrayList<>();
            for (final Delivery delivery : schedule.subList(cut, schedule.size()))
            {
                if (!delivery.syn)
                {
                    nextLate.add(delivery); // a SYN seen again is seen before the next connection's
                }
            }
            final List<Piece> pieces = pieces(random, connection.stream.length);
            for (int i = random.nextInt(3); i > 0; i--)
            {
                nextLate.add(connection.data(pieces.get(random.nextInt(pieces.size())), 500_000 + i));
            }
            late = nextLate;
            final int prefix = prefixSeen(connection, schedule.subList(0, cut));
            for (int m = 0; m < connection.messageEnds.length; m++)
            {
                expected.put(k * 10 + m, connection.messageEnds[m] <= prefix ? 1 : 0);
            }
        }

        final AtomicLong clockNs = new AtomicLong(1_000_000_000L);
        final SipBridge bridge = new SipBridge(LifecycleConfig.builder(Role.PCSCF).passive(true)
            .nanoClock(clockNs::get).build(), new InMemorySaSink(), LifecycleListener.NONE);
        final TcpReassembly tcp = bridge.tcpReassembly();
        final Map<Integer, Integer> framed = new HashMap<>();
        int live = -1;
        for (final Delivery delivery : all)
        {
            if (delivery.syn && delivery.connection > live)
            {
                live = delivery.connection;
            }
            clockNs.addAndGet(1_000_000L);
            for (final LifecycleEvent event : bridge.onIpPacket(delivery.packet, 0, delivery.packet.length))
            {
                assertTrue(event.type() != LifecycleEvent.Type.PARSE_ERROR, () -> "seed " + seed + ": " + event);
                final Matcher matcher = CALL_ID.matcher(event.toString());
                if (matcher.find())
                {
                    final int ue = Integer.parseInt(matcher.group(1));
                    framed.merge(ue, 1, Integer::sum);
                    final int liveNow = live;
                    assertEquals(liveNow, ue / 10, () -> "seed " + seed + ": a message of connection " + ue / 10 +
                        " framed after connection " + liveNow + "'s SYN");
                }
            }
            assertTrue(tcp.flowCount() + tcp.closedFlowCount() <= 1, () -> "seed " + seed + ": one flow");
            assertTrue(tcp.bufferedBytes() <= tcp.maxBytesPerFlow(), () -> "seed " + seed + ": bounded");
        }

        for (final Map.Entry<Integer, Integer> message : expected.entrySet())
        {
            assertEquals(message.getValue(), framed.getOrDefault(message.getKey(), 0),
                () -> "seed " + seed + " (timestamps " + timestamps + "): call-" + message.getKey() + " framed " +
                framed + ", expected " + expected);
        }
        assertTrue(expected.keySet().containsAll(framed.keySet()), () -> "seed " + seed + ": " + framed);
        assertEquals(0, tcp.holesSkipped(), "seed " + seed);
        assertEquals(0, tcp.flowsResynchronised(), "seed " + seed);
        assertEquals(0, tcp.bufferedBytes(), "seed " + seed);
        assertEquals(0, tcp.flowCount(), "seed " + seed + ": the last connection's FIN closed the flow");
    }

    /** A connection of 2 to 4 REGISTERs and de-REGISTERs, its first byte's number drawn as the class comment says. */
    private static Connection connection(
        final Random random, final int index, final List<Connection> earlier, final long timestampBase)
    {
        final int messages = 2 + random.nextInt(3);
        final java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        final int[] ends = new int[messages];
        for (int m = 0; m < messages; m++)
        {
            String text = new String(register(index * 10 + m, 200 + random.nextInt(2300)), StandardCharsets.US_ASCII);
            if (m % 2 == 1)
            {
                text = text.replace("Expires: 600000", "Expires: 0"); // a de-REGISTER
            }
            final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            stream.writeBytes(bytes);
            ends[m] = stream.size();
        }
        final byte[] bytes = stream.toByteArray();
        long start;
        do
        {
            start = random.nextInt() & MASK;
        }
        while (timestampBase < 0 && withinFirstWindow(start, bytes.length, earlier));
        return new Connection(index, start, bytes, ends, timestampBase);
    }

    /** True when an earlier connection's numbers (its bytes and FIN) fall within the window after {@code start}. */
    private static boolean withinFirstWindow(final long start, final int length, final List<Connection> earlier)
    {
        final long window = TcpReassembly.INITIAL_WINDOW + 3L * length + 1;
        for (final Connection old : earlier)
        {
            final long from = (old.start - start) & MASK;
            if (from < window || from + old.stream.length + 1 > MASK + 1)
            {
                return true;
            }
        }
        return false;
    }

    /** The stream cut into segments of 100 to 1,400 bytes. */
    private static List<Piece> pieces(final Random random, final int length)
    {
        final List<Piece> pieces = new ArrayList<>();
        for (int at = 0; at < length; )
        {
            final int size = Math.min(length - at, 100 + random.nextInt(1301));
            pieces.add(new Piece(at, size));
            at += size;
        }
        return pieces;
    }

    /**
     * The connection's packets in the order the watch sees them: the SYN (perhaps again later), the segments with some
     * lost and sent again up to 3 places later (alone, or joined with the next), some duplicated, some sent again
     * after being seen, and the FIN (perhaps before the last segment).
     */
    private static List<Delivery> schedule(final Random random, final Connection connection)
    {
        final List<Piece> pieces = pieces(random, connection.stream.length);
        final List<Delivery> schedule = new ArrayList<>();
        schedule.add(connection.syn());
        int sentAt = 1;
        for (int i = 0; i < pieces.size(); i++)
        {
            final Piece piece = pieces.get(i);
            final int roll = random.nextInt(100);
            if (roll < 12 && i + 1 < pieces.size())
            {
                // lost on the way: the next ones first, then sent again, perhaps joined with the one after it
                final int later = Math.min(pieces.size() - 1, i + 1 + random.nextInt(3));
                for (int j = i + 1; j <= later; j++)
                {
                    schedule.add(connection.data(pieces.get(j), sentAt++));
                }
                final Piece next = pieces.get(i + 1);
                final Piece again = random.nextBoolean() ? piece : new Piece(piece.offset, piece.length + next.length);
                schedule.add(connection.data(again, sentAt++));
                i = later;
                continue;
            }
            schedule.add(connection.data(piece, sentAt++));
            if (roll < 20)
            {
                schedule.add(connection.data(piece, sentAt++)); // duplicated on the way
            }
            else if (roll < 26)
            {
                schedule.add(connection.data(new Piece(piece.offset, 1 + random.nextInt(piece.length)), sentAt++));
            }
            if (roll >= 95)
            {
                schedule.add(connection.syn()); // the SYN seen again, late
            }
        }
        final Delivery fin = connection.fin(sentAt);
        if (random.nextInt(4) == 0)
        {
            schedule.add(schedule.size() - 1, fin);
        }
        else
        {
            schedule.add(fin);
        }
        return schedule;
    }

    /** @return where connection {@code k}'s FIN is among the packets seen, else their count. */
    private static int finIndex(final List<Delivery> seen, final int k)
    {
        for (int i = 0; i < seen.size(); i++)
        {
            final byte[] packet = seen.get(i).packet;
            if (seen.get(i).connection == k && (packet[33] & FIN) != 0) // IPv4 without options: TCP flags at 33
            {
                return i;
            }
        }
        return seen.size();
    }

    /** Bytes of the connection's stream from its start that the packets seen cover without a hole. */
    private static int prefixSeen(final Connection connection, final List<Delivery> seen)
    {
        final boolean[] covered = new boolean[connection.stream.length];
        for (final Delivery delivery : seen)
        {
            final org.esp4j.sip.ip.IpPacket ip = org.esp4j.sip.ip.IpPacket.parse(
                delivery.packet, 0, delivery.packet.length);
            if (ip.payloadLength() == 0)
            {
                continue;
            }
            final int offset = (int)((ip.tcpSequence() - connection.start) & MASK);
            java.util.Arrays.fill(covered, offset, offset + ip.payloadLength(), true);
        }
        int prefix = 0;
        while (prefix < covered.length && covered[prefix])
        {
            prefix++;
        }
        return prefix;
    }
}
