package org.esp4j.core.xfrm;

import java.net.InetAddress;

/**
 * The ID of {@code ip xfrm state delete|get}: which SA. RFC 4301 §4.1: destination, protocol (always ESP here) and
 * SPI identify an SA; the source is optional, as in iproute2.
 *
 * @param source      source address, or null when not given.
 * @param destination destination address.
 * @param spi         unsigned 32-bit SPI.
 */
public record XfrmStateId(InetAddress source, InetAddress destination, long spi)
{
    /** @return the SPI as {@code 0x%08x}, never negative. */
    public String spiHex()
    {
        return String.format("0x%08x", spi);
    }
}
