package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
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

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The full cryptography of the HMAC-SHA-1-96 + AES-128-CBC suite done the plain JDK way, as the baseline for that
 * suite in {@link ProtectBenchmark} and {@link UnprotectBenchmark} (whose in-class baseline is the HMAC alone).
 * <p>
 * <b>Protect.</b> Copy the plaintext packet in; draw the IV as esp4j does (AES-ECB of a counter under a second key,
 * one block); {@code Cipher.init} with that IV and {@code doFinal} over the padded payload in place
 * ({@code AES/CBC/NoPadding}); HMAC-SHA1 with {@link Mac} over SPI..next header; write the 12-byte ICV.
 * <p>
 * <b>Unprotect.</b> Copy the ESP packet in; HMAC-SHA1 and constant-time compare; {@code Cipher.init} with the
 * packet's IV and {@code doFinal} in place.
 * <p>
 * The ESP header, padding and IPv6 header edits (a few bytes) are not done: only the data-proportional work and the
 * per-packet JDK set-up are. Re-initialising the cipher per packet is what the JDK API asks for a new IV; esp4j
 * avoids it, so this baseline is the one esp4j should beat or match.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class JdkAesCbcHmacBenchmark extends EspBaselineState
{
    private static final int ICV_LENGTH = 12;
    private static final int IV_LENGTH = 16;

    /** UDP payload bytes. */
    @Param({ "64", "512", "1400" })
    public int payload;

    private UnsafeBuffer buffer;
    private byte[] array;
    private Cipher cipher;
    private SecretKeySpec key;
    private Cipher ivCipher;
    private final byte[] ivCounter = new byte[16];

    /** Outbound: where the ESP header lands in front of the payload, which stays at OFFSET + 40. */
    private int protectEspOffset;
    /** Inbound: the ESP packet is copied to OFFSET, so its ESP header is at OFFSET + 40. */
    private int unprotectEspOffset;
    private int cipherLength;

    @Setup
    public void setup() throws GeneralSecurityException
    {
        final EspSuite suite = EspSuite.HMAC_SHA1_96_AES_CBC;
        setupPacketAndBaseline(suite, payload);
        EspFixture.check(icvLength == ICV_LENGTH, "HMAC-SHA-1-96 has a 12-byte ICV");
        buffer = EspFixture.packetBuffer(esp.length);
        array = buffer.byteArray();
        cipherLength = authLength - 8 - IV_LENGTH;
        protectEspOffset = EspFixture.OFFSET + Ipv6Header.LENGTH - 8 - IV_LENGTH;
        unprotectEspOffset = EspFixture.OFFSET + Ipv6Header.LENGTH;

        cipher = Cipher.getInstance("AES/CBC/NoPadding");
        key = new SecretKeySpec(suite.encryptionKey(), "AES");
        ivCipher = Cipher.getInstance("AES/ECB/NoPadding");
        ivCipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(EspFixture.pattern(16, 0x77), "AES"));

        EspFixture.check(unprotect(), "baseline ICV mismatch");
        final int udp = unprotectEspOffset + 8 + IV_LENGTH;
        final int udpLength = UdpHeader.LENGTH + payload;
        EspFixture.check(Arrays.equals(array, udp, udp + udpLength, plaintext, Ipv6Header.LENGTH, plaintext.length),
            "baseline decryption does not give the plaintext");
        protect();
    }

    /**
     * @return a byte of the MAC.
     * @throws GeneralSecurityException never.
     */
    @Benchmark
    public byte protect() throws GeneralSecurityException
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        final int ivOffset = protectEspOffset + 8;
        for (int i = ivCounter.length - 1; i >= 0; i--)
        {
            if (++ivCounter[i] != 0)
            {
                break;
            }
        }
        ivCipher.update(ivCounter, 0, IV_LENGTH, array, ivOffset);
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(array, ivOffset, IV_LENGTH));
        cipher.doFinal(array, ivOffset + IV_LENGTH, cipherLength, array, ivOffset + IV_LENGTH);
        mac.update(array, protectEspOffset, authLength);
        mac.doFinal(macOut, 0);
        System.arraycopy(macOut, 0, array, protectEspOffset + authLength, ICV_LENGTH);
        return macOut[0];
    }

    /**
     * @return true if the ICV verifies.
     * @throws GeneralSecurityException never.
     */
    @Benchmark
    public boolean unprotect() throws GeneralSecurityException
    {
        System.arraycopy(esp, 0, array, EspFixture.OFFSET, esp.length);
        mac.update(array, unprotectEspOffset, authLength);
        mac.doFinal(macOut, 0);
        final int icvOffset = unprotectEspOffset + authLength;
        int difference = 0;
        for (int i = 0; i < ICV_LENGTH; i++)
        {
            difference |= macOut[i] ^ array[icvOffset + i];
        }
        final int ivOffset = unprotectEspOffset + 8;
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(array, ivOffset, IV_LENGTH));
        cipher.doFinal(array, ivOffset + IV_LENGTH, cipherLength, array, ivOffset + IV_LENGTH);
        return difference == 0;
    }
}
