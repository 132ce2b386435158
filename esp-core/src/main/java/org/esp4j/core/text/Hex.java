package org.esp4j.core.text;

/**
 * Bytes as hexadecimal text and back: lower case out, either case in, no separators. The one hex codec of esp4j
 * (keys, SPIs in tools, test vectors). Error messages name the value and the position, never the digits (the text
 * may be a key).
 */
public final class Hex
{
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex()
    {
    }

    /**
     * @param bytes to encode.
     * @return lower-case hex, two characters per byte.
     */
    public static String encode(final byte[] bytes)
    {
        return encode(bytes, 0, bytes.length);
    }

    /**
     * @param bytes  source.
     * @param offset first byte.
     * @param length byte count.
     * @return lower-case hex, two characters per byte.
     */
    public static String encode(final byte[] bytes, final int offset, final int length)
    {
        final char[] chars = new char[2 * length];
        for (int i = 0; i < length; i++)
        {
            final int value = bytes[offset + i] & 0xFF;
            chars[2 * i] = DIGITS[value >>> 4];
            chars[2 * i + 1] = DIGITS[value & 0xF];
        }
        return new String(chars);
    }

    /**
     * Decode a literal written in code or a vector file: whitespace is ignored, so long values can be grouped.
     *
     * @param hex an even number of hex digits.
     * @return the bytes.
     * @throws IllegalArgumentException on an odd digit count or a character that is not a hex digit.
     */
    public static byte[] decode(final String hex)
    {
        final String digits = hex.replaceAll("\\s+", "");
        if ((digits.length() & 1) != 0)
        {
            throw new IllegalArgumentException("odd number of hex digits: " + digits.length());
        }
        final int bad = firstNonHexDigit(digits, 0, digits.length());
        if (bad >= 0)
        {
            throw new IllegalArgumentException("not a hex digit at " + bad + ": '" + digits.charAt(bad) + "'");
        }
        return decodeDigits(digits, 0, digits.length());
    }

    /**
     * Decode a value a user gave (surrounding blanks and an optional {@code 0x} prefix accepted).
     *
     * @param what name of the value, used in the error message.
     * @param text hex digits.
     * @return the bytes.
     * @throws IllegalArgumentException naming {@code what} when the text is not an even number of hex digits.
     */
    public static byte[] decode(final String what, final String text)
    {
        String digits = text.trim();
        if (digits.startsWith("0x") || digits.startsWith("0X"))
        {
            digits = digits.substring(2);
        }
        if ((digits.length() & 1) != 0)
        {
            throw new IllegalArgumentException(what + ": odd number of hex digits (" + digits.length() + ")");
        }
        final int bad = firstNonHexDigit(digits, 0, digits.length());
        if (bad >= 0)
        {
            throw new IllegalArgumentException(what + ": not a hex digit at position " + bad);
        }
        return decodeDigits(digits, 0, digits.length());
    }

    /**
     * Decode a value a user gave that must have an exact length.
     *
     * @param what          name of the value, used in the error message.
     * @param text          hex digits.
     * @param expectedBytes required length in bytes.
     * @return the bytes.
     */
    public static byte[] decode(final String what, final String text, final int expectedBytes)
    {
        final byte[] bytes = decode(what, text);
        if (bytes.length != expectedBytes)
        {
            throw new IllegalArgumentException(what + ": expected " + expectedBytes + " bytes (" + (2 * expectedBytes) +
                " hex digits), got " + bytes.length);
        }
        return bytes;
    }

    /**
     * @param text  characters.
     * @param start first index.
     * @param end   index after the last.
     * @return the index of the first character in the range that is not a hex digit, or -1.
     */
    public static int firstNonHexDigit(final CharSequence text, final int start, final int end)
    {
        for (int i = start; i < end; i++)
        {
            if (Character.digit(text.charAt(i), 16) < 0)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * @param text  an even number of hex digits between {@code start} and {@code end} (checked by the caller, for
     *              its own error message, with {@link #firstNonHexDigit}).
     * @param start first index.
     * @param end   index after the last.
     * @return the bytes.
     */
    public static byte[] decodeDigits(final CharSequence text, final int start, final int end)
    {
        final byte[] bytes = new byte[(end - start) / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            final int high = Character.digit(text.charAt(start + 2 * i), 16);
            final int low = Character.digit(text.charAt(start + 2 * i + 1), 16);
            bytes[i] = (byte)((high << 4) | low);
        }
        return bytes;
    }
}
