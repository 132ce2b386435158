package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.PolicyConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the daemon's preload file: {@code ip xfrm} commands, one per line, each {@code state add ...} or
 * {@code policy add ...} (optionally preceded by {@code ip xfrm} or {@code xfrm}), so a lab's existing shell script
 * of {@code ip xfrm} commands can be loaded as it is. Blank lines and {@code #} comments are skipped. Errors name the
 * file, line and word ({@code preload.conf:7: token 12 'tunnel': mode tunnel is not supported: transport only}); the
 * first error stops the read and zeroes the keys of the SAs read before it.
 */
public final class XfrmPreloadReader
{
    private XfrmPreloadReader()
    {
    }

    /**
     * @param file the file, named in errors as given.
     * @return its SAs and policies.
     * @throws IOException          if the file cannot be read.
     * @throws XfrmSyntaxException  for the first line that cannot be accepted.
     */
    public static XfrmPreload read(final Path file) throws IOException
    {
        return parse(XfrmTextFile.read(file), file.toString()); // names the line of a byte that is not UTF-8
    }

    /**
     * @param text     the file's content.
     * @param fileName the name to use in errors.
     * @return its SAs and policies.
     * @throws XfrmSyntaxException for the first line that cannot be accepted.
     */
    public static XfrmPreload parse(final String text, final String fileName)
    {
        return parse(text, fileName, true, null);
    }

    /**
     * @param reader   the content.
     * @param fileName the name to use in errors.
     * @return its SAs and policies.
     * @throws IOException          if reading fails.
     * @throws XfrmSyntaxException  for the first line that cannot be accepted.
     */
    public static XfrmPreload read(final Reader reader, final String fileName) throws IOException
    {
        return read(reader, fileName, true, null);
    }

    /** {@link #read(Reader, String, boolean, XfrmCommandPrefix.Kind)} of a string. */
    static XfrmPreload parse(
        final String text, final String fileName, final boolean commandRequired, final XfrmCommandPrefix.Kind only)
    {
        try
        {
            return read(new StringReader(text), fileName, commandRequired, only);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The one line loop of esp4j's {@code ip xfrm} files, the preload file and {@link SaFileReader}'s SA files: one
     * command a line, blank lines and {@code #} comments skipped, errors naming file, line and word.
     *
     * @param reader          the content.
     * @param fileName        the name to use in errors.
     * @param commandRequired true if each line must say {@code state add} or {@code policy add} (mixed files);
     *                        false lets a line be the arguments alone.
     * @param only            the one kind of command allowed, or null for both.
     * @return the SAs and policies in file order.
     * @throws IOException          if reading fails.
     * @throws XfrmSyntaxException  for the first line that cannot be accepted; the keys of the SAs read before it
     *                              are zeroed since they are not returned.
     */
    static XfrmPreload read(
        final Reader reader, final String fileName, final boolean commandRequired, final XfrmCommandPrefix.Kind only)
        throws IOException
    {
        final List<SaConfig> states = new ArrayList<>();
        final List<PolicyConfig> policies = new ArrayList<>();
        final BufferedReader lines = reader instanceof BufferedReader ? (BufferedReader)reader : new BufferedReader(reader);
        int lineNumber = 0;
        String line;
        try
        {
            while ((line = lines.readLine()) != null)
            {
                lineNumber++;
                final String location = fileName + ":" + lineNumber;
                final List<XfrmToken> tokens = XfrmTokenizer.tokenize(line, location);
                if (tokens.isEmpty())
                {
                    continue;
                }
                final XfrmCommandPrefix.Result prefix = XfrmCommandPrefix.skip(tokens, commandRequired, only, location);
                if (prefix.kind() == XfrmCommandPrefix.Kind.STATE)
                {
                    states.add(XfrmStateParser.parseAdd(tokens, prefix.from(), location));
                }
                else
                {
                    policies.add(XfrmPolicyParser.parseAdd(tokens, prefix.from(), location));
                }
            }
        }
        catch (final RuntimeException | IOException ex)
        {
            states.forEach(SaConfig::zeroKeys);
            throw ex;
        }
        return new XfrmPreload(states, policies);
    }
}
