package org.esp4j.core.testutil;

/**
 * Hex strings to bytes and back, lower case, no separators.
 */
public final class Hex
{
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex()
    {
    }

    /**
     * @param hex even number of hex digits, either case; whitespace is ignored so test literals can be grouped.
     * @return the bytes.
     * @throws IllegalArgumentException on an odd digit count or a non-hex character.
     */
    public static byte[] decode(final String hex)
    {
        final String digits = hex.replaceAll("\\s+", "");
        if ((digits.length() & 1) != 0)
        {
            throw new IllegalArgumentException("odd number of hex digits: " + digits.length());
        }

        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)((digit(digits, 2 * i) << 4) | digit(digits, 2 * i + 1));
        }
        return bytes;
    }

    public static String encode(final byte[] bytes)
    {
        return encode(bytes, 0, bytes.length);
    }

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

    private static int digit(final String digits, final int index)
    {
        final int value = Character.digit(digits.charAt(index), 16);
        if (value < 0)
        {
            throw new IllegalArgumentException("not a hex digit at " + index + ": '" + digits.charAt(index) + "'");
        }
        return value;
    }
}
