package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.util.InetAddressText;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The P-CSCF farm serving 10,000 UEs: an answer it cannot send (a TCP connection to one UE that timed out through
 * two busy daemons) is a warning against that UE, not the end of the process and of every other UE's registration.
 */
class PcscfFarmTest
{
    @Test
    void shouldWarnAndServeTheNextUeWhenAnAnswerCannotBeSent() throws Exception
    {
        final InetAddress pcscf = InetAddress.getByName("2001:db8:ff::2");
        final SubscriberSet subscribers = SubscriberSet.derived(Subscriber.testSet1(), 2);
        final boolean[] refuse = { true };
        final List<SipMessage> sent = new ArrayList<>();
        final SimTransport network = (flow, message) ->
        {
            if (refuse[0])
            {
                throw new IOException("cannot connect TCP " + flow + ": Connect timed out");
            }
            sent.add(SipMessageParser.parse(message, 0, message.length));
            return flow;
        };
        final ByteArrayOutputStream text = new ByteArrayOutputStream();
        final PcscfFarm farm = new PcscfFarm(PcscfSimConfig.seed(pcscf).withTransport(Transport.UDP), subscribers,
            network, new PrintStream(text, true, StandardCharsets.UTF_8));

        final SimFlow first = register(farm, 0, pcscf);
        assertDoesNotThrow(() -> farm.doWork(Long.MAX_VALUE / 2));
        refuse[0] = false;
        register(farm, 1, pcscf);

        final String out = text.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("sim pcscf: cannot send: cannot connect TCP ") && out.contains("Connect timed out") &&
            out.contains(InetAddressText.format(first.remote().getAddress())), out);
        assertEquals(1, sent.size(), "the second UE got its answer: " + out);
        assertEquals(401, sent.get(0).statusCode());
        assertTrue(farm.status().contains("warnings"), farm.status());
    }

    /** UE {@code index}'s first REGISTER, as its UeSim writes it, handed to the farm. */
    private static SimFlow register(final PcscfFarm farm, final int index, final InetAddress pcscf) throws Exception
    {
        final InetAddress ue = InetAddress.getByName("2001:db8:1::" + (index + 1));
        final List<byte[]> written = new ArrayList<>();
        final UeSimConfig config = UeSimConfig.seed(ue, pcscf).withTransport(Transport.UDP)
            .withSubscriber(SubscriberSet.derive(Subscriber.testSet1(), index), 1000 + 2L * index, 1001 + 2L * index);
        new UeSim(config, (flow, message) ->
        {
            written.add(message);
            return flow;
        }, new SimObserver()
        {
            public void onMessage(final boolean out, final SimFlow flow, final SipMessage message, final long spi,
                final long nowMs)
            {
            }

            public void onNote(final String note, final long nowMs)
            {
            }
        }).start(0);
        final SimFlow flow = new SimFlow(Transport.UDP, new InetSocketAddress(pcscf, 5060),
            new InetSocketAddress(ue, config.portC()));
        farm.onMessage(flow, SipMessageParser.parse(written.get(0), 0, written.get(0).length));
        return flow;
    }
}
