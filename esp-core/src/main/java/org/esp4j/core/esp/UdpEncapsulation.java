package org.esp4j.core.esp;

import org.agrona.DirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * What the payload of an RFC 3948 ESP-in-UDP datagram is: ESP, a NAT-keepalive or a non-ESP-marked (IKE) message.
 * The one place this is decided, for the processor's wire input and for the UDP carrier, whose socket has already
 * removed the UDP header.
 * <pre>
 *   NAT-keepalive (RFC 3948 §2.3):   +-+-+-+-+-+-+-+-+
 *                                    |      0xFF     |        exactly one byte
 *                                    +-+-+-+-+-+-+-+-+
 *   non-ESP marker (RFC 3948 §2.2):  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                                    |                      0x00000000 (where ESP has its SPI)       |  IKE
 *                                    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   anything else:                   ESP, SPI first (RFC 4303 §2; SPI 0 is reserved, so it never looks like IKE)
 * </pre>
 */
public final class UdpEncapsulation
{
    /** The payload is an ESP packet (possibly a malformed one: the processor checks it). */
    public static final int ESP = 0;
    /** A NAT-keepalive: one 0xFF byte that keeps a NAT binding open; consumed, never answered. */
    public static final int NAT_KEEPALIVE = 1;
    /** Starts with the 4-byte non-ESP marker: IKE, for whoever listens on the port. */
    public static final int NON_ESP_MARKER = 2;
    /** No payload at all. */
    public static final int EMPTY = 3;

    /** The NAT-keepalive's single byte. */
    public static final byte NAT_KEEPALIVE_BYTE = (byte)0xFF;
    /** Length of the non-ESP marker. */
    public static final int NON_ESP_MARKER_LENGTH = 4;

    private UdpEncapsulation()
    {
    }

    /**
     * @param buffer  holds the UDP payload.
     * @param offset  payload start (after the UDP header).
     * @param length  payload length.
     * @return {@link #ESP}, {@link #NAT_KEEPALIVE}, {@link #NON_ESP_MARKER} or {@link #EMPTY}.
     */
    public static int classify(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length <= 0)
        {
            return EMPTY;
        }
        if (length == 1 && buffer.getByte(offset) == NAT_KEEPALIVE_BYTE)
        {
            return NAT_KEEPALIVE;
        }
        if (length >= NON_ESP_MARKER_LENGTH && buffer.getInt(offset, BIG_ENDIAN) == 0)
        {
            return NON_ESP_MARKER;
        }
        return ESP;
    }
}
