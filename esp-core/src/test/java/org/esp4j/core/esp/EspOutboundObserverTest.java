package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The outbound observer's two steps: the packet parsed once by the processor and shown before the SPD lookup, the
 * lookup's answer shown after it; a held packet is dropped and counted as a protect policy without state; an observer
 * that changed the SAD/SPD gets a new lookup.
 */
class EspOutboundObserverTest
{
    private static final long SPI = 0x7101L;

    private final EspHarness host = new EspHarness();
    private final List<String> calls = new ArrayList<>();

    /** Watches ports 5060 and 5061 and records what it was shown; afterLookup answers with {@code answer}. */
    private final class Recorder implements OutboundObserver
    {
        private final IntSupplier answer;

        Recorder(final IntSupplier answer)
        {
            this.answer = answer;
        }

        public boolean beforeLookup(final ParsedPacket packet)
        {
            calls.add("before " + packet.protocol() + " " + packet.sourcePort() + ">" + packet.destinationPort() +
                " len " + packet.length() + " dst " + (packet.destinationLow() & 0xFFFF_FFFFL) +
                " first " + (packet.buffer().getByte(packet.offset()) & 0xF0));
            return packet.destinationPort() == 5060 || packet.destinationPort() == 5061;
        }

        public int afterLookup(final int verdict, final ParsedPacket packet)
        {
            calls.add("after " + EspVerdict.name(verdict));
            return answer.getAsInt();
        }
    }

    private static byte[] to(final int port)
    {
        return ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(40000, port, payload(30, 1)));
    }

    private void protect5060()
    {
        host.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(17).destinationPort(5060).build(),
            PolicyDirection.OUT, PolicyAction.PROTECT, 100, 0,
            List.of(new TemplateConfig(null, null, SPI, 0, false))));
    }

    private void addSa()
    {
        host.sad.add(EspHarness.config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC)
            .build());
    }

    @Test
    void shouldShowTheParsedPacketBeforeTheLookupAndTheSpdAnswerAfterIt()
    {
        protect5060();
        addSa();
        host.processor.outboundObserver(new Recorder(() -> OutboundObserver.CONTINUE));

        assertEquals(EspVerdict.DELIVER, host.outbound(to(5060)).verdict());
        final long dst = IpAddressBits.ipv4Low(0xC0000202) & 0xFFFF_FFFFL;
        assertEquals(List.of("before 17 40000>5060 len 58 dst " + dst + " first 64", "after deliver"), calls);

        calls.clear();
        assertEquals(EspVerdict.PASS, host.outbound(to(5061)).verdict());
        assertEquals("after pass", calls.get(1), "no policy: leaves in clear");
    }

    @Test
    void shouldNotAskAfterTheLookupForAPacketNotWatched()
    {
        host.processor.outboundObserver(new Recorder(() -> OutboundObserver.HOLD));
        final Map<XfrmCounter, Long> before = host.snapshot();
        assertEquals(EspVerdict.PASS, host.outbound(to(53)).verdict());
        assertEquals(1, calls.size(), calls.toString());
        host.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutBypass);
    }

    @Test
    void shouldDropAHeldPacketAsNoStatesAndNeverPassIt()
    {
        host.processor.outboundObserver(new Recorder(() -> OutboundObserver.HOLD));
        final Map<XfrmCounter, Long> before = host.snapshot();
        assertEquals(EspVerdict.DROP, host.outbound(to(5060)).verdict());
        assertEquals(XfrmCounter.XfrmOutNoStates, host.processor.dropReason());
        host.assertOnlyMovedByOne(before, XfrmCounter.XfrmOutNoStates);
        assertEquals(List.of("after pass"), calls.subList(1, calls.size()), "the SPD would have passed it");
    }

    @Test
    void shouldLookUpAgainWhenTheObserverInstalledTheSas()
    {
        protect5060();
        final boolean[] installed = { false };
        host.processor.outboundObserver(new Recorder(() ->
        {
            if (installed[0])
            {
                return OutboundObserver.CONTINUE;
            }
            installed[0] = true;
            addSa(); // as the SIP bridge does when the message it was fed announces SAs
            return OutboundObserver.LOOK_UP_AGAIN;
        }));
        final Map<XfrmCounter, Long> before = host.snapshot();
        assertEquals(EspVerdict.DELIVER, host.outbound(to(5060)).verdict(), "protected with the new SA");
        assertEquals(List.of("after drop"), calls.subList(1, calls.size()), "asked once: the new answer stands");
        host.assertOnlyMovedByOne(before, XfrmCounter.Esp4jOutProtected);
    }
}
