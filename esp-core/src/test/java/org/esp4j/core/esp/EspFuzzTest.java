package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.esp4j.core.esp.EspHarness.concat;
import static org.esp4j.core.esp.EspHarness.extension;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.ipv6;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.esp4j.core.esp.EspLayoutTest.V6_DST;
import static org.esp4j.core.esp.EspLayoutTest.V6_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random and mutated packets through inbound and outbound: never an exception, and every packet is counted
 * once: delivered, passed or dropped.
 */
class EspFuzzTest
{
    private static final int PACKETS = 100_000;

    private final EspHarness sender = new EspHarness();
    private final EspHarness receiver = new EspHarness();
    private final List<SecurityAssociation> outboundSas = new ArrayList<>();

    EspFuzzTest()
    {
        final List<SaConfig> configs = List.of(
            EspHarness.config(V4_SRC, V4_DST, 0x3001, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL)
                .build(),
            EspHarness.config(V4_SRC, V4_DST, 0x3002, IntegrityAlgorithm.HMAC_SHA256_128, EncryptionAlgorithm.AES_CBC)
                .encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500).build(),
            EspHarness.config(V6_SRC, V6_DST, 0x3003, IntegrityAlgorithm.HMAC_MD5_96, EncryptionAlgorithm.DES_EDE3_CBC)
                .esn(true).build(),
            EspHarness.config(V6_SRC, V6_DST, 0x8000_3004L, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL)
                .encapsulation(SaConfig.Encapsulation.ESP_IN_UDP, 4500, 4500)
                .selector(TrafficSelector.builder().protocol(17).build()).build());
        for (final SaConfig config : configs)
        {
            outboundSas.add(sender.sad.add(config));
            receiver.sad.add(config);
        }
        for (final EspHarness h : new EspHarness[]{ sender, receiver })
        {
            for (final PolicyDirection direction : new PolicyDirection[]{ PolicyDirection.IN, PolicyDirection.OUT })
            {
                h.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(),
                    direction, PolicyAction.PROTECT, 100, 0, List.of(new TemplateConfig(null, null, 0x3001, 0, false))));
                h.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(6).destinationPort(23).build(),
                    direction, PolicyAction.DISCARD, 100, 0, List.of()));
                h.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5070).build(),
                    direction, PolicyAction.PROTECT, 100, 0,
                    List.of(new TemplateConfig(null, null, TemplateConfig.ANY_SPI, 77, false))));
                h.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(53).build(),
                    direction, PolicyAction.BYPASS, 50, 0, List.of()));
            }
        }
    }

    private byte[] plaintext(final Random random)
    {
        final boolean v6 = random.nextBoolean();
        final int protocol = new int[]{ 17, 6, 1, 58, 59, 50, 132 }[random.nextInt(7)];
        final int[] ports = { 5060, 23, 5070, 53, 4500, random.nextInt(65536) };
        final byte[] data = new byte[random.nextInt(random.nextInt(20) == 0 ? 3000 : 120)];
        random.nextBytes(data);
        final byte[] upper = protocol == 17 || protocol == 6 ?
            udp(ports[random.nextInt(ports.length)], ports[random.nextInt(ports.length)], data) : data;
        if (v6)
        {
            if (random.nextInt(4) == 0)
            {
                final int first = new int[]{ 0, 43, 60, 44 }[random.nextInt(4)];
                final byte[] ext = first == 44 ? EspHarness.fragmentHeader(protocol) :
                    extension(protocol, 1 + random.nextInt(3), random.nextInt(256));
                return ipv6(V6_SRC, V6_DST, first, concat(ext, upper));
            }
            return ipv6(V6_SRC, V6_DST, protocol, upper);
        }
        final byte[] options = random.nextInt(4) == 0 ? new byte[4 * (1 + random.nextInt(10))] : new byte[0];
        return ipv4(V4_SRC, V4_DST, protocol, options, upper);
    }

    private static byte[] mutate(final byte[] packet, final Random random)
    {
        byte[] bytes = packet.clone();
        switch (random.nextInt(6))
        {
            case 0:
                for (int i = 0, n = 1 + random.nextInt(4); i < n && bytes.length > 0; i++)
                {
                    bytes[random.nextInt(bytes.length)] ^= (byte)(1 << random.nextInt(8));
                }
                break;
            case 1:
                bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                break;
            case 2:
                bytes = Arrays.copyOf(bytes, bytes.length + random.nextInt(40));
                break;
            case 3:
                if (bytes.length > 6) // lengths: IPv4 total length, IPv6 payload length
                {
                    final int at = (bytes[0] >> 4 & 0xF) == 4 ? 2 : 4;
                    bytes[at] = (byte)random.nextInt(256);
                    bytes[at + 1] = (byte)random.nextInt(256);
                }
                break;
            case 4:
                if (bytes.length > 0) // header length / version / next header
                {
                    bytes[random.nextInt(Math.min(bytes.length, 10))] = (byte)random.nextInt(256);
                }
                break;
            default:
                if (bytes.length > 4) // trailer: pad length, next header
                {
                    bytes[bytes.length - 1 - random.nextInt(Math.min(bytes.length, 40))] = (byte)random.nextInt(256);
                }
                break;
        }
        return bytes;
    }

    @Test
    void shouldNeverThrowAndCountEveryInboundPacketOnce()
    {
        final Random random = new Random(0xF022_0001L);
        final Map<XfrmCounter, Long> before = receiver.snapshot();
        long delivered = 0;
        long passed = 0;
        long dropped = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            final byte[] packet;
            final int kind = random.nextInt(10);
            if (kind == 0)
            {
                packet = new byte[random.nextInt(100)];
                random.nextBytes(packet);
            }
            else if (kind < 3)
            {
                packet = mutate(plaintext(random), random);
            }
            else
            {
                final SecurityAssociation sa = outboundSas.get(random.nextInt(outboundSas.size()));
                final byte[] inner = sa.isIpv4() == (random.nextInt(10) != 0) ?
                    plaintextOfFamily(random, sa.isIpv4()) : plaintextOfFamily(random, sa.isIpv4());
                final EspHarness.Outcome esp = sender.protect(sa, inner);
                packet = kind < 5 ? esp.bytes() : mutate(esp.bytes(), random);
            }
            final int verdict;
            try
            {
                verdict = receiver.inbound(packet).verdict();
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("packet " + i + " threw: " + Hex.encode(packet), ex);
            }
            switch (verdict)
            {
                case EspVerdict.DELIVER: delivered++; break;
                case EspVerdict.PASS: passed++; break;
                case EspVerdict.DROP: dropped++; break;
                default: fail("verdict " + verdict);
            }
        }
        final long deliveredCounted = receiver.counters.get(XfrmCounter.Esp4jInDelivered) - before.get(XfrmCounter.Esp4jInDelivered);
        final long passedCounted = receiver.counters.get(XfrmCounter.Esp4jInBypass) - before.get(XfrmCounter.Esp4jInBypass);
        assertEquals(delivered, deliveredCounted, "delivered");
        assertEquals(passed, passedCounted, "passed");
        assertEquals(dropped, receiver.totalDelta(before) - deliveredCounted - passedCounted, "dropped");
        assertEquals(PACKETS, delivered + passed + dropped);
        assertEquals(true, delivered > 1000, "the mix delivers some: " + delivered);
        assertEquals(true, dropped > 1000, "and drops some: " + dropped);
    }

    private byte[] plaintextOfFamily(final Random random, final boolean v4)
    {
        while (true)
        {
            final byte[] packet = plaintext(random);
            if (((packet[0] >> 4) == 4) == v4)
            {
                return packet;
            }
        }
    }

    @Test
    void shouldNeverThrowAndCountEveryOutboundPacketOnce()
    {
        final Random random = new Random(0xF022_0002L);
        final Map<XfrmCounter, Long> before = sender.snapshot();
        long delivered = 0;
        long passed = 0;
        long dropped = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            final int kind = random.nextInt(10);
            final byte[] packet;
            if (kind == 0)
            {
                packet = new byte[random.nextInt(100)];
                random.nextBytes(packet);
            }
            else if (kind < 5)
            {
                packet = mutate(plaintext(random), random);
            }
            else
            {
                packet = plaintext(random);
            }
            final int verdict;
            try
            {
                verdict = kind == 9 ?
                    sender.protect(outboundSas.get(random.nextInt(outboundSas.size())), packet).verdict() :
                    sender.outbound(packet).verdict();
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("packet " + i + " threw: " + Hex.encode(packet), ex);
            }
            switch (verdict)
            {
                case EspVerdict.DELIVER: delivered++; break;
                case EspVerdict.PASS: passed++; break;
                case EspVerdict.DROP: dropped++; break;
                default: fail("verdict " + verdict);
            }
        }
        final long deliveredCounted = sender.counters.get(XfrmCounter.Esp4jOutProtected) - before.get(XfrmCounter.Esp4jOutProtected);
        final long passedCounted = sender.counters.get(XfrmCounter.Esp4jOutBypass) - before.get(XfrmCounter.Esp4jOutBypass);
        assertEquals(delivered, deliveredCounted, "protected");
        assertEquals(passed, passedCounted, "bypassed");
        assertEquals(dropped, sender.totalDelta(before) - deliveredCounted - passedCounted, "dropped");
        assertEquals(true, delivered > 1000, "the mix protects some: " + delivered);
    }

    @Test
    void shouldDropOversizedOutputInsteadOfThrowing()
    {
        final SecurityAssociation sa = outboundSas.get(1);
        for (int length = 65535 - 20 - 8 - 60; length <= 65535 - 20 - 8; length += 7)
        {
            final byte[] packet = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(1, 5060, payload(length, 1)));
            final Map<XfrmCounter, Long> before = sender.snapshot();
            final EspHarness.Outcome out = sender.protect(sa, packet);
            if (out.verdict() == EspVerdict.DELIVER)
            {
                assertEquals(true, out.bytes().length <= 65535, "length " + out.bytes().length);
                assertEquals(out.bytes().length, EspHarness.u16(out.bytes(), 2));
                sender.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutProtected);
            }
            else
            {
                sender.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutError);
            }
        }
    }
}
