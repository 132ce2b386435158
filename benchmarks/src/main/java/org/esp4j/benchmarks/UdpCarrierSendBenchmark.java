package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.tun.carrier.Ipv4UdpChecksum;
import org.esp4j.tun.carrier.UdpEncapCarrier;
import org.esp4j.tun.jna.LibC;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The IPv4 UDP carrier's send path through a real socket on loopback, per {@code udp.checksum} mode: one operation is
 * a train of {@link UdpEncapCarrier#AUTO_TRAIN_SEGMENTS} 1,400-byte ESP packets (one flush) followed by
 * {@link UdpEncapCarrier#AUTO_QUIET_SENDS} lone 200-byte ones (a flush each), the pattern that makes {@code auto}
 * switch {@code SO_NO_CHECK} twice per operation (its worst case). The peer socket takes what its buffer holds and
 * the kernel drops the rest, so the figures are the sender's system calls and the stack's output work.
 * <p>
 * Run with {@code -prof gc}: every mode should allocate nothing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class UdpCarrierSendBenchmark
{
    private static final int TRAIN_ESP = 1400;
    private static final int LONE_ESP = 200;

    @Param({ "zero", "kernel", "auto" })
    public String checksum;

    private UdpEncapCarrier carrier;
    private DatagramSocket peer;
    private int peerPort;
    private final UnsafeBuffer train = new UnsafeBuffer(new byte[Ipv4Header.MIN_LENGTH + TRAIN_ESP]);
    private final UnsafeBuffer lone = new UnsafeBuffer(new byte[Ipv4Header.MIN_LENGTH + LONE_ESP]);

    @Setup
    public void setup() throws Exception
    {
        peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        peerPort = peer.getLocalPort();
        carrier = new UdpEncapCarrier(LibC.AF_INET, 0, 0, 65536,
            Ipv4UdpChecksum.valueOf(checksum.toUpperCase(java.util.Locale.ROOT)));
        esp(train, TRAIN_ESP);
        esp(lone, LONE_ESP);
    }

    /** What an EspProcessor in carrier mode leaves: IPv4 header 127.0.0.1 to 127.0.0.1, protocol ESP, then ESP. */
    private static void esp(final UnsafeBuffer packet, final int espLength)
    {
        Ipv4Header.write(packet, 0, 0, Ipv4Header.MIN_LENGTH + espLength, LibC.IPPROTO_ESP, 64);
        packet.putInt(Ipv4Header.SOURCE_OFFSET, 0x7f000001, ByteOrder.BIG_ENDIAN);
        packet.putInt(Ipv4Header.DESTINATION_OFFSET, 0x7f000001, ByteOrder.BIG_ENDIAN);
        packet.putInt(Ipv4Header.MIN_LENGTH, 0x12345678, ByteOrder.BIG_ENDIAN);
    }

    @TearDown
    public void tearDown()
    {
        carrier.close();
        peer.close();
    }

    @Benchmark
    public int trainThenLoneDatagrams()
    {
        for (int i = 0; i < UdpEncapCarrier.AUTO_TRAIN_SEGMENTS; i++)
        {
            carrier.queue(train, 0, Ipv4Header.MIN_LENGTH, train.capacity(), peerPort);
        }
        int failed = carrier.flush();
        for (int i = 0; i < UdpEncapCarrier.AUTO_QUIET_SENDS; i++)
        {
            carrier.queue(lone, 0, Ipv4Header.MIN_LENGTH, lone.capacity(), peerPort);
            failed += carrier.flush();
        }
        return failed;
    }
}
