package org.esp4j.core.esp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Flyweight accessors for the ESP packet format, RFC 4303 §2.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *  |               Security Parameters Index (SPI)                 | ^Int.
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *  |                      Sequence Number                          | |ered
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 *  |      IV (optional) and Payload Data (variable)                | |   ^
 *  ~                                                               ~ |   |
 *  |                                                               | |Conf.
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *  |               |     Padding (0-255 bytes)                     | |ered*
 *  +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 *  |                               |  Pad Length   | Next Header   | v   v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 *  |         Integrity Check Value-ICV   (variable)                |
 *  ~                                                               ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The SPI and sequence number are unsigned 32-bit values, read into {@code long}s. The padding, pad length and next
 * header are read and written by {@link EspTrailer}; the IP protocol number is {@code IpProtocol.ESP}.
 */
public final class EspHeader
{
    public static final int SPI_OFFSET = 0;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int LENGTH = 8;

    private EspHeader()
    {
    }

    /** @return the SPI, unsigned. */
    public static long spi(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + SPI_OFFSET, BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    public static void spi(final MutableDirectBuffer buffer, final int offset, final long spi)
    {
        buffer.putInt(offset + SPI_OFFSET, (int)spi, BIG_ENDIAN);
    }

    /** @return the low 32 bits of the sequence number, unsigned. */
    public static long sequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET, BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    public static void sequence(final MutableDirectBuffer buffer, final int offset, final long sequence)
    {
        buffer.putInt(offset + SEQUENCE_OFFSET, (int)sequence, BIG_ENDIAN);
    }
}
