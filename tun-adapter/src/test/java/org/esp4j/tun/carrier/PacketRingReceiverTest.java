package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        Ipv4Header.write(frame, 10, 0, 60, LibC.IPPROTO_ESP, 64);
        Ipv4Header.updateChecksum(frame, 10);
        assertEquals(60, PacketRingReceiver.ipLength(frame, 10, 64), "link-layer padding after the packet");
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 10, 59), "shorter than its header says");
        frame.putByte(10 + Ipv4Header.TTL_OFFSET, (byte)63);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 10, 64), "checksum");
    }

    @Test
    void shouldRefuseIpv4WithAHeaderLengthBelowTwentyOrBeyondThePacket()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        Ipv4Header.write(frame, 0, 0, 60, LibC.IPPROTO_ESP, 64);
        frame.putByte(0, (byte)0x44);
        Ipv4Header.updateChecksum(frame, 0);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 60));
        frame.putByte(0, (byte)0x4F);
        assertEquals(CarrierStatus.MALFORMED, PacketRingReceiver.ipLength(frame, 0, 40));
    }

    @Test
    void shouldTrimIpv6ToItsPayloadLengthAndRefuseOtherVersions()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        Ipv6Header.write(frame, 0, 0, 40, LibC.IPPROTO_ESP, 64);
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
        try (Loopback lo = new Loopback("esp4jrt"))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[CAPACITY]);
            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);

            long spi = lo.ownNew();
            int length = esp4(packet, Loopback.V4, spi, 100);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.ring, in, spi, 20), "IPv4 ESP on the ring");
            // the kernel fills in the IPv4 id and checksum of a header-included packet; the rest is as sent
            assertTrue(bytesEqual(packet, 12, in, 64 + 12, length - 12), "addresses and ESP, as sent");
            assertEquals(-1, take(lo.raw4, in, spi, 20), "and not on the raw socket");

            spi = lo.ownNew();
            length = CarrierLoopbackTest.espPacket6(packet, 0, Loopback.V6, spi);
            assertEquals(length, lo.sender6.send(packet, 0, length));
            assertEquals(length, take(lo.ring, in, spi, 40), "IPv6 ESP on the ring");
            assertEquals(-1, take(lo.raw6, in, spi, 40), "and not on the raw socket");

            spi = lo.ownNew();
            length = esp4(packet, InetAddress.getByName("127.0.0.2"), spi, 100);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.raw4, in, spi, 20), "an address the ring was not given: raw socket");
            assertEquals(-1, take(lo.ring, in, spi, 20));

            spi = lo.ownNew();
            length = esp4(packet, Loopback.V4, spi, PacketRingReceiver.MAX_IP_LENGTH + 1);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.raw4, in, spi, 20), "longer than a frame: raw socket");
            assertEquals(-1, take(lo.ring, in, spi, 20));

            lo.drop.remove();
            spi = lo.ownNew();
            length = esp4(packet, Loopback.V4, spi, 100);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.raw4, in, spi, 20), "without the table the kernel delivers again");
            assertEquals(2, lo.read.get(), "packets taken from the ring counted");
        }
    }

    @Test
    void shouldLeaveEspOfSpisItDoesNotOwnToTheKernel() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        try (Loopback lo = new Loopback("esp4jrk"))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[CAPACITY]);
            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            final long owned = lo.ownNew();
            // a kernel XFRM SA's, say: the ring's filter takes its ESP, the table does not drop it
            final long other = spi();

            int length = esp4(packet, Loopback.V4, other, 100);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.raw4, in, other, 20), "the kernel's path keeps ESP of other SPIs");
            assertEquals(-1, take(lo.ring, in, other, 20), "and the ring lets its copy go");
            length = CarrierLoopbackTest.espPacket6(packet, 0, Loopback.V6, other);
            assertEquals(length, lo.sender6.send(packet, 0, length));
            assertEquals(length, take(lo.raw6, in, other, 40), "IPv6 as well");
            assertEquals(-1, take(lo.ring, in, other, 40));
            assertEquals(2L, lo.leftToKernel.get(), "both copies counted as left to the kernel");
            assertEquals(0L, lo.read.get());

            length = esp4(packet, Loopback.V4, owned, 100);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.ring, in, owned, 20), "an owned SPI: the ring");
            assertEquals(-1, take(lo.raw4, in, owned, 20), "and not the raw socket");
            assertEquals(1L, lo.read.get());
        }
    }

    @Test
    void shouldCountNotOwnedAnEspPacketTooShortForAnSpi()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        final OwnedSpis owned = new OwnedSpis();
        owned.add(2821032177L);
        Ipv4Header.write(frame, 0, 0, 28, LibC.IPPROTO_ESP, 64);
        frame.putInt(20, (int)2821032177L, ByteOrder.BIG_ENDIAN);
        assertTrue(PacketRingReceiver.isOwned(owned, frame, 0, 28), "SPI above 2^31 compared by its 32 bits");
        assertFalse(PacketRingReceiver.isOwned(owned, frame, 0, 23), "no whole SPI: the drop rule cannot match it");
        frame.putInt(20, 565817, ByteOrder.BIG_ENDIAN);
        assertFalse(PacketRingReceiver.isOwned(owned, frame, 0, 28));
        Ipv6Header.write(frame, 0, 0, 8, LibC.IPPROTO_ESP, 64);
        frame.putInt(40, (int)2821032177L, ByteOrder.BIG_ENDIAN);
        assertTrue(PacketRingReceiver.isOwned(owned, frame, 0, 48), "IPv6: the SPI right after the fixed header");
    }

    @Test
    void shouldLeaveFragmentedEspToTheRawSocketWhichGetsItReassembled() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        try (Loopback lo = new Loopback("esp4jrf"))
        {
            final UnsafeBuffer whole = new UnsafeBuffer(new byte[CAPACITY]);
            final UnsafeBuffer fragment = new UnsafeBuffer(new byte[CAPACITY]);
            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);

            // IPv4: 300 bytes of ESP in two fragments (RFC 791: offsets in 8-byte units, MF on all but the last)
            long spi = lo.ownNew();
            final int length4 = esp4(whole, Loopback.V4, spi, 320);
            final int id = ThreadLocalRandom.current().nextInt(1, 0xFFFF);
            for (final int[] part : new int[][]{ { 0, 160, 1 }, { 160, 140, 0 } })
            {
                fragment.putBytes(0, whole, 0, Ipv4Header.MIN_LENGTH);
                fragment.putBytes(Ipv4Header.MIN_LENGTH, whole, Ipv4Header.MIN_LENGTH + part[0], part[1]);
                fragment.putShort(Ipv4Header.TOTAL_LENGTH_OFFSET, (short)(Ipv4Header.MIN_LENGTH + part[1]),
                    ByteOrder.BIG_ENDIAN);
                fragment.putShort(Ipv4Header.IDENTIFICATION_OFFSET, (short)id, ByteOrder.BIG_ENDIAN);
                fragment.putShort(Ipv4Header.FLAGS_FRAGMENT_OFFSET,
                    (short)((part[2] == 1 ? Ipv4Header.MORE_FRAGMENTS : 0) | part[0] / 8), ByteOrder.BIG_ENDIAN);
                fragment.putShort(Ipv4Header.CHECKSUM_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
                Ipv4Header.updateChecksum(fragment, 0);
                final int n = Ipv4Header.MIN_LENGTH + part[1];
                assertEquals(n, lo.sender4.send(fragment, 0, n));
            }
            assertEquals(length4, take(lo.raw4, in, spi, 20), "IPv4 fragments: reassembled, on the raw socket");
            assertTrue(bytesEqual(whole, 20, in, 64 + 20, length4 - 20), "the ESP as it was before fragmenting");
            assertEquals(-1, take(lo.ring, in, spi, 20), "no fragment on the ring");

            // IPv6: a Fragment header (RFC 8200 4.5) before the ESP, in two fragments
            spi = lo.ownNew();
            final int length6 = CarrierLoopbackTest.espPacket6(whole, 0, Loopback.V6, spi);
            final int espLength = length6 - Ipv6Header.LENGTH;
            final int first = espLength / 2 & ~7;
            final int identification = ThreadLocalRandom.current().nextInt();
            for (final int[] part : new int[][]{ { 0, first, 1 }, { first, espLength - first, 0 } })
            {
                fragment.putBytes(0, whole, 0, Ipv6Header.LENGTH);
                fragment.putShort(Ipv6Header.PAYLOAD_LENGTH_OFFSET, (short)(8 + part[1]), ByteOrder.BIG_ENDIAN);
                fragment.putByte(Ipv6Header.NEXT_HEADER_OFFSET, (byte)44);
                fragment.putByte(40, (byte)LibC.IPPROTO_ESP);
                fragment.putByte(41, (byte)0);
                // the offset counts 8-byte units in the top 13 bits, i.e. it reads as the byte offset; M is bit 0
                fragment.putShort(42, (short)(part[0] | part[2]), ByteOrder.BIG_ENDIAN);
                fragment.putInt(44, identification, ByteOrder.BIG_ENDIAN);
                fragment.putBytes(48, whole, Ipv6Header.LENGTH + part[0], part[1]);
                final int n = 48 + part[1];
                assertEquals(n, lo.sender6.send(fragment, 0, n));
            }
            assertEquals(length6, take(lo.raw6, in, spi, 40), "IPv6 fragments: reassembled, on the raw socket");
            assertTrue(bytesEqual(whole, 40, in, 64 + 40, espLength), "the ESP as it was before fragmenting");
            assertEquals(-1, take(lo.ring, in, spi, 40), "no fragment on the ring");
        }
    }

    @Test
    void shouldCountPacketsTheKernelCouldNotPlaceInAFullRing() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final int frames =
            PacketRingReceiver.BLOCK_COUNT * (PacketRingReceiver.BLOCK_SIZE / PacketRingReceiver.FRAME_SIZE);
        final int overflow = 100;
        try (Loopback lo = new Loopback("esp4jrd"))
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[CAPACITY]);
            final UnsafeBuffer in = new UnsafeBuffer(new byte[CAPACITY + 256]);
            final long spi = lo.ownNew();
            final int length = esp4(packet, Loopback.V4, spi, 100);
            // nobody reads meanwhile: the first `frames` packets fill the ring, the rest find no free frame
            for (int seq = 1; seq <= frames + overflow; seq++)
            {
                packet.putInt(24, seq, ByteOrder.BIG_ENDIAN);
                assertEquals(length, lo.sender4.send(packet, 0, length));
            }
            for (int seq = 1; seq <= frames; seq++)
            {
                assertEquals(length, take(lo.ring, in, spi, 20), "frame " + seq);
                assertEquals(seq, in.getInt(64 + 24, ByteOrder.BIG_ENDIAN), "in order, none missing until full");
            }
            assertEquals(CarrierStatus.NONE, lo.ring.receive(in, 64, in.capacity() - 64),
                "the ring was full at " + frames);
            assertEquals(0L, lo.drops.get(), "losses are reported with the next packet placed");

            packet.putInt(24, frames + overflow + 1, ByteOrder.BIG_ENDIAN);
            assertEquals(length, lo.sender4.send(packet, 0, length));
            assertEquals(length, take(lo.ring, in, spi, 20));
            assertEquals(frames + overflow + 1, in.getInt(64 + 24, ByteOrder.BIG_ENDIAN));
            assertEquals(overflow, lo.drops.get(), "every packet lost to the full ring counted");
            assertEquals(frames + 1, lo.read.get());
        }
    }

    /**
     * A packet ring taking ESP to 127.0.0.1 and ::1 on {@code lo} for the SPIs it was given ({@link #ownNew}), with its
     * early-drop table, raw senders and raw ESP receivers of both families; closing removes the table.
     */
    private static final class Loopback implements AutoCloseable
    {
        static final InetAddress V4 = address("127.0.0.1");
        static final InetAddress V6 = address("::1");

        final CountersManager counters = new CountersManager(new UnsafeBuffer(new byte[64 * 1024]),
            new UnsafeBuffer(new byte[8 * 1024]));
        final AtomicCounter read = counters.newCounter("ring read");
        final AtomicCounter drops = counters.newCounter("ring drops");
        final AtomicCounter leftToKernel = counters.newCounter("ring left to kernel");
        final java.util.Set<Long> owned = new java.util.HashSet<>();
        final LocalAddresses local = new LocalAddresses(List.of(LibC.if_nametoindex("lo")), List.of(V4, V6));
        final EspEarlyDrop drop;
        final PacketRingReceiver ring;
        final RawIpSender sender4;
        final RawIpSender sender6;
        final RawIpReceiver raw4;
        final RawIpReceiver raw6;

        Loopback(final String tunName) throws Exception
        {
            drop = new EspEarlyDrop(new NftCommand(), tunName + ProcessHandle.current().pid() % 10000,
                PacketRingReceiver.MAX_IP_LENGTH, null);
            ring = new PacketRingReceiver(read, drops, leftToKernel);
            sender4 = new RawIpSender(LibC.AF_INET, 0, CAPACITY, 65535);
            sender6 = new RawIpSender(LibC.AF_INET6, 0, CAPACITY, 65535);
            raw4 = new RawIpReceiver(LibC.AF_INET, CAPACITY);
            raw6 = new RawIpReceiver(LibC.AF_INET6, CAPACITY);
            ring.accept(local.interfaces(), local.addresses());
        }

        /** @return a new random SPI, which the ring and the early-drop table take from now on. */
        long ownNew() throws java.io.IOException
        {
            final long spi = spi();
            owned.add(spi);
            ring.own(owned);
            drop.install(local, owned);
            return spi;
        }

        public void close()
        {
            drop.remove();
            raw6.close();
            raw4.close();
            sender6.close();
            sender4.close();
            ring.close();
        }

        private static InetAddress address(final String literal)
        {
            try
            {
                return InetAddress.getByName(literal);
            }
            catch (final java.net.UnknownHostException ex)
            {
                throw new IllegalStateException(ex);
            }
        }
    }

    private static long spi()
    {
        return 0x80000000L + ThreadLocalRandom.current().nextInt(0x7FFFFFFF);
    }

    private static int esp4(final UnsafeBuffer b, final InetAddress dst, final long spi, final int length)
    {
        Ipv4Header.write(b, 0, 0, length, LibC.IPPROTO_ESP, 64);
        b.putBytes(Ipv4Header.SOURCE_OFFSET, InetAddress.getLoopbackAddress().getAddress());
        b.putBytes(Ipv4Header.DESTINATION_OFFSET, dst.getAddress());
        Ipv4Header.updateChecksum(b, 0);
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
