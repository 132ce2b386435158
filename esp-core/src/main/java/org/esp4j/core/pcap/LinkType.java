package org.esp4j.core.pcap;

/**
 * Link-layer header types (LINKTYPE_* of draft-ietf-opsawg-pcaplinktype) the offline tool understands, and where
 * the IP header starts behind each of them.
 * <pre>
 *   RAW (101)        | IPv4 or IPv6 header ...                     version nibble tells which
 *   IPV4 (228)       | IPv4 header ...
 *   IPV6 (229)       | IPv6 header ...
 *   ETHERNET (1)     | dst MAC (6) | src MAC (6) | [TPID 0x8100/0x88a8/0x9100 | TCI]* | ethertype (2) | IP ...
 *   LINUX_SLL (113)  | packet type (2) | ARPHRD (2) | addr len (2) | addr (8) | protocol (2) | IP ...   16 bytes
 *   LINUX_SLL2 (276) | protocol (2) | reserved (2) | ifindex (4) | ARPHRD (2) | packet type (1)
 *                    | addr len (1) | addr (8) | IP ...                                                 20 bytes
 * </pre>
 * All link-layer fields are in network byte order (big-endian), whatever the byte order of the capture file.
 */
public final class LinkType
{
    public static final int ETHERNET = 1;
    public static final int RAW = 101;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    /** IEEE 802.1Q customer VLAN tag. */
    public static final int ETHERTYPE_VLAN = 0x8100;
    /** IEEE 802.1ad service VLAN tag (QinQ outer tag). */
    public static final int ETHERTYPE_QINQ = 0x88A8;
    /** Pre-standard QinQ outer tag still seen in captures. */
    public static final int ETHERTYPE_QINQ_LEGACY = 0x9100;

    static final int ETHERNET_HEADER_LENGTH = 14;
    static final int VLAN_TAG_LENGTH = 4;
    static final int SLL_HEADER_LENGTH = 16;
    static final int SLL_PROTOCOL_OFFSET = 14;
    static final int SLL2_HEADER_LENGTH = 20;
    static final int SLL2_PROTOCOL_OFFSET = 0;

    private LinkType()
    {
    }

    /**
     * @param linkType LINKTYPE_* value of the frame's interface.
     * @param data     frame bytes starting at the link-layer header.
     * @param length   number of valid bytes in data.
     * @return offset of the IPv4/IPv6 header in data, or -1 if the frame does not carry IP (or is too short to
     * hold its link-layer header plus at least one byte).
     */
    public static int networkOffset(final int linkType, final byte[] data, final int length)
    {
        switch (linkType)
        {
            case RAW:
                if (length < 1)
                {
                    return -1;
                }
                final int version = (data[0] & 0xF0) >>> 4;
                return 4 == version || 6 == version ? 0 : -1;

            case IPV4:
            case IPV6:
                return length >= 1 ? 0 : -1;

            case ETHERNET:
                return ethernetNetworkOffset(data, length);

            case LINUX_SLL:
                return ipIfProtocol(data, length, SLL_PROTOCOL_OFFSET, SLL_HEADER_LENGTH);

            case LINUX_SLL2:
                return ipIfProtocol(data, length, SLL2_PROTOCOL_OFFSET, SLL2_HEADER_LENGTH);

            default:
                return -1;
        }
    }

    private static int ethernetNetworkOffset(final byte[] data, final int length)
    {
        int ethertypeOffset = ETHERNET_HEADER_LENGTH - 2;
        while (ethertypeOffset + 2 <= length)
        {
            final int ethertype = ByteOrderAccess.getUnsignedShortBigEndian(data, ethertypeOffset);
            if (ETHERTYPE_VLAN == ethertype || ETHERTYPE_QINQ == ethertype || ETHERTYPE_QINQ_LEGACY == ethertype)
            {
                ethertypeOffset += VLAN_TAG_LENGTH; // skip TCI, the next ethertype follows
                continue;
            }

            final int networkOffset = ethertypeOffset + 2;
            final boolean isIp = ETHERTYPE_IPV4 == ethertype || ETHERTYPE_IPV6 == ethertype;
            return isIp && networkOffset < length ? networkOffset : -1;
        }
        return -1;
    }

    private static int ipIfProtocol(
        final byte[] data, final int length, final int protocolOffset, final int headerLength)
    {
        if (length <= headerLength)
        {
            return -1;
        }
        final int protocol = ByteOrderAccess.getUnsignedShortBigEndian(data, protocolOffset);
        return ETHERTYPE_IPV4 == protocol || ETHERTYPE_IPV6 == protocol ? headerLength : -1;
    }
}
