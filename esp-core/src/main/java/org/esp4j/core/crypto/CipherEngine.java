package org.esp4j.core.crypto;

/**
 * The confidentiality half of a {@link CompositeTransform}: a block cipher mode with an explicit IV, or NULL.
 * Not thread-safe; never allocates after construction.
 */
public interface CipherEngine
{
    /** @return IV bytes per packet. */
    int ivLength();

    /** @return padding alignment: block size, at least 4. */
    int blockSize();

    /**
     * Write a fresh IV at {@code ivOffset} and encrypt {@code length} bytes at {@code offset} in place under it.
     *
     * @param array    packet.
     * @param ivOffset where the IV goes.
     * @param offset   first plaintext byte.
     * @param length   multiple of {@link #blockSize()}.
     * @param sequence packet sequence number (for IV sources that use it).
     */
    void encrypt(byte[] array, int ivOffset, int offset, int length, long sequence);

    /**
     * Decrypt in place with the IV at {@code ivOffset}.
     *
     * @param array    packet.
     * @param ivOffset where the IV is.
     * @param offset   first ciphertext byte.
     * @param length   multiple of the block size.
     */
    void decrypt(byte[] array, int ivOffset, int offset, int length);

    /** @param ivSource replacement IV source. */
    void ivSource(IvSource ivSource);

    /** Drop key material. */
    void destroy();
}
