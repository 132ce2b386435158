package org.esp4j.core.crypto;

/**
 * Where CBC IVs come from. RFC 3602 §2.3 asks for IVs that cannot be predicted; the default
 * {@link CounterIvSource} encrypts a counter under a random per-SA key (as a CTR-mode DRBG does), which needs no
 * system call per packet.
 */
@FunctionalInterface
public interface IvSource
{
    /**
     * Write the next IV.
     *
     * @param sequence the packet's sequence number (for sources that want it).
     * @param array    destination.
     * @param offset   where to write.
     * @param length   IV length.
     */
    void nextIv(long sequence, byte[] array, int offset, int length);
}
