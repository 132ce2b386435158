package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The JDK's SHA-1 compression (the HotSpot intrinsic behind {@code MessageDigest.getInstance("SHA-1")}, on x86-64 the
 * SHA extensions) run on a chaining value that esp4j sets, so that HMAC-SHA-1 (RFC 2104) starts from the chaining
 * values after the key blocks, computed once per key, as RFC 2104 §4 suggests. Through the public
 * {@link MessageDigest} each MAC hashes the two key blocks again, and each {@code digest()} pads through the digest's
 * buffer and resets it: two compressions and that bookkeeping per packet that {@link HmacEngine} saves here.
 * <p>
 * What is used: a private {@code sun.security.provider.SHA} of the engine's own, its {@code state} (the five chaining
 * words, an array it updates in place) and {@code DigestBase.implCompressMultiBlock(byte[], int, int)}, the checked
 * entry to the multi-block compression that C2 replaces with the stub; esp4j pads the message itself (FIPS 180-4
 * §5.1.1). Without C2 the same method runs the JDK's Java compression, with the same result.
 * <p>
 * <b>Requirements.</b> The package is not exported, so the JVM needs
 * {@code --add-opens java.base/sun.security.provider=ALL-UNNAMED} (the {@code esp4j} launcher and jar manifest, the
 * build's surefire {@code argLine}, the JMH forks and the benchmark scripts pass it). Without it, with
 * {@code -Desp4j.sha1.intrinsics=off}, or where the self-check fails, {@link #AVAILABLE} is false and
 * {@link HmacEngine} hashes through {@link MessageDigest} as before, with the same MACs.
 * <p>
 * <b>Self-check.</b> At class initialisation, the compression on the initial chaining value and one padded block
 * must give SHA-1("abc") (FIPS 180-2 Appendix A.1), and the multi-block entry over 1 to 4 blocks the digests that
 * {@link MessageDigest} gives for the same messages; any difference or exception leaves {@link #AVAILABLE} false with
 * the {@link #REASON}. {@code HmacEngineTest} compares the two paths at every length after the JIT has compiled them.
 */
final class JdkSha1Intrinsics
{
    /** The system property that can turn the use off: {@code off}; anything else means auto. */
    static final String PROPERTY = "esp4j.sha1.intrinsics";
    static final int BLOCK_LENGTH = 64;
    static final int STATE_WORDS = 5;

    /** {@code () -> Object}: a new {@code sun.security.provider.SHA}. */
    private static final MethodHandle NEW_SHA;
    /** {@code (Object sha) -> int[]}: its chaining value, updated in place by each compression. */
    private static final MethodHandle STATE;
    /** {@code (Object sha, byte[] data, int offset, int lastBlockOffset) -> int}: compress every block up to the last. */
    private static final MethodHandle COMPRESS_BLOCKS;
    /** True when the compression is reachable and passed the self-check. */
    static final boolean AVAILABLE;
    /** Why it is not available ({@code ""} when it is). */
    static final String REASON;

    static
    {
        MethodHandle newSha = null;
        MethodHandle state = null;
        MethodHandle compress = null;
        String reason = "off".equals(System.getProperty(PROPERTY)) ? PROPERTY + "=off" : "";
        if (reason.isEmpty())
        {
            try
            {
                final Class<?> sha = Class.forName("sun.security.provider.SHA", false, null);
                final Class<?> digestBase = Class.forName("sun.security.provider.DigestBase", false, null);
                final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(sha, MethodHandles.lookup());
                final MethodHandles.Lookup baseLookup =
                    MethodHandles.privateLookupIn(digestBase, MethodHandles.lookup());
                newSha = lookup.findConstructor(sha, MethodType.methodType(void.class))
                    .asType(MethodType.methodType(Object.class));
                state = lookup.findGetter(sha, "state", int[].class)
                    .asType(MethodType.methodType(int[].class, Object.class));
                compress = baseLookup.findVirtual(digestBase, "implCompressMultiBlock",
                    MethodType.methodType(int.class, byte[].class, int.class, int.class))
                    .asType(MethodType.methodType(int.class, Object.class, byte[].class, int.class, int.class));
                reason = selfCheck(newSha, state, compress);
            }
            catch (final IllegalAccessException ex)
            {
                reason = "the JVM needs --add-opens java.base/sun.security.provider=ALL-UNNAMED";
            }
            catch (final Throwable ex)
            {
                reason = "this JDK's SHA-1 internals are not of the expected shape (" + ex + ")";
            }
        }
        AVAILABLE = reason.isEmpty();
        NEW_SHA = AVAILABLE ? newSha : null;
        STATE = AVAILABLE ? state : null;
        COMPRESS_BLOCKS = AVAILABLE ? compress : null;
        REASON = reason;
    }

    private JdkSha1Intrinsics()
    {
    }

    /** @return a new JDK SHA-1 object for {@link #compress}; only call when {@link #AVAILABLE}. */
    static Object newSha1()
    {
        try
        {
            return (Object)NEW_SHA.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("SHA-1 could not be created", ex);
        }
    }

    /**
     * @param sha from {@link #newSha1()}.
     * @return its chaining value: {@link #STATE_WORDS} ints that {@link #compress} hashes into, in place.
     */
    static int[] state(final Object sha)
    {
        try
        {
            return (int[])STATE.invokeExact(sha);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("SHA-1 state not readable", ex);
        }
    }

    /**
     * Hash {@code blocks} whole 64-byte blocks from {@code offset} into the chaining value of {@code sha}.
     *
     * @param sha    from {@link #newSha1()}.
     * @param data   the blocks.
     * @param offset first byte.
     * @param blocks block count, at least 1.
     */
    static void compress(final Object sha, final byte[] data, final int offset, final int blocks)
    {
        try
        {
            final int ignored =
                (int)COMPRESS_BLOCKS.invokeExact(sha, data, offset, offset + (blocks - 1) * BLOCK_LENGTH);
        }
        catch (final Throwable ex)
        {
            // Unreachable with valid bounds: the JDK's checked entry throws only for blocks outside the array.
            throw new IllegalStateException(ex);
        }
    }

    private static String selfCheck(final MethodHandle newSha, final MethodHandle stateGetter,
        final MethodHandle compress) throws Throwable
    {
        final Object sha = (Object)newSha.invokeExact();
        final int[] state = (int[])stateGetter.invokeExact(sha);
        if (state == null || state.length < STATE_WORDS)
        {
            return "this JDK's SHA-1 state is not five words";
        }
        final MessageDigest reference = MessageDigest.getInstance("SHA-1");
        final byte[] message = new byte[4 * BLOCK_LENGTH];
        for (int i = 0; i < message.length; i++)
        {
            message[i] = (byte)(i * 31 + 7);
        }
        for (int blocks = 1; blocks <= 4; blocks++)
        {
            // the message is whole blocks: its padding is one more block, 0x80, zeros and the bit length
            final byte[] padded = Arrays.copyOf(message, (blocks + 1) * BLOCK_LENGTH);
            Arrays.fill(padded, blocks * BLOCK_LENGTH, padded.length, (byte)0);
            padded[blocks * BLOCK_LENGTH] = (byte)0x80;
            final long bits = blocks * BLOCK_LENGTH * 8L;
            for (int i = 0; i < 8; i++)
            {
                padded[padded.length - 1 - i] = (byte)(bits >>> (8 * i));
            }
            Sha1Compression.initialState(state);
            final int ignored = (int)compress.invokeExact(sha, padded, 0, blocks * BLOCK_LENGTH);
            reference.update(message, 0, blocks * BLOCK_LENGTH);
            if (!Arrays.equals(bigEndian(state), reference.digest()))
            {
                return "the JDK's SHA-1 compression did not give SHA-1 of " + blocks + " block(s)";
            }
        }
        final byte[] abc = new byte[BLOCK_LENGTH];
        abc[0] = 'a';
        abc[1] = 'b';
        abc[2] = 'c';
        abc[3] = (byte)0x80;
        abc[BLOCK_LENGTH - 1] = 24;
        Sha1Compression.initialState(state);
        final int ignored = (int)compress.invokeExact(sha, abc, 0, 0);
        final int[] expected = { 0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d };
        return Arrays.equals(Arrays.copyOf(state, STATE_WORDS), expected) ? "" :
            "the JDK's SHA-1 compression did not give SHA-1(\"abc\")";
    }

    private static byte[] bigEndian(final int[] state)
    {
        final byte[] out = new byte[STATE_WORDS * 4];
        for (int i = 0; i < STATE_WORDS; i++)
        {
            out[4 * i] = (byte)(state[i] >>> 24);
            out[4 * i + 1] = (byte)(state[i] >>> 16);
            out[4 * i + 2] = (byte)(state[i] >>> 8);
            out[4 * i + 3] = (byte)state[i];
        }
        return out;
    }
}
