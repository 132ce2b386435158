package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.Ipv6Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.ShortBufferException;
import java.util.concurrent.TimeUnit;

/**
 * Inbound ESP: {@link EspProcessor#inbound} of one ESP packet, in place, against the JDK computing the same HMAC.
 * <p>
 * <b>What is measured.</b> {@link #unprotect()} copies a protected packet (made once by the UE side) into the
 * buffer and hands it to the P-CSCF side: IP parse, SA lookup by SPI and destination, sequence number inference,
 * replay pre-check, ICV check (constant time), replay update, decryption (AES-CBC suite), padding check, removal of
 * ESP header and trailer, selector check, counters. The receiving SA has anti-replay <b>off</b>
 * ({@code replay-window 0}) so that the same packet can be accepted again and again; the replay calls are still
 * made. {@link RoundTripBenchmark} measures the window-64 path with fresh sequence numbers.
 * <p>
 * <b>Baseline.</b> {@link #baselineJdkMac()} does the same copy, computes the suite's HMAC with
 * {@link javax.crypto.Mac} over the ICV-covered bytes (the set-up checks it reproduces the ICV) and compares it with
 * the packet's ICV in constant time (the same OR-of-XOR loop esp4j uses), as any receiver must.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED" })
public class UnprotectBenchmark extends EspBaselineState
{
    @Param({ "HMAC_MD5_96_NULL", "HMAC_SHA1_96_NULL", "HMAC_SHA1_96_AES_CBC" })
    public EspSuite suite;

    /** UDP payload bytes of the inner packet. */
    @Param({ "64", "512", "1400" })
    public int payload;

    private EspFixture pcscf;
    private EspProcessor processor;
    private UnsafeBuffer buffer;
    private byte[] array;
    private int espOffset;

    @Setup
    public void setup()
    {
        setupPacketAndBaseline(suite, payload);
        pcscf = new EspFixture(suite, 0);
        processor = pcscf.processor;
        buffer = EspFixture.packetBuffer(esp.length);
        array = buffer.byteArray();
        espOffset = EspFixture.OFFSET + Ipv6Header.LENGTH;

        for (int i = 0; i < 3; i++)
        {
            EspFixture.check(unprotect() == EspVerdict.DELIVER, "unprotect failed: " + processor.dropReason());
            checkResultIsPlaintext(processor, buffer, "unprotect");
        }
        EspFixture.check(baselineJdkMac(), "baseline ICV mismatch");
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        pcscf.checkNoDrops(XfrmCounter.Esp4jInDelivered);
    }

    /** @return the verdict, {@link EspVerdict#DELIVER}. */
    @Benchmark
    public int unprotect()
    {
        System.arraycopy(esp, 0, array, EspFixture.OFFSET, esp.length);
        return processor.inbound(buffer, EspFixture.OFFSET, esp.length);
    }

    /**
     * Same copy, then the JDK HMAC over the ICV-covered bytes and a constant-time compare with the ICV.
     *
     * @return true if the ICV verifies.
     */
    @Benchmark
    public boolean baselineJdkMac()
    {
        System.arraycopy(esp, 0, array, EspFixture.OFFSET, esp.length);
        mac.update(array, espOffset, authLength);
        try
        {
            mac.doFinal(macOut, 0);
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
        final int icvOffset = espOffset + authLength;
        int difference = 0;
        for (int i = 0; i < icvLength; i++)
        {
            difference |= macOut[i] ^ array[icvOffset + i];
        }
        return difference == 0;
    }
}
