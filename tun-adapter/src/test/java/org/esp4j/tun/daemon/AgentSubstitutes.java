package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.tun.carrier.CarrierReceiver;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.carrier.IpCarrierSender;
import org.esp4j.tun.carrier.UdpCarrierSender;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.device.TunPort;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Substitutes for the TUN and the carriers, as aeron-driver's SenderTest substitutes its transports, so the packet
 * agents run in a unit test: packets handed to them are queued, packets they send or write are recorded.
 */
final class AgentSubstitutes
{
    static final InetAddress UE = address("2001:db8::1");
    static final InetAddress PCSCF = address("2001:db8::2");
    static final long SPI = 0x8000_1234L; // above 2^31: never negative
    static final int PEER_PORT = 4501;
    static final int ENOBUFS = 105;

    private AgentSubstitutes()
    {
    }

    /** A TUN: {@link #toRead} is what the host "sends", {@link #written} what the daemon wrote into it. */
    static final class Tun implements TunPort
    {
        final Deque<byte[]> toRead = new ArrayDeque<>();
        final List<byte[]> written = new ArrayList<>();
        /** read calls, those that found nothing included. */
        int reads;
        /** reads still to fail with {@code -EIO} before packets are handed out. */
        int failReads;
        /** Run at each read, before it (null: nothing). */
        Runnable onRead;

        public String name()
        {
            return "h2sub0";
        }

        public int vnetHeaderLength()
        {
            return 0;
        }

        public int read(final int queue, final long address, final int capacity)
        {
            reads++;
            if (onRead != null)
            {
                onRead.run();
            }
            if (failReads > 0)
            {
                failReads--;
                return -org.esp4j.tun.jna.LibC.EIO;
            }
            final byte[] packet = toRead.poll();
            if (packet == null)
            {
                return TunDevice.WOULD_BLOCK;
            }
            new UnsafeBuffer(address, capacity).putBytes(0, packet);
            return packet.length;
        }

        public int write(final int queue, final long address, final int length)
        {
            final byte[] packet = new byte[length];
            new UnsafeBuffer(address, length).getBytes(0, packet);
            written.add(packet);
            return length;
        }
    }

    /** The raw carrier: records whole IP packets; fails each call with {@code -errno} while {@link #errno} is set. */
    static final class IpSender implements IpCarrierSender
    {
        final List<byte[]> sent = new ArrayList<>();
        int errno;
        int flushes;

        public int send(final UnsafeBuffer buffer, final int offset, final int length)
        {
            return queue(buffer, offset, length);
        }

        public int queue(final UnsafeBuffer buffer, final int offset, final int length)
        {
            if (errno != 0)
            {
                return -errno;
            }
            final byte[] packet = new byte[length];
            buffer.getBytes(offset, packet);
            sent.add(packet);
            return length;
        }

        public int flush()
        {
            flushes++;
            return 0;
        }
    }

    /** One datagram the UDP carrier was given. */
    record Datagram(byte[] esp, byte[] destination, int peerPort)
    {
    }

    /** The UDP carrier: records the ESP it would send, to whom. */
    static final class UdpSender implements UdpCarrierSender
    {
        final List<Datagram> sent = new ArrayList<>();

        public int send(final UnsafeBuffer buffer, final int ipOffset, final int espOffset, final int length,
            final int peerPort)
        {
            return queue(buffer, ipOffset, espOffset, length, peerPort);
        }

        public int queue(final UnsafeBuffer buffer, final int ipOffset, final int espOffset, final int length,
            final int peerPort)
        {
            final byte[] esp = new byte[ipOffset + length - espOffset];
            buffer.getBytes(espOffset, esp);
            final byte[] destination = new byte[16];
            buffer.getBytes(ipOffset + 24, destination);
            sent.add(new Datagram(esp, destination, peerPort));
            return esp.length;
        }

        public int flush()
        {
            return 0;
        }
    }

    /** A carrier that hands over queued packets (or {@link CarrierStatus} codes, as {@code int[]{code}}). */
    static final class Receiver implements CarrierReceiver
    {
        final Deque<Object> toReceive = new ArrayDeque<>();
        private final boolean udp;
        /** What the agent last said through {@link #endReadAtShortBatch}. */
        boolean endAtShortBatch;

        Receiver(final boolean udp)
        {
            this.udp = udp;
        }

        public boolean udpEncapsulated()
        {
            return udp;
        }

        public void endReadAtShortBatch(final boolean end)
        {
            endAtShortBatch = end;
        }

        public int receive(final UnsafeBuffer buffer, final int offset, final int capacity)
        {
            final Object next = toReceive.poll();
            if (next == null)
            {
                return CarrierStatus.NONE;
            }
            if (next instanceof int[] status)
            {
                return status[0];
            }
            final byte[] packet = (byte[])next;
            buffer.putBytes(offset, packet);
            return packet.length;
        }
    }

    /**
     * A packet thread's idle strategy right after a duty cycle with work and its two yields: its idle window is open
     * if {@code spinNs} > 0 (a fixed window: no load gate), closed otherwise.
     */
    static PollIdleStrategy idleAfterWork(final long spinNs, final DaemonCounters counters)
    {
        final PollIdleStrategy idle = new PollIdleStrategy(timeoutMs -> 0, 10, spinNs, 100, () -> 0L, () -> { },
            new PacketLoad(1), 0, counters.counter(DaemonCounters.Counter.TunIdleSpinWindows),
            counters.counter(DaemonCounters.Counter.TunIdleSpinSkipped));
        idle.idle(1);
        idle.idle(0);
        idle.idle(0);
        return idle;
    }

    /** An IPv6 UDP packet (checksum left 0: nothing on this path checks it). */
    static byte[] udp6(final InetAddress src, final int sport, final InetAddress dst, final int dport,
        final int payloadLength)
    {
        final ByteBuffer packet = ByteBuffer.allocate(48 + payloadLength);
        packet.putInt(0x6000_0000).putShort((short)(8 + payloadLength)).put((byte)17).put((byte)64);
        packet.put(src.getAddress()).put(dst.getAddress());
        packet.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payloadLength)).putShort((short)0);
        for (int i = 0; i < payloadLength; i++)
        {
            packet.put((byte)(i * 7 + 1));
        }
        return packet.array();
    }

    /** NULL encryption and HMAC-SHA1-96, UE to P-CSCF; ESP-in-UDP to {@link #PEER_PORT} if {@code udp}. */
    static SaConfig sa(final boolean udp)
    {
        final byte[] key = new byte[20];
        Arrays.fill(key, (byte)0x5A);
        final SaConfig.Builder builder = SaConfig.builder().source(UE).destination(PCSCF).spi(SPI)
            .replayWindowSize(64).integrity(IntegrityAlgorithm.HMAC_SHA1_96, key)
            .encryption(EncryptionAlgorithm.NULL, new byte[0]);
        if (udp)
        {
            builder.encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, PEER_PORT);
        }
        return builder.build();
    }

    /** Outbound UDP to port 5060 must be protected with {@link #SPI}. */
    static PolicyConfig protect5060()
    {
        return new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(),
            PolicyDirection.OUT, PolicyAction.PROTECT, 100, 0, List.of(new TemplateConfig(null, null, SPI, 0, false)));
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
