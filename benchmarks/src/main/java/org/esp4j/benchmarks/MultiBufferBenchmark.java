package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.Ipv6Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * HMAC-SHA-1-96 or HMAC-MD5-96 + NULL ESP, {@value #PACKETS} packets of one length at a time (a TCP super-packet's segments, a
 * receive batch): ICVs computed together in vector lanes ({@link IcvBatch}) against the same packets one by one, and
 * against the JDK's {@link Mac} over the same bytes. Scores are per packet.
 * <p>
 * <b>What is measured.</b> {@link #protectBatched()} copies {@value #PACKETS} plaintext packets into their buffers,
 * protects each with the batch set (ICV deferred), then has the batch write the ICVs. {@link #protectOneByOne()}
 * does the same without a batch. {@link #unprotectBatched()} copies {@value #PACKETS} ESP packets into their
 * buffers, announces each ({@link EspProcessor#prepareInbound}), computes the MACs together and checks and
 * decapsulates each; {@link #unprotectOneByOne()} the same without a batch (anti-replay off, as in
 * {@link UnprotectBenchmark}, so the same packets are accepted again).
 * <p>
 * <b>Baseline.</b> {@link #baselineJdkMac()}: the same copies, then {@link Mac} over each packet's ICV-covered bytes
 * and the truncated ICV written behind them.
 * <p>
 * The batch needs {@code --add-modules jdk.incubator.vector} (added to the fork) and is used by default from JDK 25
 * ({@code IcvBatch.createIfFaster()}); this benchmark forces it on ({@code IcvBatch.create(1)}) so JDK 17 shows why.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-modules", "jdk.incubator.vector" })
public class MultiBufferBenchmark extends EspBaselineState
{
    static final int PACKETS = 16;

    @Param({ "HMAC_SHA1_96_NULL", "HMAC_MD5_96_NULL" })
    public EspSuite suite;

    /** UDP payload bytes. */
    @Param({ "64", "512", "1400" })
    public int payload;

    private EspFixture ue;
    private EspFixture ueBatched;
    private EspFixture pcscf;
    private EspFixture pcscfBatched;
    private final UnsafeBuffer[] buffers = new UnsafeBuffer[PACKETS];
    private int espOffset;

    @Setup
    public void setup()
    {
        ue = new EspFixture(suite, 64);
        ueBatched = new EspFixture(suite, 64);
        pcscf = new EspFixture(suite, 0);
        pcscfBatched = new EspFixture(suite, 0);
        final IcvBatch outboundBatch = IcvBatch.create(1);
        final IcvBatch inboundBatch = IcvBatch.create(1);
        EspFixture.check(outboundBatch != null && inboundBatch != null, "jdk.incubator.vector is not loaded");
        ueBatched.processor.icvBatch(outboundBatch);
        pcscfBatched.processor.icvBatch(inboundBatch);

        setupPacketAndBaseline(suite, payload);
        for (int i = 0; i < PACKETS; i++)
        {
            buffers[i] = EspFixture.packetBuffer(esp.length);
        }
        espOffset = EspFixture.OFFSET - 8 + Ipv6Header.LENGTH;

        // both ways give the same packets
        protectBatched();
        final byte[] batched = copyResult(ueBatched.processor, buffers[PACKETS - 1]);
        protectOneByOne();
        final byte[] single = copyResult(ue.processor, buffers[PACKETS - 1]);
        EspFixture.check(Arrays.equals(batched, single), "batched ICVs differ");
        EspFixture.check(unprotectBatched() == PACKETS, "batched unprotect failed");
        EspFixture.check(unprotectOneByOne() == PACKETS, "unprotect failed");
    }

    private static byte[] copyResult(final EspProcessor processor, final UnsafeBuffer buffer)
    {
        final byte[] bytes = new byte[processor.resultLength()];
        buffer.getBytes(processor.resultOffset(), bytes);
        return bytes;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ue.checkNoDrops(XfrmCounter.Esp4jOutProtected);
        ueBatched.checkNoDrops(XfrmCounter.Esp4jOutProtected);
        pcscf.checkNoDrops(XfrmCounter.Esp4jInDelivered);
        pcscfBatched.checkNoDrops(XfrmCounter.Esp4jInDelivered);
    }

    /** @return sum of the verdicts. */
    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int protectBatched()
    {
        final int verdicts = protectAll(ueBatched);
        ueBatched.processor.completeIcvs();
        ueBatched.processor.clearPrepared();
        return verdicts;
    }

    /** @return sum of the verdicts. */
    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int protectOneByOne()
    {
        return protectAll(ue);
    }

    private int protectAll(final EspFixture side)
    {
        int verdicts = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            buffers[i].putBytes(EspFixture.OFFSET, plaintext);
            verdicts += side.processor.protect(side.sa, buffers[i], EspFixture.OFFSET, plaintext.length);
        }
        return verdicts;
    }

    /** @return packets delivered. */
    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int unprotectBatched()
    {
        final EspProcessor processor = pcscfBatched.processor;
        for (int i = 0; i < PACKETS; i++)
        {
            buffers[i].putBytes(EspFixture.OFFSET, esp);
            processor.prepareInbound(buffers[i], EspFixture.OFFSET, esp.length);
        }
        processor.completeIcvs();
        int delivered = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            delivered += processor.inbound(buffers[i], EspFixture.OFFSET, esp.length) == EspVerdict.DELIVER ? 1 : 0;
        }
        processor.clearPrepared();
        return delivered;
    }

    /** @return packets delivered. */
    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int unprotectOneByOne()
    {
        final EspProcessor processor = pcscf.processor;
        int delivered = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            buffers[i].putBytes(EspFixture.OFFSET, esp);
            delivered += processor.inbound(buffers[i], EspFixture.OFFSET, esp.length) == EspVerdict.DELIVER ? 1 : 0;
        }
        return delivered;
    }

    /**
     * The same copies, then the JDK HMAC over each packet's ICV-covered bytes, the truncated ICV written behind them.
     *
     * @return a byte of the last MAC.
     * @throws ShortBufferException never.
     */
    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public byte baselineJdkMac() throws ShortBufferException
    {
        for (int i = 0; i < PACKETS; i++)
        {
            final byte[] array = buffers[i].byteArray();
            System.arraycopy(esp, 0, array, EspFixture.OFFSET, esp.length);
            mac.update(array, espOffset, authLength);
            mac.doFinal(macOut, 0);
            System.arraycopy(macOut, 0, array, espOffset + authLength, icvLength);
        }
        return macOut[0];
    }
}
