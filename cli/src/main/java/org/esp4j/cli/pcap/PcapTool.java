package org.esp4j.cli.pcap;

import org.esp4j.core.xfrm.XfrmAddresses;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspPacketClassifier;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.esp4j.core.pcap.PcapWriter;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.SaListingReader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code esp4j pcap protect|unprotect --sa FILE [--verdicts] IN OUT}: apply ESP to, or check and strip ESP from,
 * every packet of a capture, offline.
 * <p>
 * SAs come from FILE, one per line in {@code ip xfrm state add} syntax, or a preload file, or the output of
 * {@code esp4j xfrm state list --keys} ({@link SaListingReader}). Encapsulation is part of an SA (RFC 3948):
 * SAs with {@code encap espinudp} handle UDP/4500 packets and the others raw ESP, each in its own SAD, so one file
 * may describe both kinds for the same SPI. Frames the tool does not transform are written as they are.
 */
public final class PcapTool
{
    /** Exit status for bad usage or input. */
    public static final int EXIT_USAGE = 2;

    private static final String USAGE =
        "usage: esp4j pcap protect|unprotect --sa FILE [--verdicts] IN.pcap OUT.pcap";

    private final PrintStream out;
    private final PrintStream err;
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final SystemNanoClock clock = SystemNanoClock.INSTANCE;
    private final SecurityAssociationDatabase rawSad = new SecurityAssociationDatabase(counters, clock, null);
    private final SecurityAssociationDatabase udpSad = new SecurityAssociationDatabase(counters, clock, null);
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final EspProcessor rawProcessor = new EspProcessor(rawSad, spd, counters, clock);
    private final EspProcessor udpProcessor = new EspProcessor(udpSad, spd, counters, clock);
    private final EspPacketClassifier classifier = new EspPacketClassifier();
    private final UnsafeBuffer buffer = new UnsafeBuffer(
        new byte[EspProcessor.MAX_HEADROOM + EspProcessor.MAX_PACKET_LENGTH + EspProcessor.MAX_TAILROOM]);
    private final List<SecurityAssociation> sas = new ArrayList<>();

    private PcapTool(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    /**
     * @param args command arguments after {@code pcap}.
     * @param out  standard output.
     * @param err  standard error.
     * @return exit status: 0, or {@link #EXIT_USAGE} for bad usage or input.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        String mode = null;
        String saFile = null;
        boolean verdicts = false;
        final List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            if ("--sa".equals(arg))
            {
                if (++i >= args.length)
                {
                    return usage(err, "--sa needs a file");
                }
                saFile = args[i];
            }
            else if ("--verdicts".equals(arg))
            {
                verdicts = true;
            }
            else if ("-h".equals(arg) || "--help".equals(arg))
            {
                out.println(USAGE);
                return 0;
            }
            else if (arg.startsWith("-"))
            {
                return usage(err, "unknown option '" + arg + "'");
            }
            else if (mode == null)
            {
                mode = arg;
            }
            else
            {
                files.add(arg);
            }
        }
        if (!"protect".equals(mode) && !"unprotect".equals(mode))
        {
            return usage(err, mode == null ? "protect or unprotect?" : "unknown mode '" + mode + "'");
        }
        if (saFile == null)
        {
            return usage(err, "--sa FILE is required");
        }
        if (files.size() != 2)
        {
            return usage(err, "need IN.pcap and OUT.pcap");
        }
        return new PcapTool(out, err).execute("protect".equals(mode), Path.of(saFile), Path.of(files.get(0)),
            Path.of(files.get(1)), verdicts);
    }

    private int execute(final boolean protect, final Path saFile, final Path in, final Path outFile, final boolean verdicts)
    {
        final List<SaConfig> configs;
        try
        {
            configs = SaListingReader.read(saFile);
        }
        catch (final NoSuchFileException ex)
        {
            return fail(saFile + ": no such file");
        }
        catch (final IOException ex)
        {
            return fail(saFile + ": cannot read: " + ex.getMessage());
        }
        catch (final IllegalArgumentException ex)
        {
            return fail(ex.getMessage());
        }
        for (final SaConfig config : configs)
        {
            try
            {
                final SecurityAssociationDatabase sad =
                    config.encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP ? udpSad : rawSad;
                sas.add(sad.add(config));
            }
            catch (final IllegalStateException ex)
            {
                return fail(saFile + ": " + ex.getMessage());
            }
        }

        try (PcapReader reader = new PcapReader(in);
            PcapWriter writer = PcapWriter.likeInput(reader, outFile))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                final String verdict = protect ? protectFrame(frame) : unprotectFrame(frame);
                if (verdicts)
                {
                    out.println(verdict);
                }
                writer.write(frame);
            }
            out.printf("%s: %d frames read, %d written to %s%n", in, reader.framesRead(), writer.framesWritten(), outFile);
        }
        catch (final FileSystemException ex)
        {
            return fail(describe(ex, in, outFile));
        }
        catch (final IOException ex)
        {
            return fail(ex.getMessage());
        }
        printSummary();
        return 0;
    }

    private String unprotectFrame(final PcapFrame frame)
    {
        final int networkOffset = frame.networkOffset();
        if (networkOffset < 0)
        {
            return frameLine(frame, "-", "-", "pass", "not IP");
        }
        final int length = frame.length() - networkOffset;
        final int offset = EspProcessor.MAX_HEADROOM;
        buffer.putBytes(offset, frame.data(), networkOffset, length);
        final int kind = classifier.classify(buffer, offset, length);
        if (kind != EspPacketClassifier.ESP && kind != EspPacketClassifier.ESP_IN_UDP)
        {
            return frameLine(frame, "-", "-", "pass", kind == EspPacketClassifier.NOT_IP ? "not IP" : "not ESP");
        }
        final EspProcessor processor = kind == EspPacketClassifier.ESP_IN_UDP ? udpProcessor : rawProcessor;
        final int verdict = processor.inbound(buffer, offset, length);
        final String spi = classifier.spi() < 0 ? "-" : String.format("0x%08x", classifier.spi());
        final String sequence = processor.lastSequence() >= 0 ? Long.toUnsignedString(processor.lastSequence()) :
            classifier.sequence() >= 0 ? Long.toString(classifier.sequence()) : "-";
        if (verdict == EspVerdict.DELIVER)
        {
            frame.replaceNetworkLayer(buffer.byteArray(), processor.resultOffset(), processor.resultLength());
            return frameLine(frame, spi, sequence, "accept", "-");
        }
        if (verdict == EspVerdict.PASS)
        {
            return frameLine(frame, spi, sequence, "pass", "IKE (non-ESP marker)");
        }
        return frameLine(frame, spi, sequence, "drop", String.valueOf(processor.dropReason()));
    }

    private String protectFrame(final PcapFrame frame)
    {
        final int networkOffset = frame.networkOffset();
        if (networkOffset < 0)
        {
            return frameLine(frame, "-", "-", "pass", "not IP");
        }
        final int length = frame.length() - networkOffset;
        final int offset = EspProcessor.MAX_HEADROOM;
        buffer.putBytes(offset, frame.data(), networkOffset, length);
        final int kind = classifier.classify(buffer, offset, length);
        if (kind != EspPacketClassifier.PLAIN)
        {
            return frameLine(frame, "-", "-", "pass", kind == EspPacketClassifier.NOT_IP ? "not IP" : "already ESP");
        }
        final SecurityAssociation sa = findOutboundSa();
        if (sa == null)
        {
            return frameLine(frame, "-", "-", "pass", "no SA for these addresses and ports");
        }
        final EspProcessor processor =
            sa.config().encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP ? udpProcessor : rawProcessor;
        final int verdict = processor.protect(sa, buffer, offset, length);
        final String spi = String.format("0x%08x", sa.spi());
        if (verdict == EspVerdict.DELIVER)
        {
            frame.replaceNetworkLayer(buffer.byteArray(), processor.resultOffset(), processor.resultLength());
            return frameLine(frame, spi, Long.toUnsignedString(processor.lastSequence()), "protect", "-");
        }
        return frameLine(frame, spi, "-", "drop", String.valueOf(processor.dropReason()));
    }

    private SecurityAssociation findOutboundSa()
    {
        for (final SecurityAssociation sa : sas)
        {
            if (sa.sourceHigh() == classifier.sourceHigh() && sa.sourceLow() == classifier.sourceLow() &&
                sa.destinationHigh() == classifier.destinationHigh() && sa.destinationLow() == classifier.destinationLow() &&
                sa.isUsable() && sa.config().selector().matches(classifier.sourceHigh(), classifier.sourceLow(),
                classifier.destinationHigh(), classifier.destinationLow(), classifier.protocol(),
                classifier.sourcePort(), classifier.destinationPort()))
            {
                return sa;
            }
        }
        return null;
    }

    private static String frameLine(
        final PcapFrame frame, final String spi, final String sequence, final String verdict, final String reason)
    {
        return String.format("frame %d spi %s seq %s %s %s", frame.frameNumber(), spi, sequence, verdict, reason);
    }

    private void printSummary()
    {
        out.println("per-SA:");
        for (final SecurityAssociation sa : sas)
        {
            final SaConfig config = sa.config();
            out.printf("  src %s dst %s spi %s (%s)%s %s%n", XfrmAddresses.toText(config.source()),
                XfrmAddresses.toText(config.destination()), config.spiHex(), Long.toString(config.spi()),
                config.encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP ? " espinudp" : "",
                config.isAead() ? "aead " + config.encryptionAlgorithm().xfrmName() + " " + config.icvLengthBits() :
                "auth " + config.integrityAlgorithm().xfrmName() + " enc " + config.encryptionAlgorithm().xfrmName());
            out.printf("    packets %d bytes %d replay %d integrity-failed %d%n", sa.counters().packets(),
                sa.counters().bytes(), sa.counters().replayDrops(), sa.counters().integrityFailures());
        }
        out.println("xfrm_stat (non-zero):");
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            final long value = counters.get(counter);
            if (value != 0)
            {
                out.printf("  %-24s %d%n", counter.name(), value);
            }
        }
    }

    /** @return the file at fault (the input or the output, as the exception says) and why, in one line. */
    static String describe(final FileSystemException ex, final Path in, final Path outFile)
    {
        final Path file = ex.getFile() == null ? in : Path.of(ex.getFile());
        final boolean output = file.equals(outFile);
        final Path parent = outFile.toAbsolutePath().getParent();
        if (ex instanceof NoSuchFileException)
        {
            return output ? outFile + ": cannot create: no such directory " + parent : file + ": no such file";
        }
        final String reason = ex instanceof AccessDeniedException ? "permission denied" :
            ex.getReason() != null ? ex.getReason() : ex.getClass().getSimpleName();
        return file + ": " + (output ? "cannot write: " : "cannot read: ") + reason;
    }

    private int fail(final String message)
    {
        err.println("esp4j pcap: " + message);
        return EXIT_USAGE;
    }

    private static int usage(final PrintStream err, final String problem)
    {
        err.println("esp4j pcap: " + problem);
        err.println(USAGE);
        return EXIT_USAGE;
    }
}
