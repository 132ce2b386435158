package org.esp4j.cli.demo;

import org.esp4j.core.ip.IpProtocol;
import org.esp4j.sip.sim.PcscfSimConfig;
import org.esp4j.sip.sim.UeSimConfig;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's wire check: every message of the ladder found in the capture in its direction -- the unprotected ones in
 * clear, the others as ESP with the SPI of their SA (with NULL encryption also the inner ports and SIP start line) --
 * nothing in clear on the SAs' port pairs (TS 33.203 §7.1), and no ESP with an SPI outside the four. Empty TCP
 * segments closing a connection after a de-registration removed the SAs are reported, not failed.
 *
 * @param failures       what did not hold.
 * @param found          ladder messages found.
 * @param expectedCount  ladder messages.
 * @param clearProtected clear packets on the protected port pairs.
 * @param esp            ESP packets.
 * @param teardown       empty TCP segments after the SAs went.
 * @param nullCipher     whether the SIP inside the ESP could be read.
 * @param where          where the capture was taken.
 */
record WireCheck(List<String> failures, int found, int expectedCount, int clearProtected, long esp, int teardown,
    boolean nullCipher, String where)
{
    /**
     * One message as the UE simulator saw it.
     *
     * @param sent    the UE sent it.
     * @param sport   source port.
     * @param dport   destination port.
     * @param summary method, or status and reason.
     * @param cseq    its CSeq.
     * @param spi     SPI of its SA, or -1 for unprotected.
     */
    record Expected(boolean sent, int sport, int dport, String summary, String cseq, long spi)
    {
    }

    private static final int[][] PROTECTED_FLOWS = {
        { UeSimConfig.SEED_PORT_C, PcscfSimConfig.SEED_PORT_S }, { PcscfSimConfig.SEED_PORT_S, UeSimConfig.SEED_PORT_C },
        { PcscfSimConfig.SEED_PORT_C, UeSimConfig.SEED_PORT_S }, { UeSimConfig.SEED_PORT_S, PcscfSimConfig.SEED_PORT_C } };
    private static final List<Long> FROM_UE = List.of(PcscfSimConfig.SEED_SPI_S, PcscfSimConfig.SEED_SPI_C);
    private static final List<Long> FROM_PCSCF = List.of(UeSimConfig.SEED_SPI_C, UeSimConfig.SEED_SPI_S);

    static WireCheck check(
        final List<WirePacket> packets, final List<Expected> ladder, final InetAddress ue, final boolean nullCipher,
        final boolean deregistered, final String where)
    {
        final List<String> failures = new ArrayList<>();
        final boolean[] used = new boolean[packets.size()];
        // The seed's SAs, and any set a re-challenged re-registration (TS 33.203 7.4) moved to, as the ladder names it
        final List<Long> fromUe = new ArrayList<>(FROM_UE);
        final List<Long> fromPcscf = new ArrayList<>(FROM_PCSCF);
        final List<int[]> protectedFlows = new ArrayList<>(List.of(PROTECTED_FLOWS));
        for (final Expected message : ladder)
        {
            if (message.spi() >= 0)
            {
                (message.sent() ? fromUe : fromPcscf).add(message.spi());
                protectedFlows.add(new int[]{ message.sport(), message.dport() });
                protectedFlows.add(new int[]{ message.dport(), message.sport() });
            }
        }
        int found = 0;
        for (final Expected message : ladder)
        {
            int match = -1;
            for (int i = 0; i < packets.size() && match < 0; i++)
            {
                final WirePacket packet = packets.get(i);
                if (used[i] || packet.source().equals(ue) != message.sent() || packet.spi() != message.spi())
                {
                    continue;
                }
                // encrypted: the SPI and direction are all the wire shows
                if (message.spi() >= 0 && !nullCipher || message.summary().equals(packet.summary()) &&
                    packet.sport() == message.sport() && packet.dport() == message.dport())
                {
                    match = i;
                }
            }
            if (match < 0)
            {
                failures.add("wire: " + message.summary() + " (" + message.cseq() + ") " + message.sport() + " -> " +
                    message.dport() + " not seen " + (message.spi() < 0 ? "in clear" : "as ESP spi " + message.spi()));
            }
            else
            {
                used[match] = true;
                found++;
            }
        }
        long lastEsp = 0;
        long esp = 0;
        for (final WirePacket packet : packets)
        {
            lastEsp = packet.spi() >= 0 ? packet.index() : lastEsp;
            esp += packet.spi() >= 0 ? 1 : 0;
        }
        int clearProtected = 0;
        int teardown = 0;
        for (final WirePacket packet : packets)
        {
            if (packet.spi() >= 0)
            {
                if (!(packet.source().equals(ue) ? fromUe : fromPcscf).contains(packet.spi()))
                {
                    failures.add("wire: ESP with unexpected SPI " + packet.spi() + " in frame " + packet.index());
                }
                continue;
            }
            for (final int[] flow : protectedFlows)
            {
                if (packet.sport() == flow[0] && packet.dport() == flow[1])
                {
                    // A de-registration removes the SAs and their policies with its 200 OK; the TCP connection's
                    // close that follows (no data) then crosses in clear, as with kernel IPsec.
                    final boolean closing = deregistered && packet.protocol() == IpProtocol.TCP &&
                        packet.dataBytes() == 0 && packet.index() > lastEsp;
                    teardown += closing ? 1 : 0;
                    clearProtected += closing ? 0 : 1;
                    break;
                }
            }
        }
        if (clearProtected > 0)
        {
            failures.add("wire: " + clearProtected + " clear packets on the protected ports");
        }
        if (ladder.size() < 8)
        {
            failures.add("the ladder has " + ladder.size() + " messages, the seed's exchange 8");
        }
        return new WireCheck(failures, found, ladder.size(), clearProtected, esp, teardown, nullCipher, where);
    }

    String summary(final Path pcap)
    {
        return String.format("wire check (%s): %d of %d messages found on the %s as the ladder says (%s), %d clear " +
            "packets on the protected ports, %d ESP packets%s", pcap.getFileName(), found, expectedCount, where,
            nullCipher ? "NULL encryption: SPI, ports and SIP start line each" : "encrypted: SPI and direction",
            clearProtected, esp,
            teardown == 0 ? "" : ", " + teardown + " empty TCP segments closing the connection after the SAs went");
    }
}
