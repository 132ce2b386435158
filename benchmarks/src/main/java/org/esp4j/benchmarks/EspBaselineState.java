package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.esp.EspProcessor;

import javax.crypto.Mac;
import java.util.Arrays;

/**
 * The set-up the ESP packet benchmarks share, on top of {@link EspFixture}: the plaintext packet, one esp4j ESP
 * packet of it (protected by a fixture of its own, so the benchmarked SAs start at sequence number 1), and the JDK
 * {@link Mac} baseline keyed like the SA and checked to reproduce that packet's ICV, so a baseline authenticates
 * exactly the bytes esp4j does.
 * <p>
 * A JMH state superclass: the benchmarks extend it and call {@link #setupPacketAndBaseline} from their
 * {@code @Setup}; their hot loops read these fields as their own.
 */
public abstract class EspBaselineState
{
    /** The IPv6/UDP packet, UE to P-CSCF. */
    protected byte[] plaintext;
    /** {@link #plaintext} protected by esp4j (IPv6 header first). */
    protected byte[] esp;
    /** The baseline MAC. */
    protected Mac mac;
    /** Room for its full output. */
    protected byte[] macOut;
    /** Truncated ICV bytes. */
    protected int icvLength;
    /** ICV-covered bytes: SPI to next header. */
    protected int authLength;

    /**
     * @param suite   the SA's algorithms.
     * @param payload UDP payload bytes of the plaintext.
     */
    protected void setupPacketAndBaseline(final EspSuite suite, final int payload)
    {
        plaintext = EspFixture.ipv6UdpPacket(payload);
        esp = new EspFixture(suite, 64).protectOnce(plaintext);
        icvLength = suite.integrity().icvLengthBytes();
        authLength = EspFixture.authenticatedLength(esp, icvLength);
        mac = EspFixture.jdkMac(suite);
        macOut = new byte[mac.getMacLength()];
        EspFixture.checkBaselineIcv(mac, esp, authLength, icvLength);
    }

    /**
     * Fail the set-up unless the processor's last result is the plaintext packet.
     *
     * @param processor a processor that just delivered.
     * @param buffer    where it did.
     * @param what      what was done, for the message.
     */
    protected void checkResultIsPlaintext(final EspProcessor processor, final UnsafeBuffer buffer, final String what)
    {
        final byte[] inner = new byte[processor.resultLength()];
        buffer.getBytes(processor.resultOffset(), inner);
        EspFixture.check(Arrays.equals(inner, plaintext), what + " did not restore the plaintext");
    }
}
