package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads SAs from a text file, one per line in the argument syntax of {@code ip xfrm state add} (see
 * {@link XfrmStateParser}). Blank lines and {@code #} comments are skipped; a leading {@code ip xfrm state add} (or
 * {@code xfrm state add}, {@code state add}) is allowed, so a shell script of {@code ip xfrm} commands can be used
 * as it is.
 * <pre>
 * # UE -&gt; P-CSCF, protected client port to protected server port
 * src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2 proto esp spi 2821032177 mode transport \
 *     auth-trunc 'hmac(sha1)' 0xf769bcd751044604127672711c6d344100000000 96 enc 'ecb(cipher_null)' ""
 * </pre>
 * (one line in the file; there is no line continuation). Errors name the file, the line and the word:
 * {@code sa.conf:3: token 9 'hmac(sha2)': unknown auth algorithm}, never key bytes. The first error stops the read,
 * and the keys of the SAs read before it are zeroed since they are not returned.
 */
public final class SaFileReader
{
    private SaFileReader()
    {
    }

    /**
     * @param file the file, named in errors as given.
     * @return the SAs in file order.
     * @throws IOException          if the file cannot be read.
     * @throws XfrmSyntaxException  for the first line that is not a valid SA.
     */
    public static List<SaConfig> read(final Path file) throws IOException
    {
        return parse(XfrmTextFile.read(file), file.toString()); // names the line of a byte that is not UTF-8
    }

    /**
     * @param text     the file's content.
     * @param fileName the name to use in errors.
     * @return the SAs in order.
     * @throws XfrmSyntaxException for the first line that is not a valid SA.
     */
    public static List<SaConfig> parse(final String text, final String fileName)
    {
        return XfrmPreloadReader.parse(text, fileName, false, XfrmCommandPrefix.Kind.STATE).states();
    }

    /**
     * @param reader   the content.
     * @param fileName the name to use in errors.
     * @return the SAs in order.
     * @throws IOException          if reading fails.
     * @throws XfrmSyntaxException  for the first line that is not a valid SA.
     */
    public static List<SaConfig> read(final Reader reader, final String fileName) throws IOException
    {
        return XfrmPreloadReader.read(reader, fileName, false, XfrmCommandPrefix.Kind.STATE).states();
    }
}
