package org.esp4j.core.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The two HotSpot intrinsics the JDK's own AES-GCM runs on, reached through method handles so that esp4j gets their
 * speed without the ~1 KiB per message that {@code Cipher.init(..., new GCMParameterSpec(...))} allocates:
 * <ul>
 *     <li><b>GHASH</b>: {@code com.sun.crypto.provider.GHASH.processBlocks(byte[] data, int offset, int blocks,
 *         long[] state, long[] subkeyTable)}, which C2 replaces with carry-less multiplication ({@code pclmulqdq}
 *         on x86-64, {@code pmull} on AArch64);</li>
 *     <li><b>AES-CTR</b>: {@code com.sun.crypto.provider.CounterMode} over {@code AESCrypt}, whose
 *         {@code implCrypt} C2 replaces with a stub that encrypts several counter blocks at a time with AES-NI
 *         (the public ECB cipher encrypts one block per call, about six times slower per block).</li>
 * </ul>
 * <b>Requirements.</b> Both are private to a package that {@code java.base} does not export, so the JVM must run with
 * {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED} (the {@code esp4j} launcher and jar manifest, the
 * build's surefire {@code argLine}, the JMH forks and the benchmark scripts pass it), and C2 (the stubs replace the
 * methods only in C2-compiled code). Without either, or with the system property {@code esp4j.gcm.intrinsics=off},
 * {@link #AVAILABLE} is false and {@link GcmEngine} uses its Java path (AES-ECB counter blocks and {@link GHash}'s
 * tables), with the same results.
 * <p>
 * <b>Self-check.</b> At class initialisation both are tried on known answers (McGrew and Viega's GCM test cases 2, 3
 * and 4: the GHASH values, and the ciphertext of case 3 at every length from 1 to 64 bytes) and GHASH on 1 to 40
 * blocks against {@link GHash}'s Java path; any difference or exception leaves {@link #AVAILABLE} false with the
 * {@link #REASON}. The contract relied on is the one of the JDK's own callers ({@code GHASH.update},
 * {@code GCTR}): the GHASH state is two longs (bytes 0..7 and 8..15, big-endian), its subkey table
 * {@value #SUBKEY_TABLE_LONGS} longs with {@code H} in the first two and zeros after them (the stub stores powers of
 * {@code H} there on first use), the caller checks the bounds (the GHASH stub does not), and {@code CounterMode}
 * increments all 128 bits of its counter where GCM's {@code inc32} wraps the low 32, so {@link GcmEngine} uses it
 * only when the low 32 bits do not wrap within the message. At start-up nothing is compiled yet, so the self-check
 * proves the access and the contract; that the compiled stubs agree with the Java path at every length is what the
 * crypto tests check after warming up the JIT (one JDK release shipped a GCM intrinsic that was wrong for some
 * lengths).
 */
final class JdkGcmIntrinsics
{
    /** Length of the JDK's {@code subkeyHtbl}: {@code H} plus eight powers for its stub (JDK 17 to 25). */
    static final int SUBKEY_TABLE_LONGS = 18;
    /** The system property that can turn the intrinsics off: {@code off}; anything else means auto. */
    static final String PROPERTY = "esp4j.gcm.intrinsics";

    private static final String PACKAGE = "com.sun.crypto.provider.";
    private static final MethodHandle GHASH_PROCESS_BLOCKS;
    /** {@code () -> Object}: a new {@code CounterMode} over a new {@code AESCrypt}. */
    private static final MethodHandle NEW_COUNTER_MODE;
    /** {@code (Object counterMode, byte[] key, byte[] iv)}: key it; {@code iv} becomes its reset value. */
    private static final MethodHandle COUNTER_MODE_INIT;
    /** {@code (Object counterMode)}: counter = iv, no keystream left over. */
    private static final MethodHandle COUNTER_MODE_RESET;
    /** {@code (Object counterMode, byte[] in, int inOff, int len, byte[] out, int outOff) -> int}. */
    private static final MethodHandle COUNTER_MODE_CRYPT;
    /** True when both intrinsics' methods are reachable and passed the self-check. */
    static final boolean AVAILABLE;
    /** Why they are not available ({@code ""} when they are). */
    static final String REASON;

    static
    {
        MethodHandle ghash = null;
        MethodHandle newCounterMode = null;
        MethodHandle init = null;
        MethodHandle reset = null;
        MethodHandle crypt = null;
        String reason = "off".equals(System.getProperty(PROPERTY)) ? PROPERTY + "=off" : withoutC2();
        if (reason.isEmpty())
        {
            try
            {
                final Class<?> ghashClass = Class.forName(PACKAGE + "GHASH", false, null);
                final Class<?> symmetricCipher = Class.forName(PACKAGE + "SymmetricCipher", false, null);
                final Class<?> aesCrypt = Class.forName(PACKAGE + "AESCrypt", false, null);
                final Class<?> counterMode = Class.forName(PACKAGE + "CounterMode", false, null);
                final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(ghashClass, MethodHandles.lookup());
                ghash = lookup.findStatic(ghashClass, "processBlocks",
                    MethodType.methodType(void.class, byte[].class, int.class, int.class, long[].class, long[].class));
                newCounterMode = MethodHandles.filterReturnValue(
                    lookup.findConstructor(aesCrypt, MethodType.methodType(void.class)),
                    lookup.findConstructor(counterMode, MethodType.methodType(void.class, symmetricCipher))
                        .asType(MethodType.methodType(counterMode, aesCrypt)))
                    .asType(MethodType.methodType(Object.class));
                init = MethodHandles.insertArguments(
                    lookup.findVirtual(counterMode, "init",
                        MethodType.methodType(void.class, boolean.class, String.class, byte[].class, byte[].class)),
                    1, false, "AES")
                    .asType(MethodType.methodType(void.class, Object.class, byte[].class, byte[].class));
                reset = lookup.findVirtual(counterMode, "reset", MethodType.methodType(void.class))
                    .asType(MethodType.methodType(void.class, Object.class));
                crypt = lookup.findVirtual(counterMode, "encrypt",
                    MethodType.methodType(int.class, byte[].class, int.class, int.class, byte[].class, int.class))
                    .asType(MethodType.methodType(
                        int.class, Object.class, byte[].class, int.class, int.class, byte[].class, int.class));
                reason = selfCheck(ghash, newCounterMode, init, reset, crypt);
            }
            catch (final IllegalAccessException ex)
            {
                reason = "the JVM needs --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED";
            }
            catch (final Throwable ex)
            {
                reason = "this JDK's AES-GCM internals are not of the expected shape (" + ex + ")";
            }
        }
        AVAILABLE = reason.isEmpty();
        GHASH_PROCESS_BLOCKS = AVAILABLE ? ghash : null;
        NEW_COUNTER_MODE = AVAILABLE ? newCounterMode : null;
        COUNTER_MODE_INIT = AVAILABLE ? init : null;
        COUNTER_MODE_RESET = AVAILABLE ? reset : null;
        COUNTER_MODE_CRYPT = AVAILABLE ? crypt : null;
        REASON = reason;
    }

    private JdkGcmIntrinsics()
    {
    }

    /**
     * Hash whole blocks into {@code state}. The caller has checked that {@code blocks} blocks from {@code offset} lie
     * inside {@code data}; only call when {@link #AVAILABLE}.
     *
     * @param data        the blocks.
     * @param offset      first byte.
     * @param blocks      block count.
     * @param state       the hash, two longs.
     * @param subkeyTable {@value #SUBKEY_TABLE_LONGS} longs, {@code H} first.
     */
    static void ghash(
        final byte[] data, final int offset, final int blocks, final long[] state, final long[] subkeyTable)
    {
        try
        {
            GHASH_PROCESS_BLOCKS.invokeExact(data, offset, blocks, state, subkeyTable);
        }
        catch (final Throwable ex)
        {
            // Unreachable: the method has no checked exceptions and its arguments were checked.
            throw new IllegalStateException(ex);
        }
    }

    /**
     * A JDK {@code CounterMode} keyed with {@code key}; only call when {@link #AVAILABLE}.
     *
     * @param key     AES key, 16, 24 or 32 bytes.
     * @param counter 16 bytes that become its counter block at each {@link #ctr}; kept by reference.
     * @return the opaque counter-mode object.
     */
    static Object newCtr(final byte[] key, final byte[] counter)
    {
        try
        {
            final Object ctr = (Object)NEW_COUNTER_MODE.invokeExact();
            COUNTER_MODE_INIT.invokeExact(ctr, key, counter);
            return ctr;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("AES-CTR could not be keyed", ex);
        }
    }

    /**
     * XOR the AES-CTR keystream from the counter block now in {@code counter} (as given to {@link #newCtr}) over
     * {@code length} bytes in place. The low 32 bits of the counter must not wrap within them.
     *
     * @param ctr    from {@link #newCtr}.
     * @param data   the data.
     * @param offset first byte.
     * @param length byte count.
     */
    static void ctr(final Object ctr, final byte[] data, final int offset, final int length)
    {
        try
        {
            COUNTER_MODE_RESET.invokeExact(ctr);
            final int ignored = (int)COUNTER_MODE_CRYPT.invokeExact(ctr, data, offset, length, data, offset);
        }
        catch (final Throwable ex)
        {
            // Unreachable: CounterMode checks its bounds and the caller passed valid ones.
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The stubs replace the methods only in C2-compiled code; the interpreter and C1 run the JDK's Java fallbacks,
     * whose GHASH goes bit by bit (several times slower than {@link GHash}'s tables). So a JVM without C2 takes the
     * Java path.
     *
     * @return {@code ""} if this JVM has C2, else why not.
     */
    private static String withoutC2()
    {
        if (String.valueOf(System.getProperty("java.vm.info")).contains("interpreted mode"))
        {
            return "the JVM runs interpreted (-Xint)";
        }
        try
        {
            final com.sun.management.HotSpotDiagnosticMXBean hotSpot = java.lang.management.ManagementFactory
                .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            final String level = hotSpot.getVMOption("TieredStopAtLevel").getValue();
            final boolean tiered = "true".equals(hotSpot.getVMOption("TieredCompilation").getValue());
            return tiered && Integer.parseInt(level) < 4 ? "the JVM has no C2 (-XX:TieredStopAtLevel=" + level + ")" : "";
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return ""; // not HotSpot, or no jdk.management: assume the usual server compiler
        }
    }

    /** @return {@code ""} if the handles give the known answers, else what went wrong. */
    private static String selfCheck(
        final MethodHandle ghash,
        final MethodHandle newCounterMode,
        final MethodHandle init,
        final MethodHandle reset,
        final MethodHandle crypt) throws Throwable
    {
        final VarHandle longBe = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
        // Test case 2: H = E(0^128, 0^128), C = 0388dace60b6a392f328c2b971b2fe78, no AAD.
        if (!knownGhash(ghash, longBe, 0x66e94bd4ef8a2c3bL, 0x884cfa59ca342b2eL,
            new long[]{ 0x0388dace60b6a392L, 0xf328c2b971b2fe78L, 0, 128 }, 0xf38cbb1ad69223dcL, 0xc3457ae5b6b0f885L))
        {
            return "GHASH self-check failed on test case 2";
        }
        // Test case 4: 20 bytes of AAD and 60 of ciphertext, each zero-padded, then the lengths (160, 480 bits).
        final long[] case4 = {
            0xfeedfacedeadbeefL, 0xfeedfacedeadbeefL, 0xabaddad200000000L, 0,
            0x42831ec221777424L, 0x4b7221b784d0d49cL, 0xe3aa212f2c02a4e0L, 0x35c17e2329aca12eL,
            0x21d514b25466931cL, 0x7d8f6a5aac84aa05L, 0x1ba30b396a0aac97L, 0x3d58e09100000000L,
            160, 480 };
        if (!knownGhash(ghash, longBe, 0xb83b533708bf535dL, 0x0aa6e52980d53b78L, case4,
            0x698e57f70e6ecc7fL, 0xd9463b7260a9ae5fL))
        {
            return "GHASH self-check failed on test case 4";
        }
        // Every count of blocks up to 40 (the stubs have paths for one block and for several at a time).
        final byte[] data = new byte[40 * GHash.BLOCK_LENGTH];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < data.length; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            data[i] = (byte)x;
        }
        final GHash java = new GHash(false);
        java.init(0x2562934758924276L, 0xd31f8d5b0a4b2b4cL);
        for (int blocks = 1; blocks <= 40; blocks++)
        {
            final long[] table = new long[SUBKEY_TABLE_LONGS];
            table[0] = 0x2562934758924276L;
            table[1] = 0xd31f8d5b0a4b2b4cL;
            final long[] state = new long[2];
            ghash.invokeExact(data, 0, blocks, state, table);
            java.reset();
            java.absorb(data, 0, blocks * GHash.BLOCK_LENGTH);
            if (state[0] != java.high() || state[1] != java.low())
            {
                return "GHASH self-check failed at " + blocks + " blocks";
            }
        }
        // Test case 3: the ciphertext is the keystream from inc32(J0) over the plaintext, at every length.
        final byte[] key = new byte[16];
        final long[] keyLongs = { 0xfeffe9928665731cL, 0x6d6a8f9467308308L };
        longBe.set(key, 0, keyLongs[0]);
        longBe.set(key, 8, keyLongs[1]);
        final long[] plain = {
            0xd9313225f88406e5L, 0xa55909c5aff5269aL, 0x86a7a9531534f7daL, 0x2e4c303d8a318a72L,
            0x1c3c0c9595680953L, 0x2fcf0e2449a6b525L, 0xb16aedf5aa0de657L, 0xba637b391aafd255L };
        final long[] cipher = {
            0x42831ec221777424L, 0x4b7221b784d0d49cL, 0xe3aa212f2c02a4e0L, 0x35c17e2329aca12eL,
            0x21d514b25466931cL, 0x7d8f6a5aac84aa05L, 0x1ba30b396a0aac97L, 0x3d58e091473f5985L };
        final byte[] expected = new byte[64];
        final byte[] plaintext = new byte[64];
        final byte[] text = new byte[64];
        for (int i = 0; i < 8; i++)
        {
            longBe.set(expected, i * 8, cipher[i]);
            longBe.set(plaintext, i * 8, plain[i]);
        }
        final byte[] counter = new byte[16];
        final Object ctr = (Object)newCounterMode.invokeExact();
        init.invokeExact(ctr, key, counter);
        for (int length = 1; length <= 64; length++)
        {
            System.arraycopy(plaintext, 0, text, 0, 64);
            longBe.set(counter, 0, 0xcafebabefacedbadL);
            longBe.set(counter, 8, 0xdecaf88800000002L);
            reset.invokeExact(ctr);
            final int done = (int)crypt.invokeExact(ctr, text, 0, length, text, 0);
            for (int i = 0; i < 64; i++)
            {
                if (text[i] != (i < length ? expected[i] : plaintext[i]))
                {
                    return "AES-CTR self-check failed at " + length + " bytes";
                }
            }
            if (done != length)
            {
                return "AES-CTR self-check: " + done + " of " + length + " bytes";
            }
        }
        return "";
    }

    private static boolean knownGhash(
        final MethodHandle handle,
        final VarHandle longBe,
        final long hHigh,
        final long hLow,
        final long[] blocks,
        final long expectedHigh,
        final long expectedLow) throws Throwable
    {
        final byte[] data = new byte[blocks.length * 8];
        for (int i = 0; i < blocks.length; i++)
        {
            longBe.set(data, i * 8, blocks[i]);
        }
        final long[] table = new long[SUBKEY_TABLE_LONGS];
        table[0] = hHigh;
        table[1] = hLow;
        final long[] state = new long[2];
        handle.invokeExact(data, 0, data.length / GHash.BLOCK_LENGTH, state, table);
        return state[0] == expectedHigh && state[1] == expectedLow;
    }
}
