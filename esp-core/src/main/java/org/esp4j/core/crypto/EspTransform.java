package org.esp4j.core.crypto;

/**
 * The cryptographic part of one ESP SA, as the packet code sees it (RFC 4303 §3.3.2 and §3.4.3-§3.4.4).
 * <p>
 * The packet code lays out the packet and calls, on output, {@link #protect}; on input, {@link #verify} (after the
 * replay pre-check), then, once the replay window has been updated, {@link #decrypt}. A separate cipher plus HMAC
 * ({@link CompositeTransform}) and a combined-mode AEAD cipher (RFC 4106 AES-GCM, RFC 4543 AES-GMAC,
 * {@link AesGcmTransform}) both fit: an AEAD checks its tag in {@link #verify} without touching the packet (by
 * hashing the ciphertext where it lies, or by decrypting into scratch space of its own) and {@link #decrypt} then
 * produces the plaintext in place.
 * <pre>
 *  espOffset  ivOffset        payloadOffset                        icvOffset
 *  |          |               |                                    |
 *  +----+-----+---------------+----------+---------+--------+------+--------+
 *  |SPI | Seq |      IV       |  Payload | Padding | PadLen |  NH  |  ICV   |
 *  +----+-----+---------------+----------+---------+--------+------+--------+
 *                             |&lt;------------ payloadLength -----------&gt;|
 *  |&lt;----------------------- covered by the ICV ---------------------&gt;| (+ seq hi with ESN)
 * </pre>
 * Instances are used by one thread at a time; they never allocate after construction.
 */
public interface EspTransform
{
    /** @return bytes of explicit IV each packet carries. */
    int ivLength();

    /** @return the padded payload's alignment: the cipher block size, at least 4. */
    int blockSize();

    /** @return bytes of ICV each packet carries. */
    int icvLength();

    /**
     * Fill in the IV, encrypt the padded payload in place and write the ICV.
     *
     * @param array          the packet.
     * @param espOffset      offset of the SPI.
     * @param payloadOffset  offset of the first payload byte (after the IV).
     * @param payloadLength  payload, padding, pad length and next header, a multiple of {@link #blockSize()}.
     * @param esn            extended sequence numbers in use.
     * @param sequence       the full 64-bit sequence number.
     */
    void protect(byte[] array, int espOffset, int payloadOffset, int payloadLength, boolean esn, long sequence);

    /**
     * Check the ICV in constant time. Decrypts nothing in the packet.
     *
     * @param array          the packet.
     * @param espOffset      offset of the SPI.
     * @param payloadOffset  offset of the first payload byte (after the IV).
     * @param payloadLength  ciphertext length (up to the ICV).
     * @param esn            extended sequence numbers in use.
     * @param sequence       the inferred full 64-bit sequence number.
     * @return true if the ICV verifies.
     */
    boolean verify(byte[] array, int espOffset, int payloadOffset, int payloadLength, boolean esn, long sequence);

    /**
     * Like {@link #protect}, but leave the ICV to {@code batch}, which writes it at its next
     * {@link IcvBatch#compute()}; until then the packet must stay where it is, unchanged from the ESP header to the
     * ICV. Transforms that cannot queue their ICV there return false and do nothing.
     *
     * @return true if the payload was encrypted and the ICV queued; false: call {@link #protect} instead.
     */
    default boolean protectDeferred(
        final IcvBatch batch,
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        return false;
    }

    /**
     * Queue the MAC of a received packet in {@code batch}, for {@link #verify(IcvBatch, byte[], int, int, int,
     * boolean, long)} after {@link IcvBatch#compute()}. Only a hint: nothing is checked here, and a packet not queued
     * (or queued by a different SA) is verified on its own.
     *
     * @return true if queued.
     */
    default boolean prepareVerify(
        final IcvBatch batch, final byte[] array, final int espOffset, final int payloadOffset, final int payloadLength)
    {
        return false;
    }

    /**
     * {@link #verify(byte[], int, int, int, boolean, long)} with the MAC {@code batch} computed for this packet, if
     * any.
     *
     * @return true if the ICV verifies.
     */
    default boolean verify(
        final IcvBatch batch,
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        return verify(array, espOffset, payloadOffset, payloadLength, esn, sequence);
    }

    /**
     * Decrypt the payload in place, after a successful {@link #verify} of the same packet.
     *
     * @param array         the packet.
     * @param espOffset     offset of the SPI.
     * @param payloadOffset offset of the first payload byte (after the IV).
     * @param payloadLength ciphertext length.
     */
    void decrypt(byte[] array, int espOffset, int payloadOffset, int payloadLength);

    /**
     * Replace the IV source, e.g. to reproduce a reference packet. Production code keeps the default.
     *
     * @param ivSource the new source.
     */
    void ivSource(IvSource ivSource);

    /** Overwrite key material held by this transform; it must not be used afterwards. */
    void destroy();
}
