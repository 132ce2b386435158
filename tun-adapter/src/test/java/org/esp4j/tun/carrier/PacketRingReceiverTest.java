package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.routing.EspEarlyDrop;
import org.esp4j.tun.routing.LocalAddresses;
import org.esp4j.tun.routing.NftCommand;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packet ring: the IP checks it makes in place of the kernel's IP input (written bytes), and, as root over
 * loopback, that with its early-drop table each ESP packet is taken by exactly one of ring and raw socket.
 */
class PacketRingReceiverTest
{
    private static final int CAPACITY = 65536;

    @Test
    void shouldTrimIpv4ToItsTotalLengthAndRefuseABadHeaderChecksum()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        IpHeaders.putIpv4Header(frame, 10, 0, 60, LibC.IPPROTO_ESP, 64);
        IpHeaders.putIpv4Checksum(frame, 10);
        assertEquals(60, PacketRingReceiver.ipLength(frame, 10, 64), "link-layer padding after the packet");
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 10, 59), "shorter than its header says");
        frame.putByte(10 + IpHeaders.IPV4_TTL_OFFSET, (byte)63);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 10, 64), "checksum");
    }

    @Test
    void shouldRefuseIpv4WithAHeaderLengthBelowTwentyOrBeyondThePacket()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        IpHeaders.putIpv4Header(frame, 0, 0, 60, LibC.IPPROTO_ESP, 64);
        frame.putByte(0, (byte)0x44);
        IpHeaders.putIpv4Checksum(frame, 0);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 60));
        frame.putByte(0, (byte)0x4F);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 40));
    }

    @Test
    void shouldTrimIpv6ToItsPayloadLengthAndRefuseOtherVersions()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        IpHeaders.putIpv6Header(frame, 0, 0, 40, LibC.IPPROTO_ESP, 64);
        assertEquals(80, PacketRingReceiver.ipLength(frame, 0, 96));
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 79));
        frame.putByte(0, (byte)0x50);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 96));
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 10), "runt");
    }

    @Test
    void shouldTakeEachEspPacketByExactlyOnePathOverLoopback() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final InetAddress v4 = InetAddress.getByName("127.0.0.1");
        final InetAddress v6 = InetAddress.getByName("::1");
        final LocalAddresses local = new LocalAddresses(List.of(LibC.if_nametoindex("lo")), List.of(v4, v6));
        final CountersManager counters = new CountersManager(new UnsafeBuffer(new byte[64 * 1024]),
            new UnsafeBuffer(new byte[8 * 1024]));
        final AtomicCounter read = counters.newCounter("ring read");
        final EspEarlyDrop drop = new EspEarlyDrop(new NftCommand(), "esp4jrt" + ProcessHandle.current().pid() % 10000,
            PacketRingReceiver.MAX_IP_LENGTH, null);
        try (PacketRingReceiver ring = new PacketRingReceiver(read, null);
            RawIpSender sender4 = new RawIpSender(LibC.AF_INET, 0, CAPACITY, 65535);
            RawIpSender sender6 = new RawIpSender(LibC.AF_INET6, 0, CAPACITY, 65535);
            RawEspReceiver raw4 = new RawEspReceiver(LibC.AF_INET, CAPACITY);
            RawEspReceiver raw6 = new RawEspReceiver(LibC.AF_INET6, CAPACITY))
        {
            ring.accept(local.interfaces(), local.addresses());
            drop.install(local);

            final UnsafeBuffer packet = new UnsafeBuffer(new byte[CAPACITY]);
            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);

            long spi = spi();
            int length = esp4(packet, v4, spi, 100);
            assertEquals(length, sender4.send(packet, 0, length));
            assertEquals(length, take(ring, in, spi, 20), "IPv4 ESP on the ring");
            // the kernel fills in the IPv4 id and checksum of a header-included packet; the rest is as sent
            assertTrue(bytesEqual(packet, 12, in, 64 + 12, length - 12), "addresses and ESP, as sent");
            assertEquals(-1, take(raw4, in, spi, 20), "and not on the raw socket");

            spi = spi();
            length = CarrierLoopbackTest.espPacket6(packet, 0, v6, spi);
            assertEquals(length, sender6.send(packet, 0, length));
            assertEquals(length, take(ring, in, spi, 40), "IPv6 ESP on the ring");
            assertEquals(-1, take(raw6, in, spi, 40), "and not on the raw socket");

            spi = spi();
            length = esp4(packet, InetAddress.getByName("127.0.0.2"), spi, 100);
            assertEquals(length, sender4.send(packet, 0, length));
            assertEquals(length, take(raw4, in, spi, 20), "an address the ring was not given: raw socket");
            assertEquals(-1, take(ring, in, spi, 20));

            spi = spi();
            length = esp4(packet, v4, spi, PacketRingReceiver.MAX_IP_LENGTH + 1);
            assertEquals(length, sender4.send(packet, 0, length));
            assertEquals(length, take(raw4, in, spi, 20), "longer than a frame: raw socket");
            assertEquals(-1, take(ring, in, spi, 20));

            drop.remove();
            spi = spi();
            length = esp4(packet, v4, spi, 100);
            assertEquals(length, sender4.send(packet, 0, length));
            assertEquals(length, take(raw4, in, spi, 20), "without the table the kernel delivers again");
            assertEquals(2, read.get(), "packets taken from the ring counted");
        }
        finally
        {
            drop.remove();
        }
    }

    private static long spi()
    {
        return 0x80000000L + ThreadLocalRandom.current().nextInt(0x7FFFFFFF);
    }

    private static int esp4(final UnsafeBuffer b, final InetAddress dst, final long spi, final int length)
    {
        IpHeaders.putIpv4Header(b, 0, 0, length, LibC.IPPROTO_ESP, 64);
        b.putBytes(IpHeaders.IPV4_SOURCE_OFFSET, InetAddress.getLoopbackAddress().getAddress());
        b.putBytes(IpHeaders.IPV4_DESTINATION_OFFSET, dst.getAddress());
        IpHeaders.putIpv4Checksum(b, 0);
        b.putInt(20, (int)spi, ByteOrder.BIG_ENDIAN);
        b.putInt(24, 1, ByteOrder.BIG_ENDIAN);
        for (int i = 28; i < length; i++)
        {
            b.putByte(i, (byte)i);
        }
        return length;
    }

    private static boolean bytesEqual(
        final UnsafeBuffer a, final int aOffset, final UnsafeBuffer b, final int bOffset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (a.getByte(aOffset + i) != b.getByte(bOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    /** @return the length of the packet with this SPI (IP header of {@code ipLength}), or -1 within 300 ms. */
    private static int take(
        final CarrierReceiver receiver, final UnsafeBuffer in, final long spi, final int ipLength) throws Exception
    {
        for (int i = 0; i < 60; i++)
        {
            final int n = receiver.receive(in, 64, in.capacity() - 64);
            if (n == CarrierStatus.NONE)
            {
                Thread.sleep(5);
                continue;
            }
            assertTrue(n > 0, "receive failed: " + n);
            if ((in.getInt(64 + ipLength, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL) == spi)
            {
                return n;
            }
        }
        return -1;
    }
}
