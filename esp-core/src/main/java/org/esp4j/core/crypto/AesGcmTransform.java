package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * ESP with a combined-mode AES-GCM transform: AES-GCM-ESP (RFC 4106) and ENCR_NULL_AUTH_AES_GMAC (RFC 4543), on
 * {@link GcmEngine}.
 * <pre>
 *  espOffset     ivOffset             payloadOffset                          icvOffset
 *  |             |                    |                                      |
 *  +-----+-------+--------------------+---------+---------+--------+------+--------------+
 *  | SPI |  Seq  |   IV (8 bytes)     | Payload | Padding | PadLen |  NH  | ICV (8/12/16)|
 *  +-----+-------+--------------------+---------+---------+--------+------+--------------+
 *  GCM:   AAD = SPI || Seq            |&lt;------- plaintext (encrypted) ------&gt;| tag
 *         (ESN: SPI || Seq hi || Seq lo)
 *  GMAC:  AAD = SPI || Seq (ESN: SPI || Seq hi || Seq lo) || IV || Payload ... NH, plaintext empty
 * </pre>
 * <ul>
 *     <li><b>Key material</b> (RFC 4106 §8.1; RFC 4543 uses the same): the AES key followed by a 4-byte salt,
 *         as {@code ip xfrm} takes it.</li>
 *     <li><b>Nonce</b> (RFC 4106 §4; RFC 4543 §3 alike): {@code salt || IV}, 12 bytes; the IV is carried in the packet
 *         and comes from the {@link IvSource}, by default {@link SequenceIvSource} (sequence number XOR a random
 *         per-SA salt).</li>
 *     <li><b>AAD</b>: RFC 4106 §5 for GCM: SPI and the 32-bit sequence number, or with ESN the SPI and the 64-bit
 *         sequence number high half first (unlike the HMAC ICV, where the high half goes last, RFC 4303 §2.2.1).
 *         RFC 4543 §3 for GMAC: the same header fields followed by the IV and the whole payload up to the next
 *         header (draft-mcgrew-gcm-test-01 §3 spells out that the IV is included).</li>
 *     <li><b>ICV</b> (RFC 4106 §6): the tag, truncated to 8, 12 or 16 bytes; GMAC always 16 (RFC 4543 §3).</li>
 *     <li><b>Padding</b>: GCM needs no block alignment; ESP's 4-byte alignment applies (RFC 4106 §3.2).</li>
 * </ul>
 * Input: {@link #verify} hashes the ciphertext as it is in the packet and checks the tag in constant time, without
 * decrypting anything; {@link #decrypt} then applies the counter-mode keystream in place (the packet is owned by
 * the calling thread between the two calls, and counter mode needs nothing from the check). Not thread-safe; no
 * allocation after construction.
 */
public final class AesGcmTransform implements EspTransform
{
    /** Explicit IV bytes per packet (RFC 4106 §3.1). */
    public static final int IV_LENGTH = 8;
    /** Salt bytes at the end of the key material (RFC 4106 §8.1). */
    public static final int SALT_LENGTH = 4;
    /** ESP's own alignment: GCM is a stream mode (RFC 4106 §3.2). */
    private static final int BLOCK_SIZE = 4;
    private static final int ESP_HEADER_LENGTH = 8;
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private final GcmEngine engine;
    private final boolean encrypts;
    private final int icvLength;
    /** The salt, shifted into the top half of the first nonce long. */
    private long saltHigh;
    private IvSource ivSource;

    /**
     * @param keyMaterial AES key (16, 24 or 32 bytes) followed by the 4-byte salt; not kept.
     * @param icvLength   ICV bytes: 8, 12 or 16 for GCM, 16 for GMAC.
     * @param encrypts    true for AES-GCM (RFC 4106), false for AES-GMAC (RFC 4543, payload in clear).
     * @param ivSource    where the 8-byte IVs come from; must never repeat one under this key.
     */
    public AesGcmTransform(final byte[] keyMaterial, final int icvLength, final boolean encrypts, final IvSource ivSource)
    {
        this(keyMaterial, icvLength, encrypts, ivSource, JdkGcmIntrinsics.AVAILABLE);
    }

    /**
     * @param keyMaterial    AES key (16, 24 or 32 bytes) followed by the 4-byte salt; not kept.
     * @param icvLength      ICV bytes: 8, 12 or 16 for GCM, 16 for GMAC.
     * @param encrypts       true for AES-GCM (RFC 4106), false for AES-GMAC (RFC 4543, payload in clear).
     * @param ivSource       where the 8-byte IVs come from; must never repeat one under this key.
     * @param intrinsicGhash true for the JDK's GHASH intrinsic, false for the Java tables (tests run both).
     */
    AesGcmTransform(
        final byte[] keyMaterial,
        final int icvLength,
        final boolean encrypts,
        final IvSource ivSource,
        final boolean intrinsicGhash)
    {
        if (icvLength != 8 && icvLength != 12 && icvLength != 16)
        {
            throw new IllegalArgumentException("AES-GCM ICV must be 8, 12 or 16 bytes, got " + icvLength);
        }
        final int keyLength = keyMaterial.length - SALT_LENGTH;
        engine = new GcmEngine(keyMaterial, 0, keyLength, intrinsicGhash);
        saltHigh = ((long)(int)INT_BE.get(keyMaterial, keyLength)) << 32;
        this.icvLength = icvLength;
        this.encrypts = encrypts;
        this.ivSource = ivSource;
    }

    public int ivLength()
    {
        return IV_LENGTH;
    }

    public int blockSize()
    {
        return BLOCK_SIZE;
    }

    public int icvLength()
    {
        return icvLength;
    }

    public void protect(
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        final int ivOffset = payloadOffset - IV_LENGTH;
        ivSource.nextIv(sequence, array, ivOffset, IV_LENGTH);
        final long iv = (long)LONG_BE.get(array, ivOffset);
        engine.start(j0High(iv), j0Low(iv));
        if (encrypts)
        {
            engine.crypt(array, payloadOffset, payloadLength);
        }
        authenticate(array, espOffset, payloadOffset, payloadLength, esn, sequence);
        engine.tag(array, payloadOffset + payloadLength, icvLength);
    }

    public boolean verify(
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        final long iv = (long)LONG_BE.get(array, payloadOffset - IV_LENGTH);
        engine.start(j0High(iv), j0Low(iv));
        authenticate(array, espOffset, payloadOffset, payloadLength, esn, sequence);
        return engine.checkTag(array, payloadOffset + payloadLength, icvLength);
    }

    public void decrypt(final byte[] array, final int espOffset, final int payloadOffset, final int payloadLength)
    {
        if (encrypts)
        {
            final long iv = (long)LONG_BE.get(array, payloadOffset - IV_LENGTH);
            engine.counter(j0High(iv), j0Low(iv));
            engine.crypt(array, payloadOffset, payloadLength);
        }
    }

    public void ivSource(final IvSource ivSource)
    {
        this.ivSource = ivSource;
    }

    public void destroy()
    {
        engine.destroy();
        saltHigh = 0;
    }

    /**
     * Feed GHASH the AAD (and for GCM the ciphertext) exactly as RFC 4106 §5 and RFC 4543 §3 lay them out. Only the
     * ESN high half is not in the packet; everything else is hashed where it lies.
     */
    private void authenticate(
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        final GHash ghash = engine.ghash();
        final int headerLength = payloadOffset - espOffset; // SPI, sequence number, IV
        final int aadLength;
        if (esn)
        {
            // SPI || seq hi, then the packet from the (low) sequence number on.
            ghash.absorbLong(((long)(int)INT_BE.get(array, espOffset) << 32) | (sequence >>> 32));
            if (encrypts)
            {
                ghash.absorb(array, espOffset + 4, 4);
                aadLength = ESP_HEADER_LENGTH + 4;
            }
            else
            {
                ghash.absorb(array, espOffset + 4, headerLength - 4 + payloadLength);
                aadLength = headerLength + 4 + payloadLength;
            }
        }
        else if (encrypts)
        {
            ghash.absorb(array, espOffset, ESP_HEADER_LENGTH);
            aadLength = ESP_HEADER_LENGTH;
        }
        else
        {
            ghash.absorb(array, espOffset, headerLength + payloadLength);
            aadLength = headerLength + payloadLength;
        }
        if (encrypts)
        {
            ghash.absorb(array, payloadOffset, payloadLength);
            ghash.absorbLengths(aadLength, payloadLength);
        }
        else
        {
            ghash.absorbLengths(aadLength, 0);
        }
    }

    /** Nonce = salt || IV (RFC 4106 §4); J0 = nonce || 0^31 || 1 (SP 800-38D §7.1). */
    private long j0High(final long iv)
    {
        return saltHigh | (iv >>> 32);
    }

    private static long j0Low(final long iv)
    {
        return (iv << 32) | 1;
    }
}
