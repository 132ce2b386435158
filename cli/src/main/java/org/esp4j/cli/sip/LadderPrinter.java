package org.esp4j.cli.sip;

import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.trace.TraceEntry;
import org.esp4j.sip.util.InetAddressText;

import java.net.InetAddress;
import java.util.List;

/**
 * Renders one ladder line per message: UE on the left, P-CSCF on the right (the UE is the sender of the first
 * REGISTER), the arrow labelled with the message, and the SA that protects it.
 */
final class LadderPrinter
{
    private static final int ARROW_WIDTH = 44;

    private final InetAddress ue;
    private final InetAddress pcscf;

    LadderPrinter(final List<TraceEntry> entries)
    {
        InetAddress ueAddress = null;
        InetAddress pcscfAddress = null;
        for (final TraceEntry entry : entries)
        {
            if (entry.message().isRequest() && "REGISTER".equalsIgnoreCase(entry.message().method()))
            {
                ueAddress = entry.src();
                pcscfAddress = entry.dst();
                break;
            }
        }
        if (ueAddress == null && !entries.isEmpty())
        {
            ueAddress = entries.get(0).src();
            pcscfAddress = entries.get(0).dst();
        }
        this.ue = ueAddress;
        this.pcscf = pcscfAddress;
    }

    String legend()
    {
        return ue == null ? "empty trace" :
            "UE " + InetAddressText.format(ue) + " on the left, P-CSCF " + InetAddressText.format(pcscf) + " on the right";
    }

    String line(final TraceEntry entry, final SaSpec protecting)
    {
        final String label = entry.message().isRequest() ?
            entry.message().method() + " (CSeq " + entry.message().cseqNumber() + ")" :
            entry.message().summary() + " (CSeq " + entry.message().header("CSeq") + ")";
        final String protection = protecting == null ? "unprotected" :
            protecting.label() + " (spi " + protecting.spi() + ")";
        final boolean fromUe = entry.src().equals(ue) && entry.dst().equals(pcscf);
        final boolean toUe = entry.src().equals(pcscf) && entry.dst().equals(ue);
        if (!fromUe && !toUe)
        {
            return String.format("%3d  %s  %s -> %s  %s  %s", entry.index(), entry.transport(),
                InetAddressText.format(entry.src(), entry.srcPort()), InetAddressText.format(entry.dst(), entry.dstPort()),
                label, protection);
        }
        final int uePort = fromUe ? entry.srcPort() : entry.dstPort();
        final int pcscfPort = fromUe ? entry.dstPort() : entry.srcPort();
        return String.format("%3d  %s  UE:%-5d %s P-CSCF:%-5d  %s", entry.index(), entry.transport(), uePort,
            arrow(label, fromUe), pcscfPort, protection);
    }

    private static String arrow(final String label, final boolean rightwards)
    {
        final StringBuilder sb = new StringBuilder(ARROW_WIDTH + 8);
        sb.append(rightwards ? "--" : "<-").append(' ').append(label).append(' ');
        while (sb.length() < ARROW_WIDTH - 1)
        {
            sb.append('-');
        }
        sb.append(rightwards ? ">" : "-");
        return sb.toString();
    }
}
