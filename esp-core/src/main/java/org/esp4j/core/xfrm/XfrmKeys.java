package org.esp4j.core.xfrm;

import org.esp4j.core.text.Hex;

import java.nio.charset.StandardCharsets;

/**
 * Key material as {@code ip xfrm} takes and prints it (ALGO-KEYMAT in ip-xfrm(8)).
 * <p>
 * iproute2 reads a word starting with {@code 0x} as hex and any other word as the key's own bytes; {@code ""} is
 * an empty key, for {@code cipher_null}. Two deliberate differences: an odd number of hex digits is refused (iproute2
 * quietly adds a leading zero, which turns a typo into a shifted key that still has the right length), and a bare
 * {@code 0x} is refused (iproute2 would take it as the two-byte text key "0x").
 */
final class XfrmKeys
{
    private XfrmKeys()
    {
    }

    /**
     * @param text the key word.
     * @return the key bytes.
     * @throws IllegalArgumentException with a reason that names no key bytes.
     */
    static byte[] parse(final String text)
    {
        if (text.length() >= 2 && text.charAt(0) == '0' && (text.charAt(1) == 'x' || text.charAt(1) == 'X'))
        {
            final int digits = text.length() - 2;
            if (digits == 0)
            {
                throw new IllegalArgumentException("empty hex key: write \"\" for no key");
            }
            if (digits % 2 != 0)
            {
                throw new IllegalArgumentException("hex key has an odd number of digits (" + digits + ")");
            }
            if (Hex.firstNonHexDigit(text, 2, text.length()) >= 0)
            {
                throw new IllegalArgumentException("hex key has a character that is not a hex digit");
            }
            return Hex.decodeDigits(text, 2, text.length());
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param key key bytes.
     * @return lower-case hex without prefix.
     */
    static String hex(final byte[] key)
    {
        return Hex.encode(key);
    }
}
