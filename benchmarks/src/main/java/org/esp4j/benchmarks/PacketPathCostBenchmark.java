package org.esp4j.benchmarks;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EspTransform;
import org.esp4j.core.crypto.HmacEngine;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.sa.EpochReclamation;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
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
import org.agrona.concurrent.CachedNanoClock;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import java.util.concurrent.TimeUnit;

/**
 * Diagnosis, not a target: the cost of each piece of {@code EspProcessor}'s per-packet work outside the
 * cryptography, measured by calling the same public SA, SAD and counter methods the processor calls, in the same
 * order, with nothing else. Average time per op, so the pieces add up.
 * <ul>
 *   <li>{@link #protectBookkeeping()}: what {@code EspProcessor.protectParsed} does besides parse, copy and MAC.</li>
 *   <li>{@link #unprotectBookkeeping()}: what {@code EspProcessor.unprotectParsed} does besides parse, copy and
 *       MAC, with anti-replay on (a new sequence number each call).</li>
 *   <li>the single pieces: per-thread transform lookup, the three replay-window monitors, the SA and global
 *       counters, the outbound sequence number.</li>
 *   <li>{@link #hmacEngine()} and {@link #jdkMac()}: esp4j's {@link HmacEngine} and the JDK {@link Mac} over the same
 *       84 bytes (the ICV-covered part of a 64-byte-payload NULL packet), and {@link #transformProtect()}: the
 *       per-thread {@link EspTransform} doing NULL "encryption" plus HMAC and ICV copy.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED" })
public class PacketPathCostBenchmark
{
    @Param({ "HMAC_SHA1_96_NULL" })
    public EspSuite suite;

    private CachedNanoClock clock;
    private XfrmCounters counters;
    private SecurityAssociationDatabase sad;
    private SecurityAssociation outSa;
    private SecurityAssociation inSa;
    private long inSequence;
    private long destinationHigh;
    private long destinationLow;

    private HmacEngine hmac;
    private Mac mac;
    private EspTransform transform;
    /** As an EspProcessor: registered with its SAD, entering and leaving an epoch around each packet. */
    private EpochReclamation.Reader outReader;
    private EpochReclamation.Reader inReader;
    private byte[] esp;
    private byte[] macOut;
    private int authLength;

    @Setup
    public void setup()
    {
        final EspFixture ue = new EspFixture(suite, 64);
        final EspFixture pcscf = new EspFixture(suite, 64);
        clock = pcscf.clock;
        counters = pcscf.counters;
        sad = pcscf.sad;
        outSa = ue.sa;
        inSa = pcscf.sa;
        destinationHigh = inSa.destinationHigh();
        destinationLow = inSa.destinationLow();

        esp = ue.protectOnce(EspFixture.ipv6UdpPacket(64));
        authLength = EspFixture.authenticatedLength(esp, suite.integrity().icvLengthBytes());
        hmac = new HmacEngine(suite.integrity(), suite.integrityKey());
        mac = EspFixture.jdkMac(suite);
        macOut = new byte[mac.getMacLength()];
        outReader = ue.sad.registerReader();
        inReader = sad.registerReader();
        transform = outSa.transform(outReader);
    }

    /** @return a value the JIT cannot drop. */
    @Benchmark
    public long protectBookkeeping()
    {
        outReader.enter();
        final long nowNs = clock.nanoTime();
        if (!outSa.checkHardLimits(nowNs))
        {
            outReader.exit();
            return -1;
        }
        final EspTransform t = outSa.transform(outReader);
        final long sequence = outSa.takeOutboundSequence();
        outSa.onPacket(64, nowNs);
        counters.increment(XfrmCounter.Esp4jOutProtected);
        outReader.exit();
        return sequence + t.icvLength();
    }

    /** @return a value the JIT cannot drop. */
    @Benchmark
    public long unprotectBookkeeping()
    {
        inReader.enter();
        final SecurityAssociation sa = sad.lookup(inSa.spi(), destinationHigh, destinationLow);
        final long nowNs = clock.nanoTime();
        if (!sa.checkHardLimits(nowNs))
        {
            inReader.exit();
            return -1;
        }
        final EspTransform t = sa.transform(inReader);
        final long sequence = sa.replayPreCheck(++inSequence & 0xFFFF_FFFFL);
        if (sequence < 0 || !sa.replayCheckAndUpdate(sequence))
        {
            inReader.exit();
            return -2;
        }
        sa.onPacket(64, nowNs);
        counters.increment(XfrmCounter.Esp4jInDelivered);
        inReader.exit();
        return sequence + t.icvLength();
    }

    /** @return the processor's own transform ({@code SecurityAssociation.transform(reader)}, a slot on the SA). */
    @Benchmark
    public EspTransform transformLookup()
    {
        return inSa.transform(inReader);
    }

    /** @return the two synchronized replay-window calls of one inbound packet (pre-check, then update). */
    @Benchmark
    public boolean replayMonitors()
    {
        final long sequence = inSa.replayPreCheck(++inSequence & 0xFFFF_FFFFL);
        return sequence >= 0 && inSa.replayCheckAndUpdate(sequence);
    }

    /** The SA's lifetime check and counters plus one global counter, as for one packet. */
    @Benchmark
    public boolean counters()
    {
        final long nowNs = clock.nanoTime();
        final boolean ok = outSa.checkHardLimits(nowNs);
        outSa.onPacket(64, nowNs);
        counters.increment(XfrmCounter.Esp4jOutProtected);
        return ok;
    }

    /** @return the next outbound sequence number (an atomic increment). */
    @Benchmark
    public long outboundSequence()
    {
        return outSa.takeOutboundSequence();
    }

    /** @return esp4j's HMAC over the ICV-covered bytes. */
    @Benchmark
    public byte hmacEngine()
    {
        hmac.start();
        hmac.update(esp, Ipv6Header.LENGTH, authLength);
        hmac.finish(macOut, 0);
        return macOut[0];
    }

    /**
     * @return the JDK's HMAC over the same bytes.
     * @throws ShortBufferException never.
     */
    @Benchmark
    public byte jdkMac() throws ShortBufferException
    {
        mac.update(esp, Ipv6Header.LENGTH, authLength);
        mac.doFinal(macOut, 0);
        return macOut[0];
    }

    /** @return the transform's protect (NULL cipher, HMAC, ICV copy) over the same bytes, in place. */
    @Benchmark
    public byte transformProtect()
    {
        final EspTransform t = transform;
        final int espOffset = Ipv6Header.LENGTH;
        t.protect(esp, espOffset, espOffset + 8 + t.ivLength(), authLength - 8 - t.ivLength(), false, 1);
        return esp[espOffset + authLength];
    }
}
