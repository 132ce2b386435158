package org.esp4j.core.pcap;

import org.esp4j.core.testutil.ByteArrayBuilder;
import org.esp4j.core.text.Hex;

import java.nio.ByteOrder;

/**
 * Link-layer headers (always network byte order) around small IP packets, for the link-type tests.
 */
final class Packets
{
    /** 20-byte IPv4 header + 8-byte UDP header; content does not matter, only the version nibble. */
    static final byte[] IPV4 = Hex.decode("4500001c000000004011000ac0a80001c0a80002" + "1f901f9000080000");
    /** 40-byte IPv6 header, no payload. */
    static final byte[] IPV6 = Hex.decode(
        "6000000000003b40" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002");

    private Packets()
    {
    }

    static byte[] ethernet(final byte[] payload, final int... ethertypes)
    {
        final ByteArrayBuilder frame = new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .hex("020000000002").hex("020000000001");
        for (int i = 0; i < ethertypes.length - 1; i++)
        {
            frame.be16(ethertypes[i]).be16(100 + i); // VLAN tag: TPID then TCI
        }
        return frame.be16(ethertypes[ethertypes.length - 1]).bytes(payload).toByteArray();
    }

    static byte[] linuxCooked(final int protocol, final byte[] payload)
    {
        return new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .be16(0).be16(1).be16(6).hex("0200000000010000").be16(protocol).bytes(payload).toByteArray();
    }

    static byte[] linuxCookedV2(final int protocol, final byte[] payload)
    {
        return new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .be16(protocol).be16(0).hex("00000002").be16(1).u8(0).u8(6).hex("0200000000010000").bytes(payload)
            .toByteArray();
    }
}
