package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.tun.offload.TunWriter;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.TcpHeader;
import org.esp4j.tun.offload.TcpSegmenter;
import org.esp4j.tun.offload.VirtioNetHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's TUN offload work per 64 KiB TCP super-packet (45 segments), against the copies it cannot avoid.
 * <p>
 * <b>What is measured.</b> {@link #segment()}: {@link TcpSegmenter} cuts a super-packet (read from the TUN into
 * native memory) into segments in the heap packet buffer, rewriting lengths, IPv4 id, sequence number and flags and
 * computing each TCP checksum. {@link #coalesce()}: {@link TunWriter} takes the 45 segments (each checksum
 * verified), joins them in its native area and "writes" one GSO packet (the writer does nothing).
 * <p>
 * <b>Baselines.</b> {@link #baselineCopySegments()} makes the same copies as {@link #segment()} (headers and
 * payload slice per segment) and nothing else; {@link #baselineCopyTrain()} the copies of {@link #coalesce()}. The
 * difference is the cost of the header rewriting and of one checksum pass per byte.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class OffloadBenchmark
{
    private static final int TCP_HEADER_LENGTH = 32; // with the timestamps option, as Linux sends
    private static final int SEGMENTS = 45;

    /** IP version of the TCP stream. */
    @Param({ "4", "6" })
    public int ipVersion;

    private int ipHeaderLength;
    private int gsoSize;
    private int superLength;
    private UnsafeBuffer superPacket;
    private UnsafeBuffer packet;
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private TunWriter coalescer;
    private UnsafeBuffer[] segments;
    private int[] segmentLengths;
    private UnsafeBuffer train;

    @Setup
    public void setup()
    {
        ipHeaderLength = ipVersion == 4 ? 20 : 40;
        gsoSize = 1500 - ipHeaderLength - TCP_HEADER_LENGTH;
        superLength = ipHeaderLength + TCP_HEADER_LENGTH + SEGMENTS * gsoSize;
        superPacket = new UnsafeBuffer(ByteBuffer.allocateDirect(superLength + 64));
        buildSuperPacket();
        packet = new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + EspProcessor.MAX_PACKET_LENGTH +
            EspProcessor.MAX_TAILROOM]);

        segments = new UnsafeBuffer[SEGMENTS];
        segmentLengths = new int[SEGMENTS];
        if (segmenter.prepare(superPacket, 0, superLength, gsoType(), gsoSize, ipHeaderLength) != SEGMENTS)
        {
            throw new IllegalStateException("segmenter refused the super-packet");
        }
        for (int i = 0; i < SEGMENTS; i++)
        {
            segments[i] = new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + 1500 + EspProcessor.MAX_TAILROOM]);
            segmentLengths[i] = segmenter.segment(i, segments[i], EspProcessor.MAX_HEADROOM);
        }
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)), new UnsafeBuffer(ByteBuffer.allocateDirect(8 * 1024)));
        final AtomicCounter written = counters.newCounter("written");
        coalescer = new TunWriter((address, length) -> length, VirtioNetHeader.LENGTH, true, written,
            counters.newCounter("segments"), counters.newCounter("errors"));
        coalesce();
        if (written.get() != 1)
        {
            throw new IllegalStateException("the coalescer did not join the train");
        }
        train = new UnsafeBuffer(ByteBuffer.allocateDirect(VirtioNetHeader.LENGTH + TunWriter.MAX_PACKET_LENGTH));
    }

    @Benchmark
    public int segment()
    {
        final int count = segmenter.prepare(superPacket, 0, superLength, gsoType(), gsoSize, ipHeaderLength);
        int bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += segmenter.segment(i, packet, EspProcessor.MAX_HEADROOM);
        }
        return bytes;
    }

    @Benchmark
    public int baselineCopySegments()
    {
        final int headers = ipHeaderLength + TCP_HEADER_LENGTH;
        int bytes = 0;
        for (int i = 0; i < SEGMENTS; i++)
        {
            packet.putBytes(EspProcessor.MAX_HEADROOM, superPacket, 0, headers);
            packet.putBytes(EspProcessor.MAX_HEADROOM + headers, superPacket, headers + i * gsoSize, gsoSize);
            bytes += headers + gsoSize;
        }
        return bytes;
    }

    @Benchmark
    public int coalesce()
    {
        for (int i = 0; i < SEGMENTS; i++)
        {
            coalescer.offer(segments[i], EspProcessor.MAX_HEADROOM, segmentLengths[i]);
        }
        coalescer.flush();
        return coalescer.pendingSegments();
    }

    @Benchmark
    public int baselineCopyTrain()
    {
        final int headers = ipHeaderLength + TCP_HEADER_LENGTH;
        int at = VirtioNetHeader.LENGTH;
        train.putBytes(at, segments[0], EspProcessor.MAX_HEADROOM, headers);
        at += headers;
        for (int i = 0; i < SEGMENTS; i++)
        {
            train.putBytes(at, segments[i], EspProcessor.MAX_HEADROOM + headers, gsoSize);
            at += gsoSize;
        }
        return at;
    }

    private int gsoType()
    {
        return ipVersion == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6;
    }

    /** An IPv4 or IPv6 TCP super-packet as the kernel hands it over with TSO: one header, 45 segments of payload. */
    private void buildSuperPacket()
    {
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < superLength; i++)
        {
            superPacket.putByte(i, (byte)random.nextInt(256));
        }
        if (ipVersion == 4)
        {
            // the identification and checksum stay random, as TSO leaves them to the segmenter
            final int identification = Ipv4Header.identification(superPacket, 0);
            final int checksum = Ipv4Header.checksum(superPacket, 0);
            Ipv4Header.write(superPacket, 0, 0, superLength, IpProtocol.TCP, 64);
            Ipv4Header.identification(superPacket, 0, identification);
            Ipv4Header.flagsAndFragmentOffset(superPacket, 0, Ipv4Header.DONT_FRAGMENT);
            superPacket.putShort(Ipv4Header.CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        }
        else
        {
            Ipv6Header.write(superPacket, 0, 0, superLength - Ipv6Header.LENGTH, IpProtocol.TCP, 64);
        }
        final int tcp = ipHeaderLength;
        superPacket.putByte(tcp + TcpHeader.DATA_OFFSET_OFFSET, (byte)((TCP_HEADER_LENGTH / 4) << 4));
        superPacket.putByte(tcp + TcpHeader.FLAGS_OFFSET, (byte)(TcpHeader.ACK | TcpHeader.PSH));
        // timestamps option: NOP NOP TS(10)
        superPacket.putInt(tcp + 20, 0x0101080a, ByteOrder.BIG_ENDIAN);
        // partial checksum, as the kernel leaves it
        superPacket.putShort(tcp + TcpHeader.CHECKSUM_OFFSET, (short)InternetChecksum.fold(
            InternetChecksum.pseudoHeaderSum(superPacket, 0, ipVersion == 6, IpProtocol.TCP,
            superLength - ipHeaderLength)), ByteOrder.BIG_ENDIAN);
    }
}
