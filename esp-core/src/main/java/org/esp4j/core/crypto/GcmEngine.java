package org.esp4j.core.crypto;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * AES-GCM (NIST SP 800-38D; McGrew and Viega, "The Galois/Counter Mode of Operation") that allocates nothing per
 * message, on one of two paths fixed per engine:
 * <ul>
 *     <li><b>The JDK's intrinsics</b> (the default where the JVM allows it, see {@link JdkGcmIntrinsics}): the
 *         keystream from the JDK's {@code CounterMode} over AES and the hash from its {@code GHASH.processBlocks},
 *         the two stubs (AES-NI, carry-less multiply) the JDK's own {@code AES/GCM/NoPadding} runs on, kept keyed
 *         per SA. The JVM needs {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED}.</li>
 *     <li><b>Java</b> (the fallback): one {@code AES/ECB/NoPadding} cipher initialised once per key encrypts
 *         batches of counter blocks ({@code J0 + 1, J0 + 2, ...}, SP 800-38D §6.5 GCTR with inc32) into a keystream
 *         that is XORed over the data in place, and {@link GHash} hashes on tables in Java.</li>
 * </ul>
 * Both give the same bytes; {@link #implementation()} says which one new engines take.
 * <p>
 * <b>Why not {@code Cipher.getInstance("AES/GCM/NoPadding")}.</b> It takes the nonce only through
 * {@code init(..., new GCMParameterSpec(...))}, so every message allocates the spec and re-initialises the cipher
 * (about 1 KiB per message), and in encrypt mode it refuses a key and nonce pair it has seen, which the ESP code never
 * repeats anyway. {@code H = E(K, 0^128)} and the GHASH key are computed at construction.
 * <p>
 * A message is {@link #start(long, long) started} with its pre-counter block {@code J0} (for a 96-bit nonce
 * {@code N}: {@code N || 0^31 || 1}), then the caller drives {@link #crypt} and {@link #ghash()} in the order of its
 * protocol, and finishes with {@link #tag} or {@link #checkTag} ({@code T = MSB_t(GHASH xor E(K, J0))}). The
 * {@link #encrypt}/{@link #decrypt} methods do the whole of SP 800-38D §7.1/§7.2 for nonces of any length, for tests
 * and callers outside the packet path.
 * <p>
 * Not thread-safe. The JDK's expanded AES key inside its cipher objects cannot be wiped; {@link #destroy()} wipes
 * what this class holds.
 */
public final class GcmEngine
{
    /** The AES and GCM block size. */
    public static final int BLOCK_LENGTH = 16;
    /** The longest tag (ICV). */
    public static final int MAX_TAG_LENGTH = 16;
    /** Java path: keystream is made this many blocks at a time, 2 KiB, enough for a typical packet in one call. */
    private static final int CHUNK_BLOCKS = 128;
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** XOR of keystream and data needs no particular byte order: the platform's is fastest. */
    private static final VarHandle LONG_NATIVE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final Cipher aes;
    private final GHash ghash;
    /** The JDK's {@code CounterMode}, or null on the Java path. */
    private final Object jdkCtr;
    /** Its counter block, set before each message. */
    private final byte[] jdkCounter = new byte[BLOCK_LENGTH];
    /** Counter blocks for the ECB cipher: a chunk on the Java path, one block (tag mask, H) on the intrinsic one. */
    private final byte[] counterBlocks;
    private final byte[] keystream;
    private final int chunkBlocks;
    private final byte[] tag = new byte[MAX_TAG_LENGTH];
    private long j0High;
    private long j0Low;
    private long maskHigh;
    private long maskLow;

    /**
     * @param key    AES key: 16, 24 or 32 bytes from {@code offset}.
     * @param offset first key byte.
     * @param length key length.
     */
    public GcmEngine(final byte[] key, final int offset, final int length)
    {
        this(key, offset, length, JdkGcmIntrinsics.AVAILABLE);
    }

    /**
     * @param key        AES key: 16, 24 or 32 bytes from {@code offset}.
     * @param offset     first key byte.
     * @param length     key length.
     * @param intrinsics true for the JDK's intrinsics (only where {@link JdkGcmIntrinsics#AVAILABLE}), false for
     *                   the Java path: tests run both.
     */
    GcmEngine(final byte[] key, final int offset, final int length, final boolean intrinsics)
    {
        ghash = new GHash(intrinsics);
        chunkBlocks = intrinsics ? 1 : CHUNK_BLOCKS;
        counterBlocks = new byte[chunkBlocks * BLOCK_LENGTH];
        keystream = new byte[chunkBlocks * BLOCK_LENGTH];
        if (length != 16 && length != 24 && length != 32)
        {
            throw new IllegalArgumentException("AES key must be 128, 192 or 256 bits, got " + length * 8);
        }
        try
        {
            aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, offset, length, "AES"));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES is not available", ex);
        }
        if (intrinsics)
        {
            final byte[] keyCopy = Arrays.copyOfRange(key, offset, offset + length);
            jdkCtr = JdkGcmIntrinsics.newCtr(keyCopy, jdkCounter);
            Arrays.fill(keyCopy, (byte)0);
        }
        else
        {
            jdkCtr = null;
        }
        Arrays.fill(counterBlocks, 0, BLOCK_LENGTH, (byte)0);
        encryptBlocks(1);
        ghash.init((long)LONG_BE.get(keystream, 0), (long)LONG_BE.get(keystream, 8));
        Arrays.fill(keystream, 0, BLOCK_LENGTH, (byte)0);
    }

    /**
     * @param key AES key, 16, 24 or 32 bytes.
     */
    public GcmEngine(final byte[] key)
    {
        this(key, 0, key.length);
    }

    /**
     * @return {@code "jdk-intrinsics"} when new engines run on the JDK's AES-CTR and GHASH intrinsics, else
     * {@code "java"} and the reason, for start-up logs.
     */
    public static String implementation()
    {
        return JdkGcmIntrinsics.AVAILABLE ? "jdk-intrinsics" : "java (" + JdkGcmIntrinsics.REASON + ")";
    }

    /** @return true if this engine runs on the JDK's intrinsics. */
    boolean intrinsics()
    {
        return jdkCtr != null;
    }

    /**
     * Begin a message: remember {@code J0}, compute the tag mask {@code E(K, J0)} and reset GHASH.
     *
     * @param high bytes 0..7 of {@code J0}, big-endian.
     * @param low  bytes 8..15 of {@code J0}, big-endian.
     */
    void start(final long high, final long low)
    {
        counter(high, low);
        LONG_BE.set(counterBlocks, 0, high);
        LONG_BE.set(counterBlocks, 8, low);
        encryptBlocks(1);
        maskHigh = (long)LONG_BE.get(keystream, 0);
        maskLow = (long)LONG_BE.get(keystream, 8);
        ghash.reset();
    }

    /**
     * Set {@code J0} for {@link #crypt} alone, without the tag mask or a GHASH reset (decryption after a
     * verified tag).
     *
     * @param high bytes 0..7 of {@code J0}, big-endian.
     * @param low  bytes 8..15 of {@code J0}, big-endian.
     */
    void counter(final long high, final long low)
    {
        j0High = high;
        j0Low = low;
    }

    /** @return the message's GHASH, to feed AAD and ciphertext in the protocol's order. */
    GHash ghash()
    {
        return ghash;
    }

    /**
     * GCTR from {@code inc32(J0)}: XOR the keystream over the data in place (encrypts and decrypts alike).
     *
     * @param data   the data.
     * @param offset first byte.
     * @param length byte count.
     */
    void crypt(final byte[] data, final int offset, final int length)
    {
        // inc32: only the low 32 bits of the counter block count, wrapping (SP 800-38D §6.2).
        final long fixed = j0Low & 0xFFFF_FFFF_0000_0000L;
        final long first = (j0Low + 1) & 0xFFFF_FFFFL;
        // The JDK's CounterMode carries into the upper 96 bits: only where the low 32 bits do not wrap (with a 96-bit
        // nonce they start at 2, so only a message of 2^36 bytes could; other nonces take the loop below if they do).
        if (jdkCtr != null && first + ((length + BLOCK_LENGTH - 1) / BLOCK_LENGTH) <= 0x1_0000_0000L)
        {
            LONG_BE.set(jdkCounter, 0, j0High);
            LONG_BE.set(jdkCounter, 8, fixed | first);
            JdkGcmIntrinsics.ctr(jdkCtr, data, offset, length);
            return;
        }
        int counter = (int)j0Low + 1;
        int at = offset;
        int remaining = length;
        while (remaining > 0)
        {
            final int blocks = Math.min(chunkBlocks, (remaining + BLOCK_LENGTH - 1) / BLOCK_LENGTH);
            for (int k = 0, p = 0; k < blocks; k++, p += BLOCK_LENGTH)
            {
                LONG_BE.set(counterBlocks, p, j0High);
                LONG_BE.set(counterBlocks, p + 8, fixed | ((counter + k) & 0xFFFF_FFFFL));
            }
            encryptBlocks(blocks);
            final int n = Math.min(remaining, blocks * BLOCK_LENGTH);
            int i = 0;
            for (; i <= n - 8; i += 8)
            {
                LONG_NATIVE.set(data, at + i, (long)LONG_NATIVE.get(data, at + i) ^ (long)LONG_NATIVE.get(keystream, i));
            }
            for (; i < n; i++)
            {
                data[at + i] ^= keystream[i];
            }
            counter += blocks;
            at += n;
            remaining -= n;
        }
    }

    /**
     * Write the first {@code length} bytes of {@code GHASH xor E(K, J0)}.
     *
     * @param out    destination.
     * @param offset where to write.
     * @param length tag length, at most {@link #MAX_TAG_LENGTH}.
     */
    void tag(final byte[] out, final int offset, final int length)
    {
        computeTag();
        System.arraycopy(tag, 0, out, offset, length);
    }

    /**
     * Compare the computed tag with a received one in constant time: every byte is always compared, so the time
     * taken says nothing about where a forgery went wrong.
     *
     * @param in     received tag.
     * @param offset its first byte.
     * @param length tag length, at most {@link #MAX_TAG_LENGTH}.
     * @return true if equal.
     */
    boolean checkTag(final byte[] in, final int offset, final int length)
    {
        computeTag();
        int difference = 0;
        for (int i = 0; i < length; i++)
        {
            difference |= tag[i] ^ in[offset + i];
        }
        return difference == 0;
    }

    /**
     * Authenticated encryption, SP 800-38D §7.1, in place. Allocates nothing for a 12-byte nonce.
     *
     * @param nonce       nonce (IV in SP 800-38D terms), any non-zero length.
     * @param aad         additional authenticated data.
     * @param aadOffset   its first byte.
     * @param aadLength   its length.
     * @param data        plaintext, replaced by the ciphertext.
     * @param offset      its first byte.
     * @param length      its length.
     * @param tagOut      where the tag goes.
     * @param tagOffset   its first byte.
     * @param tagLength   tag length, 1 to 16 bytes (ESP uses 8, 12 or 16).
     */
    public void encrypt(
        final byte[] nonce,
        final byte[] aad,
        final int aadOffset,
        final int aadLength,
        final byte[] data,
        final int offset,
        final int length,
        final byte[] tagOut,
        final int tagOffset,
        final int tagLength)
    {
        startWithNonce(nonce);
        crypt(data, offset, length);
        ghash.absorb(aad, aadOffset, aadLength);
        ghash.absorb(data, offset, length);
        ghash.absorbLengths(aadLength, length);
        tag(tagOut, tagOffset, tagLength);
    }

    /**
     * Authenticated decryption, SP 800-38D §7.2, in place: the data is decrypted only if the tag verifies.
     *
     * @param nonce       nonce, as given to {@link #encrypt}.
     * @param aad         additional authenticated data.
     * @param aadOffset   its first byte.
     * @param aadLength   its length.
     * @param data        ciphertext, replaced by the plaintext if the tag verifies.
     * @param offset      its first byte.
     * @param length      its length.
     * @param tagIn       the received tag.
     * @param tagOffset   its first byte.
     * @param tagLength   its length.
     * @return true if the tag verified (and the data was decrypted).
     */
    public boolean decrypt(
        final byte[] nonce,
        final byte[] aad,
        final int aadOffset,
        final int aadLength,
        final byte[] data,
        final int offset,
        final int length,
        final byte[] tagIn,
        final int tagOffset,
        final int tagLength)
    {
        startWithNonce(nonce);
        ghash.absorb(aad, aadOffset, aadLength);
        ghash.absorb(data, offset, length);
        ghash.absorbLengths(aadLength, length);
        if (!checkTag(tagIn, tagOffset, tagLength))
        {
            return false;
        }
        crypt(data, offset, length);
        return true;
    }

    /** Overwrite the hash key tables, tag mask and scratch; the engine must not be used afterwards. */
    public void destroy()
    {
        ghash.destroy();
        Arrays.fill(counterBlocks, (byte)0);
        Arrays.fill(keystream, (byte)0);
        Arrays.fill(tag, (byte)0);
        Arrays.fill(jdkCounter, (byte)0);
        j0High = 0;
        j0Low = 0;
        maskHigh = 0;
        maskLow = 0;
    }

    /** SP 800-38D §7.1 step 2: {@code J0 = N || 0^31 || 1} for 96-bit nonces, else GHASH of the padded nonce. */
    private void startWithNonce(final byte[] nonce)
    {
        if (nonce.length == 12)
        {
            start((long)LONG_BE.get(nonce, 0), (getIntBigEndian(nonce, 8) << 32) | 1);
            return;
        }
        if (nonce.length == 0)
        {
            throw new IllegalArgumentException("GCM nonce must not be empty");
        }
        ghash.reset();
        ghash.absorb(nonce, 0, nonce.length);
        ghash.absorbLengths(0, nonce.length);
        start(ghash.high(), ghash.low());
    }

    private void computeTag()
    {
        LONG_BE.set(tag, 0, ghash.high() ^ maskHigh);
        LONG_BE.set(tag, 8, ghash.low() ^ maskLow);
    }

    private void encryptBlocks(final int blocks)
    {
        try
        {
            aes.update(counterBlocks, 0, blocks * BLOCK_LENGTH, keystream, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static long getIntBigEndian(final byte[] array, final int offset)
    {
        return ((array[offset] & 0xFFL) << 24) | ((array[offset + 1] & 0xFFL) << 16) |
            ((array[offset + 2] & 0xFFL) << 8) | (array[offset + 3] & 0xFFL);
    }
}
