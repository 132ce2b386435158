package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the SAs of any file a user has at hand when building Wireshark rows or checking a capture:
 * <ul>
 *   <li>an SA file: one {@code ip xfrm state add} argument line per SA ({@link SaFileReader});</li>
 *   <li>a preload file: {@code state add ...} lines among {@code policy add ...} lines, which are skipped
 *   ({@link XfrmPreloadReader});</li>
 *   <li>a state listing: what {@code esp4j xfrm state list --keys} (or {@code ip xfrm state list}) prints, one record
 *   per SA, a {@code src A dst B} line followed by tab-indented lines; records of a policy listing (with a
 *   {@code dir} line) are skipped.</li>
 * </ul>
 * The forms may be mixed; blank lines and {@code #} comments are skipped. A listing record is read as the
 * {@code state add} arguments it stands for: its lines are joined, {@code encap type espinudp sport S dport D addr A}
 * becomes {@code encap espinudp S D A} and an {@code enc} line without a key (the null cipher) gets the empty key.
 * A listing with hidden keys (without {@code --keys}) or with counters ({@code -s}) is refused with the reason.
 * Errors name the file and line (for a listing record, its first line) and the word, never key bytes.
 */
public final class SaListingReader
{
    /** Words that start a line of a state record's body, as {@code xfrm_state_info_print} writes them. */
    private static final Set<String> STATE_LINES =
        Set.of("proto", "replay-window", "auth", "auth-trunc", "enc", "aead", "comp", "encap", "sel", "flag");

    private SaListingReader()
    {
    }

    /**
     * @param file the file, named in errors as given.
     * @return the SAs in file order (policies skipped).
     * @throws IOException         if the file cannot be read.
     * @throws XfrmSyntaxException for the first SA that cannot be read, or text that is not UTF-8.
     */
    public static List<SaConfig> read(final Path file) throws IOException
    {
        return parse(XfrmTextFile.read(file), file.toString());
    }

    /**
     * @param text     the content.
     * @param fileName the name to use in errors.
     * @return the SAs in order (policies skipped).
     * @throws XfrmSyntaxException for the first SA that cannot be read.
     */
    public static List<SaConfig> parse(final String text, final String fileName)
    {
        final List<SaConfig> sas = new ArrayList<>();
        final String[] lines = text.split("\n", -1);
        try
        {
            int i = 0;
            while (i < lines.length)
            {
                final int first = i;
                final String location = fileName + ":" + (first + 1);
                final List<XfrmToken> tokens = XfrmTokenizer.tokenize(lines[i++], location);
                if (tokens.isEmpty())
                {
                    continue;
                }
                final List<List<XfrmToken>> body = new ArrayList<>();
                while (i < lines.length && isIndented(lines[i]))
                {
                    final List<XfrmToken> more = XfrmTokenizer.tokenize(lines[i], fileName + ":" + (i + 1));
                    if (!more.isEmpty())
                    {
                        body.add(more);
                    }
                    i++;
                }
                if (body.isEmpty())
                {
                    final XfrmCommandPrefix.Result prefix = XfrmCommandPrefix.skip(tokens, false, null, location);
                    if (prefix.kind() == XfrmCommandPrefix.Kind.STATE)
                    {
                        sas.add(XfrmStateParser.parseAdd(tokens, prefix.from(), location));
                    }
                }
                else if (!isPolicyRecord(body))
                {
                    sas.add(XfrmStateParser.parseAdd(stateArguments(tokens, body, location), 0, location));
                }
            }
        }
        catch (final RuntimeException ex)
        {
            sas.forEach(SaConfig::zeroKeys);
            throw ex;
        }
        return sas;
    }

    private static boolean isIndented(final String line)
    {
        return !line.isEmpty() && (line.charAt(0) == '\t' || line.charAt(0) == ' ');
    }

    private static boolean isPolicyRecord(final List<List<XfrmToken>> body)
    {
        for (final List<XfrmToken> line : body)
        {
            if ("dir".equals(line.get(0).text()))
            {
                return true;
            }
        }
        return false;
    }

    /** The record as one {@code state add} argument list, words numbered anew from 1. */
    private static List<XfrmToken> stateArguments(
        final List<XfrmToken> head, final List<List<XfrmToken>> body, final String location)
    {
        final List<XfrmToken> words = new ArrayList<>(head);
        for (final List<XfrmToken> line : body)
        {
            final XfrmToken first = line.get(0);
            for (final XfrmToken word : line)
            {
                if (word.text().startsWith("<<Keys")) // XfrmFormatter.KEYS_HIDDEN, two words unquoted
                {
                    throw XfrmSyntaxException.at(word, false, location,
                        "keys hidden: list the SAs with their keys (esp4j xfrm state list --keys)");
                }
            }
            if (!STATE_LINES.contains(first.text()))
            {
                throw XfrmSyntaxException.at(first, false, location, "not a line of an 'xfrm state list' record" +
                    ("lifetime".equals(first.text()) || "stats:".equals(first.text()) ?
                    " (counters, -s: list without them)" : ""));
            }
            if ("encap".equals(first.text()) && line.size() == 9 && "type".equals(line.get(1).text()))
            {
                // encap type espinudp sport S dport D addr A
                words.addAll(List.of(first, line.get(2), line.get(4), line.get(6), line.get(8)));
            }
            else
            {
                words.addAll(line);
                if ("enc".equals(first.text()) && line.size() == 2)
                {
                    words.add(new XfrmToken("", 0, first.column(), true)); // the null cipher's empty key
                }
            }
        }
        final List<XfrmToken> numbered = new ArrayList<>(words.size());
        for (int i = 0; i < words.size(); i++)
        {
            final XfrmToken word = words.get(i);
            numbered.add(new XfrmToken(word.text(), i + 1, word.column(), word.quoted()));
        }
        return numbered;
    }
}
