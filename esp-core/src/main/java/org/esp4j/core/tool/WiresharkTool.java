package org.esp4j.core.tool;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.xfrm.SaFileReader;
import org.esp4j.core.xfrm.WiresharkEspSa;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code esp4j wireshark --sa FILE}: print the Wireshark {@code esp_sa} lines for the SAs in FILE, so a capture can be
 * opened with ESP decoding and ICV checking on. The output contains the keys: that is what the user asked for.
 */
public final class WiresharkTool
{
    private static final String USAGE = "usage: esp4j wireshark --sa FILE   (writes Wireshark esp_sa lines to stdout)";

    private WiresharkTool()
    {
    }

    /**
     * @param args arguments after {@code wireshark}.
     * @param out  standard output.
     * @param err  standard error.
     * @return exit status.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length != 2 || !"--sa".equals(args[0]))
        {
            err.println(USAGE);
            return PcapTool.EXIT_USAGE;
        }
        final Path file = Path.of(args[1]);
        try
        {
            final List<SaConfig> sas = SaFileReader.read(file);
            out.print(WiresharkEspSa.file(sas));
            return 0;
        }
        catch (final NoSuchFileException ex)
        {
            err.println("esp4j wireshark: " + file + ": no such file");
        }
        catch (final IOException ex)
        {
            err.println("esp4j wireshark: " + file + ": cannot read: " + ex.getMessage());
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("esp4j wireshark: " + ex.getMessage());
        }
        return PcapTool.EXIT_USAGE;
    }
}
