package org.esp4j.core.crypto;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * CBC with an explicit per-packet IV: AES-CBC (RFC 3602) and 3DES-CBC (RFC 2451), on the JDK's intrinsic ciphers.
 * <p>
 * Re-initialising a {@link Cipher} with a new IV for every packet allocates. Instead each direction keeps one
 * cipher initialised once, whose CBC chaining register carries over between calls (a {@code NoPadding} cipher's
 * {@code update} continues the chain). With register R and wanted IV, CBC's first block is
 * {@code C1 = E(P1 ^ IV)}: feeding {@code P1 ^ IV ^ R} gives exactly that. On decryption the cipher yields
 * {@code D(C1) ^ R}, and XOR with {@code R ^ IV} gives {@code P1}. R is then the last ciphertext block processed.
 * <p>
 * The JDK copies the input when the output overlaps it, so data goes through a scratch array and back (one
 * memory copy, no allocation). Not thread-safe.
 */
public final class CbcCipherEngine implements CipherEngine
{
    private static final int MAX_PAYLOAD = 65536;

    private final int blockSize;
    private final Cipher encryptCipher;
    private final Cipher decryptCipher;
    private final byte[] encryptRegister;
    private final byte[] decryptRegister;
    private final byte[] scratch = new byte[MAX_PAYLOAD + 64];
    private IvSource ivSource = new CounterIvSource();

    /**
     * @param transformation JDK name, {@code AES/CBC/NoPadding} or {@code DESede/CBC/NoPadding}.
     * @param keyAlgorithm   JDK key algorithm, {@code AES} or {@code DESede}.
     * @param blockSize      cipher block size.
     * @param key            key bytes.
     */
    public CbcCipherEngine(final String transformation, final String keyAlgorithm, final int blockSize, final byte[] key)
    {
        this.blockSize = blockSize;
        encryptRegister = new byte[blockSize];
        decryptRegister = new byte[blockSize];
        try
        {
            final SecretKeySpec keySpec = new SecretKeySpec(key, keyAlgorithm);
            encryptCipher = Cipher.getInstance(transformation);
            encryptCipher.init(Cipher.ENCRYPT_MODE, keySpec, new IvParameterSpec(encryptRegister));
            decryptCipher = Cipher.getInstance(transformation);
            decryptCipher.init(Cipher.DECRYPT_MODE, keySpec, new IvParameterSpec(decryptRegister));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(transformation + " is not available", ex);
        }
    }

    public int ivLength()
    {
        return blockSize;
    }

    public int blockSize()
    {
        return blockSize;
    }

    public void encrypt(final byte[] array, final int ivOffset, final int offset, final int length, final long sequence)
    {
        ivSource.nextIv(sequence, array, ivOffset, blockSize);
        for (int i = 0; i < blockSize; i++)
        {
            array[offset + i] ^= (byte)(array[ivOffset + i] ^ encryptRegister[i]);
        }
        try
        {
            encryptCipher.update(array, offset, length, scratch, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        System.arraycopy(scratch, 0, array, offset, length);
        System.arraycopy(scratch, length - blockSize, encryptRegister, 0, blockSize);
    }

    public void decrypt(final byte[] array, final int ivOffset, final int offset, final int length)
    {
        try
        {
            decryptCipher.update(array, offset, length, scratch, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        for (int i = 0; i < blockSize; i++)
        {
            scratch[i] ^= (byte)(decryptRegister[i] ^ array[ivOffset + i]);
        }
        System.arraycopy(array, offset + length - blockSize, decryptRegister, 0, blockSize);
        System.arraycopy(scratch, 0, array, offset, length);
    }

    public void ivSource(final IvSource ivSource)
    {
        this.ivSource = ivSource;
    }

    public void destroy()
    {
        Arrays.fill(encryptRegister, (byte)0);
        Arrays.fill(decryptRegister, (byte)0);
        Arrays.fill(scratch, (byte)0);
    }
}
