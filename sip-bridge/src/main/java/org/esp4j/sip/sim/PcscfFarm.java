package org.esp4j.sip.sim;

import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipParseException;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The simulated P-CSCF for a UE farm ({@code esp4j sim pcscf --ues N}): one {@link PcscfSim} per subscriber of a
 * {@link SubscriberSet}, all on the same ports of one address and one selector. A REGISTER is routed by its
 * Authorization username (the IMPI) to that subscriber's PcscfSim, created at its first REGISTER with spi-c and
 * spi-s of the template plus the subscriber's index (so the P-CSCF-role daemon holds distinct inbound SPIs); every
 * other message by the UE's address, which the REGISTER bound to it. An unknown IMPI gets a 403. Memory: at most one
 * PcscfSim per subscriber in the set. Re-challenges are not supported here (their SPIs + 2 would meet the next
 * subscriber's). A message that cannot be sent (a TCP connection to a UE that fails or times out) is a warning
 * against that UE, never the end of the farm: the UE's own timers fail it. One thread.
 */
public final class PcscfFarm implements SocketSimTransport.Handler
{
    private static final long WORK_MS = 20;
    private static final int MAX_NOTES = 20;

    private final PcscfSimConfig template;
    private final SubscriberSet subscribers;
    private final SimTransport transport;
    private final PrintStream out;
    private final Map<Integer, PcscfSim> sims = new HashMap<>();
    private final Map<InetAddress, PcscfSim> byAddress = new HashMap<>();
    private final Map<PcscfSim, InetAddress> addressOf = new HashMap<>();
    private final PcscfSim stranger;
    private final SimObserver quiet;
    private long lastWorkMs;
    private long badInput;
    private int notes;

    /**
     * @param template    every subscriber's P-CSCF but its subscriber and SPIs.
     * @param subscribers the subscribers served.
     * @param transport   the sockets.
     * @param out         the first few warnings (403, 494, timeouts), then only their count.
     */
    public PcscfFarm(final PcscfSimConfig template, final SubscriberSet subscribers, final SimTransport transport,
        final PrintStream out)
    {
        if (template.spiC() + subscribers.size() - 1 > 0xFFFF_FFFFL ||
            template.spiS() + subscribers.size() - 1 > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("--spi-c/--spi-s: the SPIs of " + subscribers.size() +
                " subscribers (+ 1 per subscriber) pass 2^32");
        }
        this.template = template;
        this.subscribers = subscribers;
        this.transport = transport;
        this.out = out;
        this.quiet = new SimObserver()
        {
            public void onMessage(final boolean sent, final SimFlow flow, final SipMessage message, final long spi,
                final long nowMs)
            {
            }

            public void onNote(final String text, final long nowMs)
            {
                if (text.startsWith("P-CSCF: 4") || text.contains("no answer"))
                {
                    warn(text);
                }
            }
        };
        final Subscriber nobody = new Subscriber("", "sip:unknown", template.subscriber().domain(),
            template.subscriber().k(), template.subscriber().opc(), 1, 0);
        this.stranger = new PcscfSim(template.withSubscriber(nobody, template.spiC(), template.spiS()), transport,
            quiet);
    }

    public void onMessage(final SimFlow flow, final SipMessage message) throws IOException
    {
        final InetAddress ue = flow.remote().getAddress();
        PcscfSim sim = byAddress.get(ue);
        if (message.isRequest() && "REGISTER".equalsIgnoreCase(message.method()))
        {
            final int index = subscribers.indexOf(impi(message));
            if (index >= 0)
            {
                sim = sims.computeIfAbsent(index, i -> new PcscfSim(template.withSubscriber(subscribers.get(i),
                    template.spiC() + i, template.spiS() + i), transport, quiet));
                final InetAddress before = addressOf.put(sim, ue);
                if (before != null && !before.equals(ue))
                {
                    byAddress.remove(before);
                }
                byAddress.put(ue, sim);
            }
            else
            {
                sim = stranger;
            }
        }
        try
        {
            (sim != null ? sim : stranger).onMessage(flow, message, nowMs());
        }
        catch (final IOException ex)
        {
            warn("cannot send: " + ex.getMessage());
        }
    }

    public void onBadInput(final SimFlow flow, final String reason)
    {
        badInput++;
    }

    public void onSendFailed(final SimFlow flow, final String reason)
    {
        warn("cannot send: " + reason);
    }

    private void warn(final String text)
    {
        if (++notes <= MAX_NOTES)
        {
            out.println("sim pcscf: " + text);
        }
    }

    /**
     * Retransmissions and timeouts of every subscriber's P-CSCF, at most every 20 ms.
     *
     * @param nowMs the clock.
     * @throws IOException not thrown: a retransmission that cannot be sent is a warning.
     */
    public void doWork(final long nowMs) throws IOException
    {
        if (nowMs - lastWorkMs < WORK_MS)
        {
            return;
        }
        lastWorkMs = nowMs;
        for (final PcscfSim sim : sims.values())
        {
            try
            {
                sim.doWork(nowMs);
            }
            catch (final IOException ex)
            {
                warn("cannot send: " + ex.getMessage());
            }
        }
    }

    /**
     * @return one line: registered now, registrations and de-registrations so far, warnings.
     */
    public String status()
    {
        int registered = 0;
        long registrations = 0;
        long deregistrations = 0;
        for (final PcscfSim sim : sims.values())
        {
            registered += sim.isRegistered() ? 1 : 0;
            registrations += sim.registrations();
            deregistrations += sim.deregistrations();
        }
        return registered + " registered, " + registrations + " registrations, " + deregistrations +
            " de-registrations, " + notes + " warnings, " + badInput + " unparsable";
    }

    private static String impi(final SipMessage register)
    {
        final String authorization = register.header("Authorization");
        if (authorization == null)
        {
            return null;
        }
        try
        {
            return DigestParams.parse("Authorization", authorization).get("username");
        }
        catch (final SipParseException | IllegalArgumentException ex)
        {
            return null;
        }
    }

    private static long nowMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }
}
