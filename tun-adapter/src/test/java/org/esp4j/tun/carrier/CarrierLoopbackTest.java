package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.jna.LibC;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Root test over loopback: ESP sent through the header-included raw sender comes back through the raw ESP receiver
 * as the same whole IP packet (IPv6 header rebuilt from recvmsg address and IPV6_PKTINFO), and the UDP carrier
 * rebuilds IP + UDP headers, consumes NAT-keepalives and drops non-ESP-marker datagrams.
 */
class CarrierLoopbackTest
{
    private static final int CAPACITY = 65536;

    @BeforeEach
    void root()
    {
        RootAssumptions.assumeRootOrCi();
    }

    @Test
    void rawEspIpv6RoundTrip() throws Exception
    {
        try (RawIpSender sender = new RawIpSender(LibC.AF_INET6, 0, CAPACITY, 65535);
            RawIpReceiver receiver = new RawIpReceiver(LibC.AF_INET6, CAPACITY))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
            final long spi = 0x10000000L + ThreadLocalRandom.current().nextInt(0x0FFFFFFF);
            final int length = espPacket6(packet, 100, InetAddress.getByName("::1"), spi);
            assertEquals(length, sender.send(packet, 100, length));

            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            final int n = receiveSpi(receiver, in, 128, spi, 40);
            assertEquals(length, n);
            for (int i = 0; i < length; i++)
            {
                assertEquals(packet.getByte(100 + i), in.getByte(128 + i), "byte " + i);
            }
        }
    }

    @Test
    void rawEspIpv4RoundTrip() throws Exception
    {
        try (RawIpSender sender = new RawIpSender(LibC.AF_INET, 0, CAPACITY, 65535);
            RawIpReceiver receiver = new RawIpReceiver(LibC.AF_INET, CAPACITY))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
            final long spi = 0x10000000L + ThreadLocalRandom.current().nextInt(0x0FFFFFFF);
            final int length = 20 + 8 + 32;
            Ipv4Header.write(packet, 0, 0, length, LibC.IPPROTO_ESP, 64);
            packet.putBytes(12, InetAddress.getByName("127.0.0.1").getAddress());
            packet.putBytes(16, InetAddress.getByName("127.0.0.1").getAddress());
            Ipv4Header.updateChecksum(packet, 0);
            packet.putInt(20, (int)spi, ByteOrder.BIG_ENDIAN);
            packet.putInt(24, 1, ByteOrder.BIG_ENDIAN);
            assertEquals(length, sender.send(packet, 0, length));

            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            final int n = receiveSpi(receiver, in, 64, spi, 20);
            assertEquals(length, n);
            assertEquals(LibC.IPPROTO_ESP, Ipv4Header.protocol(in, 64));
            assertEquals(1, in.getInt(64 + 24, ByteOrder.BIG_ENDIAN));
        }
    }

    @Test
    void udpEncapIpv6AndIpv4() throws Exception
    {
        udpEncap(LibC.AF_INET6, InetAddress.getByName("::1"));
        udpEncap(LibC.AF_INET, InetAddress.getByName("127.0.0.1"));
    }

    private void udpEncap(final int family, final InetAddress loopback) throws Exception
    {
        final int portA = 20000 + ThreadLocalRandom.current().nextInt(20000);
        final int portB = portA + 1;
        try (UdpEncapCarrier a = new UdpEncapCarrier(family, portA, 0, CAPACITY);
            UdpEncapCarrier b = new UdpEncapCarrier(family, portB, 0, CAPACITY);
            DatagramSocket plain = new DatagramSocket(new InetSocketAddress(loopback, 0)))
        {
            final boolean v6 = family == LibC.AF_INET6;
            final int ipLength = v6 ? 40 : 20;
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
            final int espLength = 8 + 32;
            final int total = espPacket(packet, v6, loopback, espLength, 7);
            assertEquals(CarrierStatus.UNSUITABLE, a.send(packet, 0, ipLength + 8, total, portB),
                "ESP must follow the IP header directly: a UDP socket cannot carry what lies between");
            assertEquals(espLength, a.send(packet, 0, ipLength, total, portB));

            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            int n = poll(b, in, 64);
            assertEquals(total, n, "IP header and ESP, no UDP header");
            assertTrue(b.udpEncapsulated());
            assertEquals(v6 ? 6 : 4, Ipv4Header.version(in, 64));
            assertEquals(LibC.IPPROTO_ESP, v6 ? Ipv6Header.nextHeader(in, 64) : Ipv4Header.protocol(in, 64));
            assertEquals(0x12345678, in.getInt(64 + ipLength, ByteOrder.BIG_ENDIAN));
            final int dst = v6 ? Ipv6Header.DESTINATION_OFFSET : Ipv4Header.DESTINATION_OFFSET;
            assertEquals(loopback.getAddress()[loopback.getAddress().length - 1], in.getByte(64 + dst + (v6 ? 15 : 3)));
            if (!v6)
            {
                assertEquals(0, InternetChecksum.fold(InternetChecksum.sum(in, 64, 20, 0)) ^ 0xFFFF, "IPv4 header checksum");
            }

            plain.send(new DatagramPacket(new byte[] {(byte)0xFF}, 1, new InetSocketAddress(loopback, portB)));
            assertEquals(CarrierStatus.NAT_KEEPALIVE, poll(b, in, 64));
            plain.send(new DatagramPacket(new byte[12], 12, new InetSocketAddress(loopback, portB)));
            assertEquals(CarrierStatus.NON_ESP_MARKER, poll(b, in, 64));
        }
    }

    @Test
    void udpEncapTrainsLeaveInOneSendAndArriveAsTheirDatagramsInOrder() throws Exception
    {
        udpTrain(LibC.AF_INET6, InetAddress.getByName("::1"));
        udpTrain(LibC.AF_INET, InetAddress.getByName("127.0.0.1"));
    }

    private void udpTrain(final int family, final InetAddress loopback) throws Exception
    {
        final int portA = 20000 + ThreadLocalRandom.current().nextInt(20000);
        final int portB = portA + 1;
        try (UdpEncapCarrier a = new UdpEncapCarrier(family, portA, 0, CAPACITY);
            UdpEncapCarrier b = new UdpEncapCarrier(family, portB, 0, CAPACITY))
        {
            final boolean v6 = family == LibC.AF_INET6;
            final int ipLength = v6 ? 40 : 20;
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[4096]);
            // 70 full datagrams (more than one train of MAX_TRAIN_SEGMENTS) and a short one: three sends
            final int count = 71;
            final int full = 1200;
            for (int i = 0; i < count; i++)
            {
                final int espLength = i == count - 1 ? 300 : full;
                final int total = espPacket(packet, v6, loopback, espLength, i);
                assertEquals(espLength, a.queue(packet, 0, ipLength, total, portB), "datagram " + i);
            }
            assertEquals(0, a.flush());

            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            for (int i = 0; i < count; i++)
            {
                final int n = poll(b, in, 64);
                final int espLength = i == count - 1 ? 300 : full;
                assertEquals(ipLength + espLength, n, "datagram " + i);
                assertEquals(0x12345678, in.getInt(64 + ipLength, ByteOrder.BIG_ENDIAN));
                assertEquals(i, in.getInt(64 + ipLength + 4, ByteOrder.BIG_ENDIAN), "order");
                assertEquals((byte)(i + espLength - 1), in.getByte(64 + ipLength + espLength - 1), "last byte");
                assertEquals(ipLength + espLength, v6 ? 40 + (in.getShort(64 + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF) :
                    in.getShort(64 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF, "IP length");
            }
            assertEquals(CarrierStatus.NONE, b.receive(in, 64, in.capacity() - 64));
        }
    }

    /**
     * recvmmsg batches: datagrams of several peers (IPv4 from three loopback addresses, IPv6 from three ports), a
     * NAT-keepalive and a non-ESP marker among them, come out one at a time in the order they were sent, each behind
     * an IP header with its own source address, and up to {@link UdpEncapCarrier#RECEIVE_BATCH} of them per system
     * call.
     */
    @Test
    void shouldHandOutEachDatagramOfABatchWithItsOwnSourceUpToSixteenPerSystemCall() throws Exception
    {
        udpBatch(LibC.AF_INET, new String[] {"127.0.0.1", "127.0.0.2", "127.0.0.3"});
        udpBatch(LibC.AF_INET6, new String[] {"::1", "::1", "::1"});
    }

    private void udpBatch(final int family, final String[] sources) throws Exception
    {
        final boolean v6 = family == LibC.AF_INET6;
        final InetAddress loopback = InetAddress.getByName(v6 ? "::1" : "127.0.0.1");
        final int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
        final int count = UdpEncapCarrier.RECEIVE_BATCH * 2 + 5; // three recvmmsg with datagrams, one empty
        final DatagramSocket[] peers = new DatagramSocket[sources.length];
        try (UdpEncapCarrier carrier = new UdpEncapCarrier(family, port, 0, CAPACITY))
        {
            for (int i = 0; i < peers.length; i++)
            {
                peers[i] = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(sources[i]), 0));
            }
            final InetSocketAddress to = new InetSocketAddress(loopback, port);
            for (int i = 0; i < count; i++)
            {
                final byte[] datagram;
                if (i == 5)
                {
                    datagram = new byte[] {(byte)0xFF};
                }
                else if (i == UdpEncapCarrier.RECEIVE_BATCH + 3)
                {
                    datagram = new byte[12]; // non-ESP marker (IKE)
                }
                else
                {
                    datagram = new byte[100 + i];
                    final UnsafeBuffer esp = new UnsafeBuffer(datagram);
                    esp.putInt(0, 0x12345678, ByteOrder.BIG_ENDIAN);
                    esp.putInt(4, i, ByteOrder.BIG_ENDIAN);
                }
                // loopback queues a datagram at the receiver before send returns: all are waiting when reading starts
                peers[i % peers.length].send(new DatagramPacket(datagram, datagram.length, to));
            }

            final int ipLength = v6 ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH;
            final int source = v6 ? Ipv6Header.SOURCE_OFFSET : Ipv4Header.SOURCE_OFFSET;
            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            final byte[] address = new byte[v6 ? 16 : 4];
            for (int i = 0; i < count; i++)
            {
                final int n = carrier.receive(in, 64, in.capacity() - 64);
                if (i == 5)
                {
                    assertEquals(CarrierStatus.NAT_KEEPALIVE, n, "datagram " + i);
                    continue;
                }
                if (i == UdpEncapCarrier.RECEIVE_BATCH + 3)
                {
                    assertEquals(CarrierStatus.NON_ESP_MARKER, n, "datagram " + i);
                    continue;
                }
                assertEquals(ipLength + 100 + i, n, "datagram " + i);
                assertEquals(i, in.getInt(64 + ipLength + 4, ByteOrder.BIG_ENDIAN), "order");
                in.getBytes(64 + source, address);
                assertEquals(peers[i % peers.length].getLocalAddress(), InetAddress.getByAddress(address),
                    "source of datagram " + i);
            }
            assertEquals(CarrierStatus.NONE, carrier.receive(in, 64, in.capacity() - 64));
            assertEquals(4, carrier.receiveSystemCalls(), "16 + 16 + 5 datagrams, then nothing");

            // sparse traffic: a batch the kernel did not fill ends the reading without a call that answers EAGAIN
            carrier.endReadAtShortBatch(true);
            final byte[] lone = new byte[120];
            new UnsafeBuffer(lone).putInt(0, 0x12345678, ByteOrder.BIG_ENDIAN); // an SPI: ESP, not a marker
            peers[0].send(new DatagramPacket(lone, lone.length, to));
            assertEquals(ipLength + 120, carrier.receive(in, 64, in.capacity() - 64), "a lone datagram");
            assertEquals(CarrierStatus.NONE, carrier.receive(in, 64, in.capacity() - 64));
            assertEquals(5, carrier.receiveSystemCalls(), "a lone datagram costs one call");
            // one that comes after that answer is there at the next call (poll would have reported it)
            peers[1].send(new DatagramPacket(lone, lone.length, to));
            assertEquals(ipLength + 120, carrier.receive(in, 64, in.capacity() - 64), "a datagram after NONE");
            assertEquals(6, carrier.receiveSystemCalls());
            carrier.endReadAtShortBatch(false);
            assertEquals(CarrierStatus.NONE, carrier.receive(in, 64, in.capacity() - 64));
            assertEquals(7, carrier.receiveSystemCalls(), "switched off: reading ends at a call that finds nothing");
        }
        finally
        {
            for (final DatagramSocket peer : peers)
            {
                if (peer != null)
                {
                    peer.close();
                }
            }
        }
    }

    /**
     * RFC 3948 §2.1: IPv4 ESP-in-UDP SHOULD leave with UDP checksum 0, single datagrams and trains alike, and the
     * receiver takes it; IPv6 keeps a real checksum (RFC 8200 §8.1), and so does IPv4 with udp.checksum=kernel.
     * tcpdump captures on lo, tshark reads the checksums.
     */
    @Test
    void ipv4EspInUdpLeavesWithZeroChecksumAndIsAccepted() throws Exception
    {
        final int portA = 20000 + ThreadLocalRandom.current().nextInt(20000);
        final int portB = portA + 1;
        try (LoopbackCapture lo = new LoopbackCapture(portB))
        {
            final Path capture = lo.capture;
            final int datagrams = 4;
            final InetAddress v4 = InetAddress.getByName("127.0.0.1");
            final InetAddress v6 = InetAddress.getByName("::1");
            try (UdpEncapCarrier a4 = new UdpEncapCarrier(LibC.AF_INET, portA, 0, CAPACITY);
                UdpEncapCarrier b4 = new UdpEncapCarrier(LibC.AF_INET, portB, 0, CAPACITY);
                UdpEncapCarrier a6 = new UdpEncapCarrier(LibC.AF_INET6, portA, 0, CAPACITY);
                UdpEncapCarrier b6 = new UdpEncapCarrier(LibC.AF_INET6, portB, 0, CAPACITY);
                UdpEncapCarrier kernel4 = new UdpEncapCarrier(LibC.AF_INET, portA + 2, 0, CAPACITY, Ipv4UdpChecksum.KERNEL))
            {
                final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
                final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
                int total = espPacket(packet, false, v4, 100, 0);
                assertEquals(100, a4.send(packet, 0, 20, total, portB));
                for (int i = 1; i < datagrams; i++) // a train of three
                {
                    total = espPacket(packet, false, v4, 1000, i);
                    assertEquals(1000, a4.queue(packet, 0, 20, total, portB));
                }
                assertEquals(0, a4.flush());
                total = espPacket(packet, true, v6, 100, 9);
                assertEquals(100, a6.send(packet, 0, 40, total, portB));
                total = espPacket(packet, false, v4, 100, 10);
                assertEquals(100, kernel4.send(packet, 0, 20, total, portB));
                for (int i = 0; i < datagrams; i++)
                {
                    assertEquals(20 + (i == 0 ? 100 : 1000), poll(b4, in, 64), "IPv4 datagram " + i);
                }
                assertEquals(40 + 100, poll(b6, in, 64), "IPv6 datagram");
                assertEquals(20 + 100, poll(b4, in, 64), "IPv4 datagram with the kernel's checksum");
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<String> checksums = tshark(capture);
            while (checksums.size() < datagrams + 2 && System.nanoTime() < deadline)
            {
                checksums = tshark(capture);
            }
            assertEquals(datagrams + 2, checksums.size(), String.join("\n", checksums));
            for (final String line : checksums)
            {
                if (line.startsWith("127.0.0.1\t" + portA + "\t"))
                {
                    assertTrue(line.endsWith("\t0x0000"), "IPv4 checksum must be 0: " + line);
                }
                else
                {
                    assertFalse(line.endsWith("\t0x0000"), "IPv6 checksum must not be 0: " + line);
                }
            }
        }
    }

    /** tcpdump on lo writing the UDP datagrams to one port into a temporary pcap, listening once constructed. */
    private static final class LoopbackCapture implements AutoCloseable
    {
        private final Path capture;
        private final Path log;
        private final Process tcpdump;

        LoopbackCapture(final int port) throws Exception
        {
            capture = Files.createTempFile("esp4j-udp", ".pcap");
            log = Files.createTempFile("esp4j-udp", ".log");
            tcpdump = new ProcessBuilder("tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "-s", "0",
                "-w", capture.toString(), "udp and dst port " + port).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
            awaitText(log, "listening on", tcpdump);
        }

        public void close() throws Exception
        {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(capture);
            Files.deleteIfExists(log);
        }
    }

    /**
     * udp.checksum=auto: a lone IPv4 datagram leaves with checksum 0 (RFC 3948 §2.1), a train of
     * AUTO_TRAIN_SEGMENTS leaves as one checksummed UDP GSO send, which lo (it takes UDP segmentation offload) shows
     * tcpdump as one frame and hands the peer's UDP_GRO socket as one buffer of the same datagrams; shorter sends
     * keep the checksum until AUTO_QUIET_SENDS of them went, then it is zero again. tshark verifies the HMAC-SHA-1-96
     * ICV of each datagram that is a frame of its own and, as README says, cannot verify a train's frame.
     */
    @Test
    void shouldSendLoneIpv4DatagramsWithZeroChecksumAndTrainsAsChecksummedUdpGso() throws Exception
    {
        final int portA = 20000 + ThreadLocalRandom.current().nextInt(20000);
        final int portB = portA + 1;
        final InetAddress v4 = InetAddress.getByName("127.0.0.1");
        final int train = UdpEncapCarrier.AUTO_TRAIN_SEGMENTS;
        try (LoopbackCapture lo = new LoopbackCapture(portB))
        {
            final Path capture = lo.capture;
            try (UdpEncapCarrier a = new UdpEncapCarrier(LibC.AF_INET, portA, 0, CAPACITY, Ipv4UdpChecksum.AUTO);
                UdpEncapCarrier b = new UdpEncapCarrier(LibC.AF_INET, portB, 0, CAPACITY))
            {
                final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
                final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
                int sequence = 1;
                // frame 1: lone, zero; frame 2: the train of 4; frame 3: a short train of 2, still checksummed
                assertEquals(200, a.queue(packet, 0, 20, signedEspPacket(packet, v4, 200, sequence++), portB));
                assertEquals(0, a.flush());
                for (int i = 0; i < train; i++)
                {
                    assertEquals(1000, a.queue(packet, 0, 20, signedEspPacket(packet, v4, 1000, sequence++), portB));
                }
                assertEquals(0, a.flush());
                assertEquals(1, a.checksumSwitches(), "checksum on for the train");
                for (int i = 0; i < 2; i++)
                {
                    assertEquals(600, a.queue(packet, 0, 20, signedEspPacket(packet, v4, 600, sequence++), portB));
                }
                assertEquals(0, a.flush());
                // frames 4..: lone datagrams, checksummed but the last: the AUTO_QUIET_SENDS-th send without a train
                for (int i = 0; i < UdpEncapCarrier.AUTO_QUIET_SENDS - 1; i++)
                {
                    assertEquals(200, a.queue(packet, 0, 20, signedEspPacket(packet, v4, 200, sequence++), portB));
                    assertEquals(0, a.flush());
                }
                assertEquals(2, a.checksumSwitches(), "checksum off again after the quiet sends");

                assertEquals(20 + 200, poll(b, in, 64), "lone datagram");
                for (int i = 0; i < train; i++)
                {
                    assertEquals(20 + 1000, poll(b, in, 64), "datagram " + i + " of the train");
                    assertEquals(2 + i, in.getInt(64 + 20 + 4, ByteOrder.BIG_ENDIAN), "its sequence number");
                }
                for (int i = 0; i < 2 + UdpEncapCarrier.AUTO_QUIET_SENDS - 1; i++)
                {
                    assertTrue(poll(b, in, 64) > 0, "datagram " + i + " after the train");
                }
                assertEquals(CarrierStatus.NONE, b.receive(in, 64, in.capacity() - 64));
            }
            final int frames = 3 + UdpEncapCarrier.AUTO_QUIET_SENDS - 1;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<String> lines = tsharkEsp(capture, portB);
            while (lines.size() < frames && System.nanoTime() < deadline)
            {
                lines = tsharkEsp(capture, portB);
            }
            assertEquals(frames, lines.size(), String.join("\n", lines));
            // "frame length, UDP checksum, ESP sequence, ICV good, ICV bad"
            assertEquals("242\t0x0000\t1\t1\t0", lines.get(0), "lone datagram: zero checksum, ICV verified");
            final String[] trainFrame = lines.get(1).split("\t", -1);
            assertEquals(String.valueOf(14 + 20 + 8 + train * 1000), trainFrame[0], "the train is one frame");
            assertFalse("0x0000".equals(trainFrame[1]), "the train has a checksum: " + lines.get(1));
            assertEquals("2", trainFrame[2], "the frame shows the first datagram's sequence number");
            assertEquals("0\t1", trainFrame[3] + "\t" + trainFrame[4], "nor can tshark verify its ICV");
            for (int i = 3; i < frames; i++)
            {
                final String[] fields = lines.get(i).split("\t", -1);
                assertEquals("242", fields[0], lines.get(i));
                assertEquals(i < frames - 1, !"0x0000".equals(fields[1]), "frame " + (i + 1) + ": " + lines.get(i));
                assertEquals("1\t0", fields[3] + "\t" + fields[4], "ICV verified: " + lines.get(i));
            }
        }
    }

    /** HMAC-SHA-1-96 key of {@link #signedEspPacket}, the esp_sa row tshark checks its ICVs with. */
    private static final byte[] AUTH_KEY = new byte[20];

    static
    {
        for (int i = 0; i < AUTH_KEY.length; i++)
        {
            AUTH_KEY[i] = (byte)(0x30 + i);
        }
    }

    /**
     * An IPv4 header (protocol ESP) and ESP of {@code espLength} bytes for SPI 0x12345678 with NULL encryption:
     * a byte pattern, pad length 0, next header 59, and the HMAC-SHA-1-96 ICV from the JDK's Mac.
     */
    private static int signedEspPacket(
        final UnsafeBuffer packet, final InetAddress loopback, final int espLength, final int sequence) throws Exception
    {
        final int total = espPacket(packet, false, loopback, espLength, sequence);
        final int esp = 20;
        final int icv = esp + espLength - 12;
        packet.putByte(icv - 2, (byte)0);
        packet.putByte(icv - 1, (byte)59);
        final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
        mac.init(new javax.crypto.spec.SecretKeySpec(AUTH_KEY, "HmacSHA1"));
        final byte[] covered = new byte[espLength - 12];
        packet.getBytes(esp, covered);
        packet.putBytes(icv, mac.doFinal(covered), 0, 12);
        return total;
    }

    /** @return "frame length, UDP checksum, ESP sequence, ICV good, ICV bad" per frame, tshark checking the ICVs. */
    private static List<String> tsharkEsp(final Path capture, final int port) throws Exception
    {
        final StringBuilder key = new StringBuilder("0x");
        for (final byte b : AUTH_KEY)
        {
            key.append(String.format("%02x", b));
        }
        final Process process = new ProcessBuilder("tshark", "-n", "-r", capture.toString(),
            "-d", "udp.port==" + port + ",udpencap", "-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE",
            "-o", "uat:esp_sa:\"IPv4\",\"127.0.0.1\",\"127.0.0.1\",\"0x12345678\",\"NULL\",\"\"," +
            "\"HMAC-SHA-1-96 [RFC2404]\",\"" + key + "\"",
            "-T", "fields", "-e", "frame.len", "-e", "udp.checksum", "-e", "esp.sequence", "-e", "esp.icv_good",
            "-e", "esp.icv_bad").redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "tshark did not finish");
        final List<String> lines = new ArrayList<>();
        for (final String line : out.split("\n"))
        {
            if (!line.isBlank() && Character.isDigit(line.charAt(0)))
            {
                lines.add(line);
            }
        }
        return lines;
    }

    /** @return "source\tsource port\tchecksum" per captured UDP datagram, as tshark dissects them. */
    private static List<String> tshark(final Path capture) throws Exception
    {
        final Process process = new ProcessBuilder("tshark", "-r", capture.toString(), "-T", "fields",
            "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "udp.checksum").start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "tshark did not finish");
        final List<String> lines = new ArrayList<>();
        for (final String line : out.split("\n"))
        {
            if (!line.isBlank())
            {
                lines.add(line.replace("\t\t", "\t")); // one of ip.src / ipv6.src is empty
            }
        }
        return lines;
    }

    private static void awaitText(final Path log, final String text, final Process process) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(log).contains(text))
        {
            assertTrue(process.isAlive(), "tcpdump exited: " + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "tcpdump not listening: " + Files.readString(log));
            Thread.sleep(10);
        }
    }

    /** An IP + UDP + ESP packet whose ESP carries SPI 0x12345678, sequence {@code sequence}, then a byte pattern. */
    /** What an EspProcessor in carrier mode leaves for the UDP carrier: an IP header (protocol ESP), then ESP. */
    private static int espPacket(
        final UnsafeBuffer packet, final boolean v6, final InetAddress loopback, final int espLength, final int sequence)
    {
        final int ipLength = v6 ? 40 : 20;
        final int total = ipLength + espLength;
        if (v6)
        {
            Ipv6Header.write(packet, 0, 0, espLength, LibC.IPPROTO_ESP, 64);
            packet.putBytes(8, loopback.getAddress());
            packet.putBytes(24, loopback.getAddress());
        }
        else
        {
            Ipv4Header.write(packet, 0, 0, total, LibC.IPPROTO_ESP, 64);
            packet.putBytes(12, loopback.getAddress());
            packet.putBytes(16, loopback.getAddress());
        }
        for (int j = 8; j < espLength; j++)
        {
            packet.putByte(ipLength + j, (byte)(sequence + j));
        }
        packet.putInt(ipLength, 0x12345678, ByteOrder.BIG_ENDIAN);
        packet.putInt(ipLength + 4, sequence, ByteOrder.BIG_ENDIAN);
        return total;
    }

    @Test
    void rawBatchLeavesInOrderThroughSendmmsgAndRecvmmsg() throws Exception
    {
        try (RawIpSender sender = new RawIpSender(LibC.AF_INET6, 0, CAPACITY, 65535);
            RawIpReceiver receiver = new RawIpReceiver(LibC.AF_INET6, CAPACITY))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
            final long spi = 0x10000000L + ThreadLocalRandom.current().nextInt(0x0FFFFFFF);
            final int count = RawIpSender.BATCH_SIZE + 36;
            for (int i = 0; i < count; i++)
            {
                final int length = espPacket6(packet, 0, InetAddress.getByName("::1"), spi);
                packet.putInt(44, i, ByteOrder.BIG_ENDIAN);
                assertEquals(length, sender.queue(packet, 0, length));
            }
            assertEquals(0, sender.flush());
            assertEquals(0, sender.queued());

            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            for (int i = 0; i < count; i++)
            {
                assertEquals(80, receiveSpi(receiver, in, 128, spi, 40));
                assertEquals(i, in.getInt(128 + 44, ByteOrder.BIG_ENDIAN), "order");
            }
        }
    }

    @Test
    void shouldSendABatchedIpv6PacketWithTheSourceOfItsHeaderEvenOneTheHostDoesNotOwn() throws Exception
    {
        // each queued packet names its header's source (IPV6_PKTINFO, IPV6_FREEBIND): the kernel looks for no source
        // of its own (a walk of every address of the interface), and a foreign source leaves as written, as before
        final byte[] foreign = InetAddress.getByName("2001:db8:4701::99").getAddress();
        final byte[] local = InetAddress.getByName("::1").getAddress();
        try (RawIpSender sender = new RawIpSender(LibC.AF_INET6, 0, CAPACITY, 65535);
            RawIpReceiver receiver = new RawIpReceiver(LibC.AF_INET6, CAPACITY))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[2048]);
            final long spi = 0x10000000L + ThreadLocalRandom.current().nextInt(0x0FFFFFFF);
            final byte[][] sources = { foreign, local, foreign };
            for (final byte[] source : sources)
            {
                final int length = espPacket6(packet, 0, InetAddress.getByName("::1"), spi);
                packet.putBytes(Ipv6Header.SOURCE_OFFSET, source);
                assertEquals(length, sender.queue(packet, 0, length));
            }
            assertEquals(0, sender.flush());

            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            for (final byte[] source : sources)
            {
                assertEquals(80, receiveSpi(receiver, in, 128, spi, 40));
                final byte[] received = new byte[16];
                in.getBytes(128 + Ipv6Header.SOURCE_OFFSET, received);
                assertArrayEquals(source, received);
            }
        }
    }

    private static int poll(final UdpEncapCarrier carrier, final UnsafeBuffer in, final int offset) throws Exception
    {
        for (int i = 0; i < 400; i++)
        {
            final int n = carrier.receive(in, offset, in.capacity() - offset);
            if (n != CarrierStatus.NONE)
            {
                return n;
            }
            Thread.sleep(5);
        }
        return CarrierStatus.NONE;
    }

    private static int receiveSpi(
        final RawIpReceiver receiver, final UnsafeBuffer in, final int offset, final long spi, final int ipLength)
        throws Exception
    {
        for (int i = 0; i < 400; i++)
        {
            final int n = receiver.receive(in, offset, in.capacity() - offset);
            if (n == CarrierStatus.NONE)
            {
                Thread.sleep(5);
                continue;
            }
            assertTrue(n > 0, "receive failed: " + n);
            if ((in.getInt(offset + ipLength, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL) == spi)
            {
                return n;
            }
        }
        return -1;
    }

    static int espPacket6(final UnsafeBuffer b, final int offset, final InetAddress address, final long spi)
    {
        final int payload = 8 + 32;
        Ipv6Header.write(b, offset, 0, payload, LibC.IPPROTO_ESP, 64);
        b.putBytes(offset + 8, address.getAddress());
        b.putBytes(offset + 24, address.getAddress());
        b.putInt(offset + 40, (int)spi, ByteOrder.BIG_ENDIAN);
        b.putInt(offset + 44, 1, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 32; i++)
        {
            b.putByte(offset + 48 + i, (byte)i);
        }
        return 40 + payload;
    }
}
