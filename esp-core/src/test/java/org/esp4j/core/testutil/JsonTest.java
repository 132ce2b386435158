package org.esp4j.core.testutil;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest
{
    @Test
    @SuppressWarnings("unchecked")
    void shouldParseNestedValuesIntoJavaTypes()
    {
        final Map<String, Object> root = (Map<String, Object>)Json.parse(
            " {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"b\": {\"c\": \"x\\\"y\\\\z\\n\\u00e9\\/\"}, \"d\": []} ");

        assertEquals(List.of("a", "b", "d"), List.copyOf(root.keySet()));
        assertEquals(Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null), root.get("a"));
        assertEquals("x\"y\\z\n\u00e9/", ((Map<String, Object>)root.get("b")).get("c"));
        assertEquals(List.of(), root.get("d"));
    }

    @Test
    void shouldParseScalarsAtTopLevel()
    {
        assertEquals(4294967295L, Json.parse("4294967295"));
        assertEquals("", Json.parse("\"\""));
        assertNull(Json.parse("null"));
        assertEquals(-0.25, Json.parse("-0.25"));
    }

    @Test
    void shouldRejectMalformedJsonWithOffset()
    {
        for (final String bad : List.of(
            "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "\"abc", "[1] x", "tru", "{\"a\" 1}", "{\"a\":1,\"a\":2}",
            "\"\\x\"", "\"a\u0001\"", "99999999999999999999"))
        {
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(ex.getMessage().startsWith("JSON at offset "), ex.getMessage());
        }
    }

    @Test
    void shouldRoundTripHex()
    {
        assertArrayEquals(new byte[]{0x00, 0x7f, (byte)0x80, (byte)0xff}, Hex.decode("007F80ff"));
        assertArrayEquals(new byte[]{(byte)0xa8, 0x25}, Hex.decode("a8 25"));
        assertEquals("007f80ff", Hex.encode(new byte[]{0x00, 0x7f, (byte)0x80, (byte)0xff}));
        assertEquals("7f80", Hex.encode(new byte[]{0x00, 0x7f, (byte)0x80, (byte)0xff}, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Hex.decode("abc"));
        assertThrows(IllegalArgumentException.class, () -> Hex.decode("zz"));
    }
}
