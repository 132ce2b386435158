package org.esp4j.cli.pcap;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.xfrm.SaListingReader;
import org.esp4j.core.xfrm.WiresharkEspSa;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code esp4j wireshark --sa FILE}: print the Wireshark {@code esp_sa} lines for the SAs in FILE, so a capture can be
 * opened with ESP decoding and ICV checking on. FILE is an SA file, a preload file (its policy lines are skipped) or
 * the output of {@code esp4j xfrm state list --keys} ({@link SaListingReader}). The output contains the keys: that is
 * what the user asked for.
 * <p>
 * AES-GMAC (RFC 4543) SAs have no usable row: Wireshark 4.0 has no GMAC entry, and the nearest one, NULL encryption,
 * makes it read the 8-byte IV in front of the clear payload as the start of the payload (a UDP payload then shows
 * as a garbled inner header) and leaves the ICV unchecked. Their rows are written commented out, for reference, and a
 * warning per SA goes to standard error; Wireshark then shows their ESP header only.
 */
public final class WiresharkTool
{
    private static final String PREFIX = "esp4j wireshark: ";
    private static final String USAGE = "usage: esp4j wireshark --sa FILE   (writes Wireshark esp_sa lines to stdout;" +
        " FILE: SA file, preload file or 'esp4j xfrm state list --keys' output)";

    private WiresharkTool()
    {
    }

    /**
     * @param args arguments after {@code wireshark}.
     * @param out  standard output.
     * @param err  standard error.
     * @return exit status: 0, or {@link PcapTool#EXIT_USAGE} for bad usage or input.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 1 && ("-h".equals(args[0]) || "--help".equals(args[0])))
        {
            out.println(USAGE);
            return 0;
        }
        if (args.length != 2 || !"--sa".equals(args[0]))
        {
            err.println(PREFIX + (args.length == 0 ? "--sa FILE is required" :
                args.length == 1 && "--sa".equals(args[0]) ? "--sa needs a file" :
                !"--sa".equals(args[0]) ? "unknown argument '" + args[0] + "'" : "unexpected argument '" + args[2] + "'"));
            err.println(USAGE);
            return PcapTool.EXIT_USAGE;
        }
        final Path file = Path.of(args[1]);
        try
        {
            final List<SaConfig> sas = SaListingReader.read(file);
            final StringBuilder sb = new StringBuilder(WiresharkEspSa.FILE_HEADER).append('\n');
            for (final SaConfig sa : sas)
            {
                if (sa.encryptionAlgorithm() == EncryptionAlgorithm.AES_GMAC)
                {
                    err.println(PREFIX + "SPI " + sa.spiHex() + ": AES-GMAC (RFC 4543) has no Wireshark entry " +
                        "(4.0): with NULL encryption it would read the 8-byte IV as the start of the payload; row " +
                        "written commented out, Wireshark shows the ESP header only");
                    sb.append("# AES-GMAC, no Wireshark entry: ");
                }
                sb.append(WiresharkEspSa.line(sa)).append('\n');
            }
            if (sas.isEmpty())
            {
                err.println(PREFIX + file + ": no SAs in it");
            }
            out.print(sb);
            sas.forEach(SaConfig::zeroKeys);
            return 0;
        }
        catch (final NoSuchFileException ex)
        {
            err.println(PREFIX + file + ": no such file");
        }
        catch (final IOException ex)
        {
            err.println(PREFIX + file + ": cannot read: " + ex.getMessage());
        }
        catch (final IllegalArgumentException ex)
        {
            err.println(PREFIX + ex.getMessage());
        }
        return PcapTool.EXIT_USAGE;
    }
}
