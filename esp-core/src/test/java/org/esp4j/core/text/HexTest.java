package org.esp4j.core.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Hex: the one codec, both input forms (grouped literals and user values with an optional 0x) and its errors.
 */
class HexTest
{
    @Test
    void shouldEncodeLowerCaseTwoDigitsPerByte()
    {
        assertEquals("00ff7f80", Hex.encode(new byte[]{ 0, (byte)0xFF, 0x7F, (byte)0x80 }));
        assertEquals("ff7f", Hex.encode(new byte[]{ 0, (byte)0xFF, 0x7F, (byte)0x80 }, 1, 2));
        assertEquals("", Hex.encode(new byte[0]));
    }

    @Test
    void shouldDecodeGroupedLiteralsInEitherCase()
    {
        assertArrayEquals(new byte[]{ (byte)0xAB, (byte)0xCD, 0x01 }, Hex.decode("ab CD\n01"));
        assertEquals("odd number of hex digits: 3", assertThrows(IllegalArgumentException.class,
            () -> Hex.decode("abc")).getMessage());
        assertEquals("not a hex digit at 1: 'g'", assertThrows(IllegalArgumentException.class,
            () -> Hex.decode("0g")).getMessage());
    }

    @Test
    void shouldDecodeUserValuesWithOptionalPrefixAndNameTheValueInErrors()
    {
        assertArrayEquals(new byte[]{ 0x46, 0x5b }, Hex.decode("k", " 0x465B "));
        assertArrayEquals(new byte[]{ 0x46, 0x5b }, Hex.decode("k", "465b", 2));
        assertEquals("k: odd number of hex digits (3)", assertThrows(IllegalArgumentException.class,
            () -> Hex.decode("k", "0x465")).getMessage());
        assertEquals("k: not a hex digit at position 2", assertThrows(IllegalArgumentException.class,
            () -> Hex.decode("k", "46z5")).getMessage());
        assertEquals("k: expected 16 bytes (32 hex digits), got 2", assertThrows(IllegalArgumentException.class,
            () -> Hex.decode("k", "465b", 16)).getMessage());
    }

    @Test
    void shouldFindTheFirstNonDigitInARange()
    {
        assertEquals(-1, Hex.firstNonHexDigit("0xab", 2, 4));
        assertEquals(1, Hex.firstNonHexDigit("0xab", 0, 4));
        assertArrayEquals(new byte[]{ (byte)0xAB }, Hex.decodeDigits("0xab", 2, 4));
    }
}
