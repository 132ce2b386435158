package org.esp4j.core.xfrm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an {@code ip xfrm} text file (SA file, preload file) as UTF-8, so that a file in another encoding gets an
 * error naming the file, line and column ({@code sa.conf:3: column 17: not UTF-8 text (byte 0xe9)}) instead of the
 * JDK's bare {@code Input length = 1}.
 */
public final class XfrmTextFile
{
    private XfrmTextFile()
    {
    }

    /**
     * @param file the file, named in errors as given.
     * @return its text.
     * @throws IOException              if it cannot be read.
     * @throws IllegalArgumentException if it is not UTF-8.
     */
    public static String read(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final CharBuffer out = CharBuffer.allocate(bytes.length);
        if (decoder.decode(in, out, true).isError() || decoder.flush(out).isError())
        {
            throw notUtf8(file, bytes, in.position());
        }
        return out.flip().toString();
    }

    private static IllegalArgumentException notUtf8(final Path file, final byte[] bytes, final int at)
    {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++)
        {
            if (bytes[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new IllegalArgumentException(file + ":" + line + ": column " + (at - lineStart + 1) +
            ": not UTF-8 text" + (at < bytes.length ? String.format(" (byte 0x%02x)", bytes[at] & 0xFF) : " (cut short)") +
            "; save the file as UTF-8");
    }
}
