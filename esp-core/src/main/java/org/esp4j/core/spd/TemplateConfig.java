package org.esp4j.core.spd;

import org.esp4j.core.ip.IpAddressText;
import java.net.InetAddress;

/**
 * The SA a PROTECT policy requires ({@code tmpl src A dst B proto esp spi S reqid R mode transport level required}).
 * Any field may be left out: a template matches an SA when every field it names equals the SA's.
 *
 * @param source      tunnel source or null (transport mode: the packet's own addresses are used).
 * @param destination SA destination or null.
 * @param spi         unsigned 32-bit SPI, or -1 for any.
 * @param reqid       request id, or 0 for any.
 * @param optional    {@code level use}: traffic may pass unprotected when no SA exists.
 */
public record TemplateConfig(InetAddress source, InetAddress destination, long spi, int reqid, boolean optional)
{
    /** SPI value meaning "any SPI". */
    public static final long ANY_SPI = -1;

    public String toString()
    {
        final StringBuilder sb = new StringBuilder("tmpl");
        if (source != null)
        {
            sb.append(" src ").append(IpAddressText.format(source));
        }
        if (destination != null)
        {
            sb.append(" dst ").append(IpAddressText.format(destination));
        }
        sb.append(" proto esp");
        if (spi != ANY_SPI)
        {
            sb.append(String.format(" spi 0x%08x", spi));
        }
        sb.append(" reqid ").append(reqid).append(" mode transport");
        if (optional)
        {
            sb.append(" level use");
        }
        return sb.toString();
    }
}
