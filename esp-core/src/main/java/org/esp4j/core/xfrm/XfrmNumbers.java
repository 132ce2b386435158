package org.esp4j.core.xfrm;

/**
 * Unsigned numbers as iproute2 reads them ({@code get_u32(..., 0)}, i.e. {@code strtoul} with base 0): decimal,
 * {@code 0x} hexadecimal, or octal with a leading {@code 0}. Signs and blanks are refused, where {@code strtoul}
 * would quietly accept {@code -1} as a huge value.
 */
final class XfrmNumbers
{
    /** Returned for text that is not a number in range. */
    static final long INVALID = -1;

    private XfrmNumbers()
    {
    }

    /**
     * @param text the token.
     * @param max  largest value accepted (at most {@link Long#MAX_VALUE}).
     * @return the value, or {@link #INVALID}.
     */
    static long parseUnsigned(final String text, final long max)
    {
        final int radix;
        final int start;
        if (text.length() > 2 && text.charAt(0) == '0' && (text.charAt(1) == 'x' || text.charAt(1) == 'X'))
        {
            radix = 16;
            start = 2;
        }
        else if (text.length() > 1 && text.charAt(0) == '0')
        {
            radix = 8;
            start = 1;
        }
        else
        {
            radix = 10;
            start = 0;
        }
        if (start >= text.length())
        {
            return INVALID;
        }

        long value = 0;
        for (int i = start; i < text.length(); i++)
        {
            final int digit = Character.digit(text.charAt(i), radix);
            if (digit < 0 || text.charAt(i) > 0x7f)
            {
                return INVALID;
            }
            if (value > (max - digit) / radix)
            {
                return INVALID;
            }
            value = value * radix + digit;
        }
        return value;
    }

    /**
     * @param text a token.
     * @return true if it is a number of iproute2's syntax with at most 64 bits of digits (16 hex, 20 decimal or 22
     * octal digits), whatever its value: such a token is a mistyped number, not key material.
     */
    static boolean isNumberOf64Bits(final String text)
    {
        return text.matches("0[xX][0-9a-fA-F]{1,16}|0[0-7]{1,22}|[1-9][0-9]{0,19}");
    }
}
