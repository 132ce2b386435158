package org.esp4j.core.crypto;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Unpredictable IVs without a system call per packet: AES-128 of a 128-bit counter under a random key drawn once
 * from {@link SecureRandom} (the construction of a CTR_DRBG, NIST SP 800-90A §10.2, without reseeding: one instance
 * serves one SA's lifetime, far below 2^48 blocks). Not thread-safe; one per transform.
 */
public final class CounterIvSource implements IvSource
{
    private static final SecureRandom SEED_SOURCE = new SecureRandom();

    private final Cipher cipher;
    private final byte[] counter = new byte[16];
    private final byte[] block = new byte[16];

    public CounterIvSource()
    {
        final byte[] key = new byte[16];
        SEED_SOURCE.nextBytes(key);
        SEED_SOURCE.nextBytes(counter);
        try
        {
            cipher = Cipher.getInstance("AES/ECB/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES is not available", ex);
        }
        finally
        {
            java.util.Arrays.fill(key, (byte)0);
        }
    }

    public void nextIv(final long sequence, final byte[] array, final int offset, final int length)
    {
        for (int i = counter.length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0)
            {
                break;
            }
        }
        try
        {
            cipher.update(counter, 0, 16, block, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        System.arraycopy(block, 0, array, offset, length);
    }
}
