package org.esp4j.sip.message;

/**
 * Transport a SIP message travelled on; also the upper-layer protocol of an SA selector.
 */
public enum Transport
{
    UDP("udp", 17),
    TCP("tcp", 6);

    private final String lowerCaseName;
    private final int ipProtocolNumber;

    Transport(final String lowerCaseName, final int ipProtocolNumber)
    {
        this.lowerCaseName = lowerCaseName;
        this.ipProtocolNumber = ipProtocolNumber;
    }

    /**
     * @return the name as {@code ip xfrm} spells it: {@code udp} or {@code tcp}.
     */
    public String lowerCaseName()
    {
        return lowerCaseName;
    }

    /**
     * @return the IANA protocol number (17 or 6).
     */
    public int ipProtocolNumber()
    {
        return ipProtocolNumber;
    }

    /**
     * Parse {@code UDP} or {@code TCP}, any case.
     *
     * @param text the name.
     * @return the transport.
     * @throws IllegalArgumentException naming the value when it is neither.
     */
    public static Transport parse(final String text)
    {
        if ("udp".equalsIgnoreCase(text))
        {
            return UDP;
        }
        if ("tcp".equalsIgnoreCase(text))
        {
            return TCP;
        }
        throw new IllegalArgumentException("transport: expected UDP or TCP, got '" + text + "'");
    }
}
