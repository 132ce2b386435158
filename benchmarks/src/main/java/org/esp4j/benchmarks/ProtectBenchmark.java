package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.sa.SecurityAssociation;
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
 * Outbound ESP: {@link EspProcessor#protect} of one IPv6/UDP packet, in place, against the JDK computing the same
 * HMAC.
 * <p>
 * <b>What is measured.</b> {@link #protect()} copies the plaintext packet into the buffer (protection is in place,
 * so each invocation needs a fresh packet) and protects it: IP header parse, SA lifetime check, sequence number,
 * ESP header and trailer, encryption (AES-CBC suite), HMAC and ICV, IPv6 payload length, SA and global counters.
 * <p>
 * <b>Baseline.</b> {@link #baselineJdkMac()} does the same copy, then computes the suite's HMAC with
 * {@link javax.crypto.Mac} over exactly the bytes the ICV covers (SPI to next header; the set-up checks that the
 * JDK MAC of an esp4j packet reproduces its ICV) and stores the truncated ICV behind them. The difference is therefore
 * what esp4j adds to the cryptography a caller cannot avoid: for the NULL suites that is all of ESP's bookkeeping.
 * For AES-CBC this baseline does not encrypt; see {@link JdkAesCbcHmacBenchmark} for that.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED" })
public class ProtectBenchmark extends EspBaselineState
{
    @Param({ "HMAC_MD5_96_NULL", "HMAC_SHA1_96_NULL", "HMAC_SHA1_96_AES_CBC" })
    public EspSuite suite;

    /** UDP payload bytes. */
    @Param({ "64", "512", "1400" })
    public int payload;

    private EspFixture ue;
    private EspProcessor processor;
    private SecurityAssociation sa;
    private UnsafeBuffer buffer;
    private byte[] array;
    private int espOffset;

    @Setup
    public void setup()
    {
        ue = new EspFixture(suite, 64);
        processor = ue.processor;
        sa = ue.sa;
        setupPacketAndBaseline(suite, payload);
        buffer = EspFixture.packetBuffer(plaintext.length);
        array = buffer.byteArray();

        // Where protect() puts the ESP header of a packet at OFFSET: the IPv6 header moves down by ESP header + IV.
        final int ivLength = suite.encryption().ivLengthBytes();
        espOffset = EspFixture.OFFSET - 8 - ivLength + Ipv6Header.LENGTH;
        EspFixture.check(protect() == EspVerdict.DELIVER, "protect failed: " + processor.dropReason());
        EspFixture.check(processor.resultOffset() + Ipv6Header.LENGTH == espOffset, "unexpected ESP offset");
        EspFixture.check(processor.resultLength() == esp.length, "unexpected ESP length");
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ue.checkNoDrops(XfrmCounter.Esp4jOutProtected);
    }

    /** @return the verdict, {@link EspVerdict#DELIVER}. */
    @Benchmark
    public int protect()
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        return processor.protect(sa, buffer, EspFixture.OFFSET, plaintext.length);
    }

    /**
     * Same copy, then the JDK HMAC over the ICV-covered bytes and the truncated ICV written behind them.
     *
     * @return a byte of the MAC.
     * @throws ShortBufferException never.
     */
    @Benchmark
    public byte baselineJdkMac() throws ShortBufferException
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        mac.update(array, espOffset, authLength);
        mac.doFinal(macOut, 0);
        System.arraycopy(macOut, 0, array, espOffset + authLength, icvLength);
        return macOut[0];
    }
}
