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
 * Protect then unprotect, UE to P-CSCF, with anti-replay <b>on</b> (window 64): the honest inbound path, where every
 * packet carries a new sequence number that moves the window.
 * <p>
 * <b>What is measured.</b> {@link #protectThenUnprotect()} copies the plaintext packet in, protects it on the UE's
 * processor (fresh sequence number) and hands the ESP packet to the P-CSCF's processor, whose SA has a 64-packet
 * replay window. One operation is therefore one protect plus one unprotect; it complements
 * {@link UnprotectBenchmark}, which has to run with the window off to replay one packet.
 * <p>
 * <b>Baseline.</b> {@link #baselineJdkMacTwice()} does the same copy and the two HMACs a sender and a receiver
 * compute over the ICV-covered bytes with {@link javax.crypto.Mac}: the sender's written as the ICV, the receiver's
 * compared with it in constant time.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class RoundTripBenchmark extends EspBaselineState
{
    @Param({ "HMAC_MD5_96_NULL", "HMAC_SHA1_96_NULL", "HMAC_SHA1_96_AES_CBC" })
    public EspSuite suite;

    /** UDP payload bytes. */
    @Param({ "64", "512", "1400" })
    public int payload;

    private EspFixture ue;
    private EspFixture pcscf;
    private EspProcessor sender;
    private EspProcessor receiver;
    private SecurityAssociation sa;
    private UnsafeBuffer buffer;
    private byte[] array;
    private int espOffset;

    @Setup
    public void setup()
    {
        ue = new EspFixture(suite, 64);
        pcscf = new EspFixture(suite, 64);
        sender = ue.processor;
        receiver = pcscf.processor;
        sa = ue.sa;
        setupPacketAndBaseline(suite, payload);
        buffer = EspFixture.packetBuffer(plaintext.length);
        array = buffer.byteArray();
        espOffset = EspFixture.OFFSET - 8 - suite.encryption().ivLengthBytes() + Ipv6Header.LENGTH;

        for (int i = 0; i < 3; i++)
        {
            EspFixture.check(protectThenUnprotect() == EspVerdict.DELIVER, "round trip failed: " +
                sender.dropReason() + " / " + receiver.dropReason());
            checkResultIsPlaintext(receiver, buffer, "round trip");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ue.checkNoDrops(XfrmCounter.Esp4jOutProtected);
        pcscf.checkNoDrops(XfrmCounter.Esp4jInDelivered);
    }

    /** @return the receiver's verdict, {@link EspVerdict#DELIVER} (a DROP on protect becomes a DROP here). */
    @Benchmark
    public int protectThenUnprotect()
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        if (sender.protect(sa, buffer, EspFixture.OFFSET, plaintext.length) != EspVerdict.DELIVER)
        {
            return EspVerdict.DROP;
        }
        return receiver.inbound(buffer, sender.resultOffset(), sender.resultLength());
    }

    /**
     * Same copy, the sender's HMAC written as the ICV, the receiver's HMAC compared with it.
     *
     * @return true if the ICV verifies.
     * @throws ShortBufferException never.
     */
    @Benchmark
    public boolean baselineJdkMacTwice() throws ShortBufferException
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        final int icvOffset = espOffset + authLength;
        mac.update(array, espOffset, authLength);
        mac.doFinal(macOut, 0);
        System.arraycopy(macOut, 0, array, icvOffset, icvLength);

        mac.update(array, espOffset, authLength);
        mac.doFinal(macOut, 0);
        int difference = 0;
        for (int i = 0; i < icvLength; i++)
        {
            difference |= macOut[i] ^ array[icvOffset + i];
        }
        return difference == 0;
    }
}
