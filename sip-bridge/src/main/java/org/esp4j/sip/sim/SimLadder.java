package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.util.InetAddressText;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Prints a simulator's ladder, one line per message (time since the first, direction, transport, ports,
 * method or status, and the SA's SPI or {@code unprotected}), and its notes; keeps the lines for callers that check
 * them (the demo, tests). Never prints a key: messages are summarised, not dumped.
 */
public final class SimLadder implements SimObserver
{
    /** One message as seen by the simulator. */
    public record Line(long atMs, boolean sent, SimFlow flow, String summary, String cseq, int bytes, long spi)
    {
        /**
         * @return the ladder text of this line.
         */
        public String format(final String self, final long firstMs)
        {
            final String local = InetAddressText.format(flow.local().getAddress(), flow.local().getPort());
            final String remote = InetAddressText.format(flow.remote().getAddress(), flow.remote().getPort());
            return String.format("%8.1f ms  %s %-4s %s %s -> %s  %-28s %5d B  %s", (double)(atMs - firstMs), self,
                sent ? "sent" : "got", flow.transport(), sent ? local : remote, sent ? remote : local,
                summary + " (" + cseq + ")", bytes, spi == NegotiatedSas.UNPROTECTED ? "unprotected" :
                "SA spi " + spi + " (0x" + Long.toHexString(spi) + ")");
        }
    }

    private final String self;
    private final PrintStream out;
    private final List<Line> lines = Collections.synchronizedList(new ArrayList<>());
    private final List<String> notes = Collections.synchronizedList(new ArrayList<>());
    private long firstMs = Long.MIN_VALUE;

    /**
     * @param self name of the simulator in the ladder, e.g. {@code UE}.
     * @param out  where to print, or null to only keep the lines.
     */
    public SimLadder(final String self, final PrintStream out)
    {
        this.self = self;
        this.out = out;
    }

    public void onMessage(final boolean sent, final SimFlow flow, final SipMessage message, final long spi, final long nowMs)
    {
        if (firstMs == Long.MIN_VALUE)
        {
            firstMs = nowMs;
        }
        final String summary = message.isRequest() ? message.method() : message.statusCode() + " " + message.reasonPhrase();
        final Line line = new Line(nowMs, sent, flow, summary, message.header("CSeq"), message.toBytes().length, spi);
        lines.add(line);
        if (out != null)
        {
            out.println(line.format(self, firstMs));
        }
    }

    public void onNote(final String text, final long nowMs)
    {
        notes.add(text);
        if (out != null)
        {
            out.println("    " + text);
        }
    }

    /**
     * @return the lines so far.
     */
    public List<Line> lines()
    {
        return List.copyOf(lines);
    }

    /**
     * @return the notes so far.
     */
    public List<String> notes()
    {
        return List.copyOf(notes);
    }
}
