package org.esp4j.benchmarks;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.GcmEngine;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.crypto.EncryptionAlgorithm;
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

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The combined-mode suites, AES-128-GCM-16 (RFC 4106) and AES-128-GMAC (RFC 4543): esp4j's protect and unprotect
 * against the JDK's {@code AES/GCM/NoPadding} doing the same cryptography on the same bytes.
 * <p>
 * <b>What is measured.</b> {@link #protect()} and {@link #unprotect()} are {@link ProtectBenchmark#protect()} and
 * {@link UnprotectBenchmark#unprotect()} for these suites (copy the packet in, whole ESP processing; the receiving
 * SA has replay window 0 so one packet can be accepted again and again). esp4j's GCM has two paths
 * ({@code GcmEngine}): {@link #path} {@code intrinsics} runs on the JDK's AES-CTR and GHASH intrinsics (the fork opens
 * {@code com.sun.crypto.provider}; the set-up fails if the self-check refused them), {@code java} on AES-ECB counter
 * blocks and the aggregated GHASH tables (system property {@code esp4j.gcm.intrinsics=off}). The baselines do not
 * depend on it: their two rows are two samples of the same code.
 * <p>
 * <b>Baseline.</b> The plain JDK way, as {@link JdkAesCbcHmacBenchmark} does for CBC: copy the packet in, then per
 * packet {@code Cipher.init} with a {@code new GCMParameterSpec} (the only way to give the JDK a nonce), the AAD
 * ({@code SPI || seq}; for GMAC {@code SPI || seq || IV || payload}) and {@code doFinal} in place: ciphertext and
 * 16-byte tag for GCM, the tag alone for GMAC; inbound the same with the packet's IV and a tag check. For
 * outbound the nonce changes every operation (the JDK refuses to encrypt twice under one key and nonce). ESP header,
 * padding and IPv6 header edits are not done; the set-up checks that the JDK produces esp4j's ciphertext and ICV for
 * the same nonce, and decrypts esp4j's packet to the original payload.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/com.sun.crypto.provider=ALL-UNNAMED" })
public class AesGcmBenchmark
{
    private static final int ESP_HEADER = 8;
    private static final int IV_LENGTH = 8;
    private static final int ICV_LENGTH = 16;

    @Param({ "AES_128_GCM_16", "AES_128_GMAC" })
    public EspSuite suite;

    /** UDP payload bytes. */
    @Param({ "64", "512", "1400" })
    public int payload;

    /** esp4j's GCM path: {@code intrinsics} (the JDK's, required here) or {@code java} (the fallback). */
    @Param({ "intrinsics", "java" })
    public String path;

    private EspFixture ue;
    private EspFixture pcscf;
    private EspProcessor sender;
    private EspProcessor receiver;
    private SecurityAssociation sa;
    private byte[] plaintext;
    private byte[] esp;
    private UnsafeBuffer buffer;
    private byte[] array;

    private boolean gmac;
    private Cipher jdk;
    private SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private final byte[] tagScratch = new byte[ICV_LENGTH];
    private long jdkCounter;
    /** Outbound: the ESP header lands in front of the payload, which stays at OFFSET + 40. */
    private int protectEspOffset;
    /** Inbound: the ESP packet is copied to OFFSET, so its ESP header is at OFFSET + 40. */
    private int unprotectEspOffset;
    /** Padded payload: inner packet after the IPv6 header, padding, pad length, next header. */
    private int paddedLength;

    @Setup
    public void setup() throws GeneralSecurityException
    {
        // Before any GCM class initialises in this fork.
        final boolean intrinsics = "intrinsics".equals(path);
        System.setProperty("esp4j.gcm.intrinsics", intrinsics ? "auto" : "off");
        final String implementation = GcmEngine.implementation();
        EspFixture.check(implementation.startsWith(intrinsics ? "jdk-intrinsics" : "java"), "GCM is " + implementation);
        gmac = suite.encryption() == EncryptionAlgorithm.AES_GMAC;
        ue = new EspFixture(suite, 64);
        pcscf = new EspFixture(suite, 0);
        sender = ue.processor;
        receiver = pcscf.processor;
        sa = ue.sa;
        plaintext = EspFixture.ipv6UdpPacket(payload);
        esp = ue.protectOnce(plaintext);
        buffer = EspFixture.packetBuffer(esp.length);
        array = buffer.byteArray();
        paddedLength = esp.length - Ipv6Header.LENGTH - ESP_HEADER - IV_LENGTH - ICV_LENGTH;
        protectEspOffset = EspFixture.OFFSET + Ipv6Header.LENGTH - ESP_HEADER - IV_LENGTH;
        unprotectEspOffset = EspFixture.OFFSET + Ipv6Header.LENGTH;

        final byte[] keyMaterial = suite.encryptionKey();
        key = new SecretKeySpec(keyMaterial, 0, 16, "AES");
        System.arraycopy(keyMaterial, 16, nonce, 0, 4);
        jdk = Cipher.getInstance("AES/GCM/NoPadding");
        checkFairness();

        EspFixture.check(protect() == EspVerdict.DELIVER, "protect failed: " + sender.dropReason());
        EspFixture.check(sender.resultLength() == esp.length, "unexpected ESP length");
        for (int i = 0; i < 3; i++)
        {
            EspFixture.check(unprotect() == EspVerdict.DELIVER, "unprotect failed: " + receiver.dropReason());
            final byte[] inner = new byte[receiver.resultLength()];
            buffer.getBytes(receiver.resultOffset(), inner);
            EspFixture.check(Arrays.equals(inner, plaintext), "unprotect did not restore the plaintext");
        }
        EspFixture.check(baselineJdkUnprotect(), "baseline rejects the esp4j packet");
        baselineJdkProtect();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ue.checkNoDrops(XfrmCounter.Esp4jOutProtected);
        pcscf.checkNoDrops(XfrmCounter.Esp4jInDelivered);
    }

    /** @return the verdict, {@link EspVerdict#DELIVER}. */
    @Benchmark
    public int protect()
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        return sender.protect(sa, buffer, EspFixture.OFFSET, plaintext.length);
    }

    /** @return the verdict, {@link EspVerdict#DELIVER}. */
    @Benchmark
    public int unprotect()
    {
        System.arraycopy(esp, 0, array, EspFixture.OFFSET, esp.length);
        return receiver.inbound(buffer, EspFixture.OFFSET, esp.length);
    }

    /**
     * Same copy, a fresh nonce, {@code Cipher.init} and one {@code doFinal} over the bytes esp4j protects.
     *
     * @return a byte of the ICV.
     * @throws GeneralSecurityException never.
     */
    @Benchmark
    public byte baselineJdkProtect() throws GeneralSecurityException
    {
        System.arraycopy(plaintext, 0, array, EspFixture.OFFSET, plaintext.length);
        final int ivOffset = protectEspOffset + ESP_HEADER;
        final long iv = ++jdkCounter;
        for (int i = 0; i < IV_LENGTH; i++)
        {
            array[ivOffset + i] = (byte)(iv >>> (56 - 8 * i));
            nonce[4 + i] = array[ivOffset + i];
        }
        jdk.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        final int payloadOffset = ivOffset + IV_LENGTH;
        if (gmac)
        {
            jdk.updateAAD(array, protectEspOffset, ESP_HEADER + IV_LENGTH + paddedLength);
            jdk.doFinal(array, payloadOffset + paddedLength);
        }
        else
        {
            jdk.updateAAD(array, protectEspOffset, ESP_HEADER);
            jdk.doFinal(array, payloadOffset, paddedLength, array, payloadOffset);
        }
        return array[payloadOffset + paddedLength];
    }

    /**
     * Same copy, {@code Cipher.init} with the packet's nonce, tag check and (GCM) decryption in place.
     *
     * @return true if the tag verified.
     */
    @Benchmark
    public boolean baselineJdkUnprotect()
    {
        System.arraycopy(esp, 0, array, EspFixture.OFFSET, esp.length);
        final int ivOffset = unprotectEspOffset + ESP_HEADER;
        final int payloadOffset = ivOffset + IV_LENGTH;
        System.arraycopy(array, ivOffset, nonce, 4, IV_LENGTH);
        try
        {
            jdk.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            if (gmac)
            {
                jdk.updateAAD(array, unprotectEspOffset, ESP_HEADER + IV_LENGTH + paddedLength);
                jdk.doFinal(array, payloadOffset + paddedLength, ICV_LENGTH, tagScratch, 0);
            }
            else
            {
                jdk.updateAAD(array, unprotectEspOffset, ESP_HEADER);
                jdk.doFinal(array, payloadOffset, paddedLength + ICV_LENGTH, array, payloadOffset);
            }
            return true;
        }
        catch (final GeneralSecurityException ex)
        {
            return false; // AEADBadTagException: what a forged packet costs the JDK way
        }
    }

    /** The JDK, given esp4j's nonce, writes esp4j's ciphertext and ICV, and decrypts its packet. */
    private void checkFairness() throws GeneralSecurityException
    {
        final int espAt = Ipv6Header.LENGTH;
        final byte[] packetNonce = nonce.clone();
        System.arraycopy(esp, espAt + ESP_HEADER, packetNonce, 4, IV_LENGTH);
        final Cipher check = Cipher.getInstance("AES/GCM/NoPadding");
        check.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, packetNonce));
        final int payloadAt = espAt + ESP_HEADER + IV_LENGTH;
        if (gmac)
        {
            check.updateAAD(esp, espAt, ESP_HEADER + IV_LENGTH + paddedLength);
            check.doFinal(esp, payloadAt + paddedLength, ICV_LENGTH);
            EspFixture.check(Arrays.equals(esp, payloadAt, payloadAt + plaintext.length - Ipv6Header.LENGTH,
                plaintext, Ipv6Header.LENGTH, plaintext.length), "GMAC payload not in clear");
        }
        else
        {
            check.updateAAD(esp, espAt, ESP_HEADER);
            final byte[] inner = check.doFinal(esp, payloadAt, paddedLength + ICV_LENGTH);
            EspFixture.check(Arrays.equals(inner, 0, plaintext.length - Ipv6Header.LENGTH,
                plaintext, Ipv6Header.LENGTH, plaintext.length), "JDK decryption does not give the plaintext");
            check.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, packetNonce));
            check.updateAAD(esp, espAt, ESP_HEADER);
            final byte[] sealed = check.doFinal(inner);
            EspFixture.check(Arrays.equals(sealed, 0, sealed.length, esp, payloadAt, esp.length),
                "JDK encryption does not give esp4j's ciphertext and ICV");
        }
    }
}
