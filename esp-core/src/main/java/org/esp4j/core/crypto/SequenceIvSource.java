package org.esp4j.core.crypto;

/**
 * The AES-GCM and AES-GMAC explicit IV: the packet's 64-bit sequence number, XORed with the SPI in the high half.
 * <p>
 * RFC 4106 §3.1 (and RFC 4543 §3 alike) require that an IV is never used twice with one key, and name a counter as the
 * usual way. A nonce repeated under GCM gives away the XOR of two plaintexts and, worse, the hash key {@code H},
 * with which anyone can forge packets. The sequence number is unique per SA by construction: it comes from the SA's
 * one atomic counter shared by all threads and never wraps (RFC 4303 §3.3.3), so every per-thread transform of an SA
 * derives distinct IVs without sharing any state. A random IV, like the {@link CounterIvSource} used for CBC, would
 * not do: eight bytes drawn independently by each thread's transform collide after about 2^32 packets (birthday
 * bound), and the counter sources of different threads are not coordinated.
 * <p>
 * The SPI in the high half keeps the IVs of different SAs apart when they share a key and salt, as the SAs of one
 * TS 33.203 security association set can (all derived from one CK/IK): without ESN the sequence numbers stay below
 * 2^32, so two SAs with different SPIs never produce the same IV, and a peer that sends the bare sequence number
 * (high half zero) cannot collide with us either, as SPIs below 256 are reserved (RFC 4303 §2.1). With ESN past
 * 2^32 packets that guarantee weakens to distinct SAs needing sequence numbers 2^32 apart. The mapping is a
 * bijection of the sequence number, so uniqueness within the SA is untouched.
 * <p>
 * Stateless, so it may be shared; allocates nothing.
 */
public final class SequenceIvSource implements IvSource
{
    private final long mask;

    /**
     * @param spi the SA's SPI, unsigned 32-bit.
     */
    public SequenceIvSource(final long spi)
    {
        this.mask = (spi & 0xFFFF_FFFFL) << 32;
    }

    public void nextIv(final long sequence, final byte[] array, final int offset, final int length)
    {
        final long iv = sequence ^ mask;
        for (int i = 0; i < length; i++)
        {
            final int shift = 8 * (length - 1 - i);
            array[offset + i] = shift < 64 ? (byte)(iv >>> shift) : 0;
        }
    }
}
