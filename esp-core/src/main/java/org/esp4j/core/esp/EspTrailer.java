package org.esp4j.core.esp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight accessors for the ESP trailer, RFC 4303 §2.4-2.6: the padding, pad length and next header that end the
 * (encrypted) payload, in front of the ICV. Offsets are from the trailer's start, the pad length byte; the padding
 * lies just before it.
 * <pre>
 *  ~      Payload Data (variable)                                  ~
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |               |     Padding (0-255 bytes): 1, 2, 3, ...       |
 *  +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |  Pad Length   | Next Header   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Integrity Check Value-ICV   (variable)                |
 * </pre>
 * §2.4: payload, padding, pad length and next header together fill a whole number of cipher blocks (and at least
 * end on a 4-byte boundary); the padding bytes are 1, 2, 3, ... and a receiver checks them. §2.6: next header 59
 * ({@code IpProtocol#IPV6_NO_NEXT_HEADER}) marks a dummy packet, to be discarded.
 */
public final class EspTrailer
{
    public static final int PAD_LENGTH_OFFSET = 0;
    public static final int NEXT_HEADER_OFFSET = 1;
    /** Pad length and next header. */
    public static final int LENGTH = 2;
    /** The most padding a trailer can say. */
    public static final int MAX_PAD_LENGTH = 255;

    private EspTrailer()
    {
    }

    public static int padLength(final DirectBuffer buffer, final int trailerOffset)
    {
        return buffer.getByte(trailerOffset + PAD_LENGTH_OFFSET) & 0xFF;
    }

    public static int nextHeader(final DirectBuffer buffer, final int trailerOffset)
    {
        return buffer.getByte(trailerOffset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    /**
     * @param payloadLength bytes of payload data.
     * @param alignment     the cipher's block size, or 4 for stream and combined-mode ciphers.
     * @return payload, padding and trailer together: the smallest multiple of {@code alignment} that holds them.
     */
    public static int paddedLength(final int payloadLength, final int alignment)
    {
        return (payloadLength + LENGTH + alignment - 1) / alignment * alignment;
    }

    /**
     * Write the padding (1, 2, 3, ...), pad length and next header after the payload.
     *
     * @param buffer        packet.
     * @param paddingOffset the byte after the payload, where the padding starts.
     * @param padLength     bytes of padding (0..255).
     * @param nextHeader    the protected payload's protocol.
     */
    public static void write(
        final MutableDirectBuffer buffer, final int paddingOffset, final int padLength, final int nextHeader)
    {
        for (int i = 0; i < padLength; i++)
        {
            buffer.putByte(paddingOffset + i, (byte)(i + 1));
        }
        final int trailerOffset = paddingOffset + padLength;
        buffer.putByte(trailerOffset + PAD_LENGTH_OFFSET, (byte)padLength);
        buffer.putByte(trailerOffset + NEXT_HEADER_OFFSET, (byte)nextHeader);
    }

    /**
     * @param buffer        packet (decrypted).
     * @param paddingOffset where the padding starts.
     * @param padLength     bytes of padding, as the trailer says.
     * @return true if the padding bytes are 1, 2, 3, ... (RFC 4303 §2.4).
     */
    public static boolean isPaddingValid(final DirectBuffer buffer, final int paddingOffset, final int padLength)
    {
        for (int i = 0; i < padLength; i++)
        {
            if ((buffer.getByte(paddingOffset + i) & 0xFF) != ((i + 1) & 0xFF))
            {
                return false;
            }
        }
        return true;
    }
}
