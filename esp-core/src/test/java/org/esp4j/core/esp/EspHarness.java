package org.esp4j.core.esp;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.SpdEventListener;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.testutil.ByteArrayBuilder;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Packet builders, a SAD/SPD/processor with an event recorder on a fake clock, and counter assertions for the
 * packet-path tests (reuses {@link EspTestSupport}'s buffer helpers).
 */
final class EspHarness
{
    final CachedNanoClock clock = new CachedNanoClock();
    final XfrmCounters counters;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final SpdEventListener listener = (type, sa) -> events.add(type + " " + sa.config().spiHex());
    final SecurityAssociationDatabase sad;
    final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    final EspProcessor processor;

    EspHarness()
    {
        this(XfrmCounters.inMemory());
    }

    EspHarness(final XfrmCounters counters)
    {
        this.counters = counters;
        clock.update(1_000_000_000L);
        sad = new SecurityAssociationDatabase(counters, clock, listener);
        processor = new EspProcessor(sad, spd, counters, clock, listener);
    }

    long eventCount(final SaEventType type)
    {
        synchronized (events)
        {
            return events.stream().filter(e -> e.startsWith(type.name() + " ")).count();
        }
    }

    void advanceSeconds(final long seconds)
    {
        clock.update(clock.nanoTime() + seconds * 1_000_000_000L);
    }

    // ---------------------------------------------------------------- running packets

    /** Result of one call: verdict, bytes out (the result region, or the buffer's packet if not delivered). */
    record Outcome(int verdict, byte[] bytes, XfrmCounter reason)
    {
    }

    Outcome protect(final SecurityAssociation sa, final byte[] packet)
    {
        return protect(processor, sa, packet);
    }

    static Outcome protect(final EspProcessor processor, final SecurityAssociation sa, final byte[] packet)
    {
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(packet);
        final int verdict = processor.protect(sa, buffer, EspTestSupport.HEADROOM, packet.length);
        return new Outcome(verdict, EspTestSupport.result(buffer, processor), processor.dropReason());
    }

    Outcome outbound(final byte[] packet)
    {
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(packet);
        final int verdict = processor.outbound(buffer, EspTestSupport.HEADROOM, packet.length);
        return new Outcome(verdict, EspTestSupport.result(buffer, processor), processor.dropReason());
    }

    Outcome inbound(final byte[] packet)
    {
        return inbound(processor, packet);
    }

    static Outcome inbound(final EspProcessor processor, final byte[] packet)
    {
        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(packet);
        final int verdict = processor.inbound(buffer, EspTestSupport.HEADROOM, packet.length);
        return new Outcome(verdict, EspTestSupport.result(buffer, processor), processor.dropReason());
    }

    // ---------------------------------------------------------------- counters

    Map<XfrmCounter, Long> snapshot()
    {
        final Map<XfrmCounter, Long> values = new EnumMap<>(XfrmCounter.class);
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            values.put(counter, counters.get(counter));
        }
        return values;
    }

    /** Assert that exactly the named counter moved, by exactly one, since the snapshot. */
    void assertOnlyMovedByOne(final Map<XfrmCounter, Long> before, final XfrmCounter expected)
    {
        final StringBuilder moved = new StringBuilder();
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            final long delta = counters.get(counter) - before.get(counter);
            if (delta != 0)
            {
                moved.append(counter).append('+').append(delta).append(' ');
            }
        }
        assertEquals(expected + "+1 ", moved.toString(), "counters that moved");
    }

    long totalDelta(final Map<XfrmCounter, Long> before)
    {
        long sum = 0;
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            sum += counters.get(counter) - before.get(counter);
        }
        return sum;
    }

    // ---------------------------------------------------------------- SA configs

    static byte[] key(final int length, final long seed)
    {
        final byte[] key = new byte[length];
        new Random(seed).nextBytes(key);
        return key;
    }

    static int encryptionKeyLength(final EncryptionAlgorithm algorithm)
    {
        if (algorithm.combinedMode())
        {
            return 16 + algorithm.saltLengthBytes(); // AES-128 key + salt, as TS 33.203 uses
        }
        switch (algorithm)
        {
            case NULL: return 0;
            case AES_CBC: return 16;
            default: return 24;
        }
    }

    /** @param integrity {@link IntegrityAlgorithm#NONE} with a combined-mode {@code encryption}. */
    static SaConfig.Builder config(final String src, final String dst, final long spi,
        final IntegrityAlgorithm integrity, final EncryptionAlgorithm encryption)
    {
        return SaConfig.builder()
            .source(EspTestSupport.address(src))
            .destination(EspTestSupport.address(dst))
            .spi(spi)
            .replayWindowSize(64)
            .integrity(integrity, key(integrity.keyLengthBytes(), spi * 31 + integrity.ordinal()))
            .encryption(encryption, key(encryptionKeyLength(encryption), spi * 37 + encryption.ordinal()));
    }

    // ---------------------------------------------------------------- packets

    static byte[] payload(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i * 7);
        }
        return bytes;
    }

    static byte[] udp(final int sourcePort, final int destinationPort, final byte[] data)
    {
        return new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u16(sourcePort).u16(destinationPort).u16(8 + data.length).u16(0).bytes(data).toByteArray();
    }

    static byte[] ipv4(final String src, final String dst, final int protocol, final byte[] options, final byte[] payload)
    {
        if (options.length % 4 != 0)
        {
            throw new IllegalArgumentException("options must be a multiple of 4");
        }
        final int headerLength = 20 + options.length;
        final byte[] packet = new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u8(0x40 | (headerLength / 4)).u8(0).u16(headerLength + payload.length)
            .u16(0x1234).u16(0x4000).u8(64).u8(protocol).u16(0)
            .bytes(EspTestSupport.address(src).getAddress()).bytes(EspTestSupport.address(dst).getAddress())
            .bytes(options).bytes(payload).toByteArray();
        final int checksum = ipv4ChecksumOver(packet, 0, headerLength);
        packet[10] = (byte)(checksum >>> 8);
        packet[11] = (byte)checksum;
        return packet;
    }

    /** @return the one's-complement checksum over the bytes (0 when a header with its checksum is valid). */
    static int ipv4ChecksumOver(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            sum += ((bytes[offset + i] & 0xFF) << 8) | (i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0);
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    /** IPv6 packet; {@code chain} is everything after the fixed header, {@code firstNextHeader} names its start. */
    static byte[] ipv6(final String src, final String dst, final int firstNextHeader, final byte[] chain)
    {
        return new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u32(0x6000_0000L).u16(chain.length).u8(firstNextHeader).u8(64)
            .bytes(EspTestSupport.address(src).getAddress()).bytes(EspTestSupport.address(dst).getAddress())
            .bytes(chain).toByteArray();
    }

    /** An extension header of {@code units} 8-byte units with the given next header and recognisable filler. */
    static byte[] extension(final int nextHeader, final int units, final int fill)
    {
        final byte[] header = new byte[units * 8];
        header[0] = (byte)nextHeader;
        header[1] = (byte)(units - 1);
        // PadN option filling the rest (valid for hop-by-hop and destination options)
        header[2] = 1;
        header[3] = (byte)(header.length - 4);
        for (int i = 4; i < header.length; i++)
        {
            header[i] = (byte)fill;
        }
        return header;
    }

    static byte[] fragmentHeader(final int nextHeader)
    {
        return new byte[]{ (byte)nextHeader, 0, 0, 0, 0x12, 0x34, 0x56, 0x78 };
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayBuilder builder = new ByteArrayBuilder(ByteOrder.BIG_ENDIAN);
        for (final byte[] part : parts)
        {
            builder.bytes(part);
        }
        return builder.toByteArray();
    }

    static int u16(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    static long u32(final byte[] bytes, final int offset)
    {
        return ((long)u16(bytes, offset) << 16) | u16(bytes, offset + 2);
    }

    /** UDP-over-IPv6 checksum check: the sum over pseudo header and datagram (checksum included) must be 0. */
    static int ipv6UdpChecksumResidue(final byte[] packet, final int udpOffset)
    {
        final int udpLength = packet.length - udpOffset;
        final byte[] pseudo = new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .bytes(packet, 8, 32).u32(udpLength).u8(0).u8(0).u8(0).u8(17)
            .bytes(packet, udpOffset, udpLength).toByteArray();
        return ipv4ChecksumOver(pseudo, 0, pseudo.length);
    }
}
