package org.esp4j.sip.util;

/**
 * Lower-case hexadecimal encoding and strict decoding of byte arrays.
 */
public final class Hex
{
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex()
    {
    }

    /**
     * Encode bytes as lower-case hex.
     *
     * @param bytes to encode.
     * @return the hex text, two characters per byte.
     */
    public static String encode(final byte[] bytes)
    {
        final char[] chars = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++)
        {
            chars[2 * i] = DIGITS[(bytes[i] >> 4) & 0xF];
            chars[2 * i + 1] = DIGITS[bytes[i] & 0xF];
        }
        return new String(chars);
    }

    /**
     * Decode hex text (an optional {@code 0x} prefix is accepted).
     *
     * @param what  name of the value, used in the error message.
     * @param text  hex digits.
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
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            final int hi = Character.digit(digits.charAt(2 * i), 16);
            final int lo = Character.digit(digits.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0)
            {
                throw new IllegalArgumentException(what + ": not a hex digit at position " + (hi < 0 ? 2 * i : 2 * i + 1));
            }
            bytes[i] = (byte)((hi << 4) | lo);
        }
        return bytes;
    }

    /**
     * Decode hex text that must have an exact length.
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
            throw new IllegalArgumentException(
                what + ": expected " + expectedBytes + " bytes (" + (2 * expectedBytes) + " hex digits), got " + bytes.length);
        }
        return bytes;
    }
}
