package org.esp4j.cli.demo;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.xfrm.WiresharkEspSa;
import org.esp4j.core.xfrm.XfrmFormatter;
import org.esp4j.cli.sip.SimCommand;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.sim.EmbeddedEspHost;
import org.esp4j.sip.sim.PcscfSim;
import org.esp4j.sip.sim.PcscfSimConfig;
import org.esp4j.sip.sim.SimLadder;
import org.esp4j.sip.sim.Subscriber;
import org.esp4j.sip.sim.UeSim;
import org.esp4j.sip.sim.UeSimConfig;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code esp4j demo} without root: the same registration in one process, with no TUN, daemon or kernel ESP. Each
 * simulator sits on an {@link EmbeddedEspHost} -- esp-core and the SIP bridge embedded, IP packets built in userspace,
 * ESP-in-UDP (RFC 3948) between the hosts over loopback sockets, one IP packet per datagram -- and SIP runs over UDP
 * (TCP would need a TCP stack). Prints the same ladder, both hosts' SAs with their counters and the Wireshark
 * {@code esp_sa} lines, checks the packets the hosts exchanged (written to a pcap, LINKTYPE_RAW, that Wireshark
 * decodes) as the root demo checks the veth, and exits 0 only when every step held.
 */
final class EmbeddedDemo
{
    private static final long TIMEOUT_MS = 60_000;

    private EmbeddedDemo()
    {
    }

    static int run(final DemoOptions options, final PrintStream out, final PrintStream err)
    {
        if (!options.carrier().equals("raw"))
        {
            out.println("esp4j demo: --carrier is the daemons' choice; the embedded hosts always use ESP-in-UDP");
        }
        out.println("esp4j demo: SIP over UDP in this mode (TCP would need a TCP stack in userspace)");
        final long start = System.nanoTime();
        final Path pcap = Path.of(System.getProperty("java.io.tmpdir"),
            "esp4j-demo-" + ProcessHandle.current().pid() + "-embedded.pcap");
        final List<String> failures = new ArrayList<>();
        try (OutputStream file = Files.newOutputStream(pcap);
            DataOutputStream capture = new DataOutputStream(new BufferedOutputStream(file)))
        {
            writePcapHeader(capture);
            final InetAddress ueAddress = InetAddress.getByName(options.ipv4() ? SimCommand.IPV4_UE : SimCommand.SEED_UE);
            final InetAddress pcscfAddress =
                InetAddress.getByName(options.ipv4() ? SimCommand.IPV4_PCSCF : SimCommand.SEED_PCSCF);
            final Subscriber subscriber = Subscriber.testSet1();
            final long t0 = System.nanoTime();
            try (EmbeddedEspHost ueHost = new EmbeddedEspHost("UE", ueAddress, Role.UE, subscriber.milenage(),
                    packet -> record(capture, packet));
                EmbeddedEspHost pcscfHost = new EmbeddedEspHost("P-CSCF", pcscfAddress, Role.PCSCF,
                    subscriber.milenage(), packet -> record(capture, packet));
                Selector selector = Selector.open())
            {
                ueHost.connect(pcscfHost.linkAddress());
                pcscfHost.connect(ueHost.linkAddress());
                ueHost.link().register(selector, SelectionKey.OP_READ);
                pcscfHost.link().register(selector, SelectionKey.OP_READ);
                final Path hold = Files.createTempFile("esp4j-demo-hold-", "");
                Files.delete(hold);
                UeSimConfig ueConfig = UeSimConfig.seed(ueAddress, pcscfAddress).withTransport(Transport.UDP)
                    .withProcedure(options.reregister(), options.deregister()).withHoldFile(hold);
                PcscfSimConfig pcscfConfig = PcscfSimConfig.seed(pcscfAddress).withTransport(Transport.UDP);
                if (options.alg() != null || options.ealg() != EncryptionAlgorithm.NULL)
                {
                    ueConfig = ueConfig.withAlgorithms(options.alg() != null ? List.of(options.alg()) :
                        ueConfig.algorithms(), options.ealg());
                    pcscfConfig = pcscfConfig.withAlgorithms(options.alg() != null ? List.of(options.alg()) :
                        pcscfConfig.algorithms(), List.of(options.ealg()));
                }
                out.println();
                out.println("ladder (as the UE saw it; SPI of the SA that carries each message):");
                final SimLadder ladder = new SimLadder("UE", indented(out));
                final PcscfSim pcscf = new PcscfSim(pcscfConfig, pcscfHost, new SimLadder("P-CSCF", null));
                final UeSim ue = new UeSim(ueConfig, ueHost, ladder);
                final long t1 = System.nanoTime();
                ue.start(nowMs());
                final List<String> espSaLines = new ArrayList<>();
                String ueTable = "";
                String pcscfTable = "";
                final long deadline = nowMs() + TIMEOUT_MS;
                while (!ue.isFinished() && nowMs() < deadline)
                {
                    selector.select(5);
                    selector.selectedKeys().clear();
                    pcscfHost.poll((flow, message) -> pcscf.onMessage(flow, message, nowMs()));
                    ueHost.poll((flow, message) -> ue.onMessage(flow, message, nowMs()));
                    ue.doWork(nowMs());
                    pcscf.doWork(nowMs());
                    if (ue.state() == UeSim.State.HOLDING && !Files.exists(hold))
                    {
                        // registered: the tables and drop counters now, then let the UE de-register
                        ueTable = table(ueHost, espSaLines);
                        pcscfTable = table(pcscfHost, null);
                        checkNoDrops(failures, "UE", ueHost);
                        checkNoDrops(failures, "P-CSCF", pcscfHost);
                        Files.createFile(hold);
                    }
                }
                Files.deleteIfExists(hold);
                if (!options.deregister())
                {
                    ueTable = table(ueHost, espSaLines);
                    pcscfTable = table(pcscfHost, null);
                    checkNoDrops(failures, "UE", ueHost);
                    checkNoDrops(failures, "P-CSCF", pcscfHost);
                }
                final long t2 = System.nanoTime();
                if (ue.state() != UeSim.State.DONE)
                {
                    failures.add("the UE did not complete: " + (ue.failure() != null ? ue.failure() : ue.state()));
                }
                out.println();
                out.println("UE host SAs (while registered):");
                out.print(ueTable.isEmpty() ? "  (none)\n" : ueTable);
                out.println("P-CSCF host SAs (while registered):");
                out.print(pcscfTable.isEmpty() ? "  (none)\n" : pcscfTable);
                capture.flush();
                final List<WireCheck.Expected> expected = new ArrayList<>();
                for (final SimLadder.Line line : ladder.lines())
                {
                    final int local = line.flow().local().getPort();
                    final int remote = line.flow().remote().getPort();
                    expected.add(new WireCheck.Expected(line.sent(), line.sent() ? local : remote,
                        line.sent() ? remote : local, line.summary(), line.cseq(), line.spi()));
                }
                final boolean nullCipher = options.ealg() == EncryptionAlgorithm.NULL;
                final WireCheck check = WireCheck.check(WirePacket.read(pcap, 12, nullCipher), expected, ueAddress,
                    nullCipher, options.deregister(), "loopback link");
                failures.addAll(check.failures());
                out.println();
                out.println(check.summary(pcap));
                out.println();
                out.println("capture: " + pcap + " (the IP packets the hosts exchanged: ESP-in-UDP on port 4500)");
                out.println("Wireshark esp_sa lines (Preferences > Protocols > ESP > ESP SAs):");
                for (final String line : espSaLines)
                {
                    out.println("  " + line);
                }
                final double registerTo200 = registerTo200(ladder.lines());
                out.printf("timing: hosts set up in %d ms, exchange %d ms, first REGISTER to 200 OK %.1f ms%n",
                    TimeUnit.NANOSECONDS.toMillis(t1 - t0), TimeUnit.NANOSECONDS.toMillis(t2 - t1), registerTo200);
            }
        }
        catch (final IOException | UncheckedIOException ex)
        {
            failures.add(ex.getMessage());
        }
        for (final String failure : failures)
        {
            out.println("FAILED: " + failure);
        }
        out.printf("esp4j demo: %s in %d ms (no root: one process)%n", failures.isEmpty() ? "every step held" : "FAILED",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return failures.isEmpty() ? 0 : 1;
    }

    private static String table(final EmbeddedEspHost host, final List<String> espSaLines)
    {
        final StringBuilder text = new StringBuilder();
        for (final SecurityAssociation sa : host.sad().list())
        {
            text.append(XfrmFormatter.formatState(sa.config(), false).replaceAll("(?m)^", "  "));
            text.append(String.format("  counters spi %s: %d packets, %d bytes, replay %d, integrity-failed %d%n",
                sa.config().spiHex(), sa.counters().packets(), sa.counters().bytes(), sa.counters().replayDrops(),
                sa.counters().integrityFailures()));
            if (espSaLines != null)
            {
                espSaLines.add(WiresharkEspSa.line(sa.config()));
            }
        }
        return text.toString();
    }

    private static void checkNoDrops(final List<String> failures, final String name, final EmbeddedEspHost host)
    {
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            final long value = host.counters().get(counter);
            if (value != 0 && !counter.isSuccess())
            {
                failures.add(name + " host counted " + counter.name() + " " + value + " (a drop)");
            }
        }
    }

    private static double registerTo200(final List<SimLadder.Line> lines)
    {
        long first = -1;
        for (final SimLadder.Line line : lines)
        {
            if (first < 0 && line.summary().equals("REGISTER"))
            {
                first = line.atMs();
            }
            else if (first >= 0 && line.summary().startsWith("200") && line.cseq().endsWith("REGISTER"))
            {
                return line.atMs() - first;
            }
        }
        return -1;
    }

    private static PrintStream indented(final PrintStream out)
    {
        return new PrintStream(new OutputStream()
        {
            private boolean lineStart = true;

            public void write(final int b)
            {
                if (lineStart)
                {
                    out.print("  ");
                }
                out.write(b);
                lineStart = b == '\n';
            }
        }, true);
    }

    /** Classic pcap (microsecond timestamps), LINKTYPE_RAW (101): each record one IPv4 or IPv6 packet. */
    private static void writePcapHeader(final DataOutputStream out) throws IOException
    {
        out.writeInt(0xa1b2c3d4);
        out.writeShort(2);
        out.writeShort(4);
        out.writeInt(0);
        out.writeInt(0);
        out.writeInt(65_535);
        out.writeInt(101);
    }

    private static void record(final DataOutputStream out, final byte[] packet)
    {
        final long nowUs = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
        try
        {
            out.writeInt((int)(nowUs / 1_000_000));
            out.writeInt((int)(nowUs % 1_000_000));
            out.writeInt(packet.length);
            out.writeInt(packet.length);
            out.write(packet);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("capture: " + ex.getMessage(), ex);
        }
    }

    private static long nowMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }
}
