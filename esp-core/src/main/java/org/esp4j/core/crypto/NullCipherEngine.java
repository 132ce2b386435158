package org.esp4j.core.crypto;

/**
 * NULL encryption, RFC 2410: no IV, identity transform, 4-byte padding alignment (RFC 4303 §2.4).
 */
public final class NullCipherEngine implements CipherEngine
{
    public int ivLength()
    {
        return 0;
    }

    public int blockSize()
    {
        return 4;
    }

    public void encrypt(final byte[] array, final int ivOffset, final int offset, final int length, final long sequence)
    {
    }

    public void decrypt(final byte[] array, final int ivOffset, final int offset, final int length)
    {
    }

    public void ivSource(final IvSource ivSource)
    {
    }

    public void destroy()
    {
    }
}
