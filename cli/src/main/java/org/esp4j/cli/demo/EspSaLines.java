package org.esp4j.cli.demo;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.xfrm.SaFileReader;
import org.esp4j.core.xfrm.WiresharkEspSa;

import java.util.ArrayList;
import java.util.List;

/**
 * Wireshark {@code esp_sa} records of a daemon's SAs, from {@code xfrm state list --keys} (the {@code ip xfrm
 * state list} layout): each state is turned back into {@code state add} arguments, parsed by esp-core's SA file
 * reader and printed by {@link WiresharkEspSa}. The demo prints them so that its capture decodes with ICV checks on;
 * the keys are the demo's own test-set keys.
 */
final class EspSaLines
{
    private EspSaLines()
    {
    }

    /**
     * @param stateList the output of {@code xfrm state list --keys}.
     * @return one esp_sa record per SA; empty when the list cannot be read back.
     */
    static List<String> fromStateList(final String stateList)
    {
        final StringBuilder file = new StringBuilder();
        StringBuilder state = null;
        for (final String raw : stateList.split("\n"))
        {
            final String line = raw.trim();
            final String[] words = line.split("\\s+");
            if (line.startsWith("src "))
            {
                if (state != null)
                {
                    file.append(state).append(" mode transport\n");
                }
                state = new StringBuilder(line);
            }
            else if (state == null)
            {
                continue;
            }
            else if (line.startsWith("proto esp spi "))
            {
                state.append(" proto esp spi ").append(words[3].replaceAll("\\(.*", ""));
            }
            else if (line.startsWith("auth-trunc ") && words.length >= 4)
            {
                state.append(" auth-trunc '").append(words[1]).append("' ").append(words[2]).append(' ').append(words[3]);
            }
            else if (line.startsWith("enc ") || line.startsWith("aead "))
            {
                state.append(' ').append(words[0]).append(" '").append(words[1]).append("' ")
                    .append(words.length > 2 && words[2].startsWith("0x") ? words[2] : "\"\"");
                if (words[0].equals("aead") && words.length > 3)
                {
                    state.append(' ').append(words[3]);
                }
            }
            else if (line.startsWith("encap type espinudp") && words.length >= 7)
            {
                state.append(" encap espinudp ").append(words[4]).append(' ').append(words[6]).append(' ')
                    .append(words.length > 8 ? words[8] : "0.0.0.0");
            }
        }
        if (state != null)
        {
            file.append(state).append(" mode transport\n");
        }
        final List<String> lines = new ArrayList<>();
        try
        {
            for (final SaConfig sa : SaFileReader.parse(file.toString(), "xfrm state list"))
            {
                lines.add(WiresharkEspSa.line(sa));
            }
        }
        catch (final RuntimeException ex)
        {
            lines.add("(cannot read the SAs back: " + ex.getMessage() + ")");
        }
        return lines;
    }
}
