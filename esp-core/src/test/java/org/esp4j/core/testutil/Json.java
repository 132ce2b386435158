package org.esp4j.core.testutil;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal RFC 8259 JSON parser for test data: objects become {@link LinkedHashMap} (file order kept), arrays
 * {@link ArrayList}, strings {@link String}, integers {@link Long}, other numbers {@link Double}, plus
 * {@link Boolean} and {@code null}. Strict: trailing commas, comments, leading zeros, control characters in strings
 * and trailing garbage are errors reported with their character offset.
 */
public final class Json
{
    private final String text;
    private int position;

    private Json(final String text)
    {
        this.text = text;
    }

    /**
     * @param text one JSON value, optionally surrounded by whitespace.
     * @return the value as Map/List/String/Long/Double/Boolean/null.
     * @throws IllegalArgumentException if the text is not valid JSON.
     */
    public static Object parse(final String text)
    {
        final Json parser = new Json(text);
        final Object value = parser.value();
        parser.skipWhitespace();
        if (parser.position != text.length())
        {
            throw parser.error("trailing characters");
        }
        return value;
    }

    private Object value()
    {
        skipWhitespace();
        if (position >= text.length())
        {
            throw error("unexpected end of input");
        }

        final char c = text.charAt(position);
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return number();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object()
    {
        expect('{');
        final Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}')
        {
            position++;
            return map;
        }

        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
            {
                throw error("expected a string key");
            }
            final String key = string();
            skipWhitespace();
            expect(':');
            if (map.containsKey(key))
            {
                throw error("duplicate key \"" + key + "\"");
            }
            map.put(key, value());
            skipWhitespace();
            if (peek() == ',')
            {
                position++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array()
    {
        expect('[');
        final List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']')
        {
            position++;
            return list;
        }

        while (true)
        {
            list.add(value());
            skipWhitespace();
            if (peek() == ',')
            {
                position++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private String string()
    {
        expect('"');
        final StringBuilder builder = new StringBuilder();
        while (true)
        {
            if (position >= text.length())
            {
                throw error("unterminated string");
            }

            final char c = text.charAt(position++);
            if (c == '"')
            {
                return builder.toString();
            }
            if (c < 0x20)
            {
                throw error("control character in string");
            }
            if (c != '\\')
            {
                builder.append(c);
                continue;
            }

            if (position >= text.length())
            {
                throw error("unterminated escape");
            }
            final char escaped = text.charAt(position++);
            switch (escaped)
            {
                case '"': builder.append('"'); break;
                case '\\': builder.append('\\'); break;
                case '/': builder.append('/'); break;
                case 'b': builder.append('\b'); break;
                case 'f': builder.append('\f'); break;
                case 'n': builder.append('\n'); break;
                case 'r': builder.append('\r'); break;
                case 't': builder.append('\t'); break;
                case 'u':
                    if (position + 4 > text.length())
                    {
                        throw error("short \\u escape");
                    }
                    int codeUnit = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        final int digit = Character.digit(text.charAt(position++), 16);
                        if (digit < 0)
                        {
                            throw error("bad \\u escape");
                        }
                        codeUnit = (codeUnit << 4) | digit;
                    }
                    builder.append((char)codeUnit); // surrogate pairs arrive as two escapes and stay paired
                    break;
                default:
                    throw error("bad escape '\\" + escaped + "'");
            }
        }
    }

    private Object number()
    {
        final int start = position;
        if (peek() == '-')
        {
            position++;
        }
        if (peek() == '0')
        {
            position++;
        }
        else if (!digits())
        {
            throw error("expected digits");
        }

        boolean integral = true;
        if (peek() == '.')
        {
            integral = false;
            position++;
            if (!digits())
            {
                throw error("expected digits after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E')
        {
            integral = false;
            position++;
            if (peek() == '+' || peek() == '-')
            {
                position++;
            }
            if (!digits())
            {
                throw error("expected exponent digits");
            }
        }

        final String literal = text.substring(start, position);
        if (integral)
        {
            try
            {
                return Long.parseLong(literal);
            }
            catch (final NumberFormatException ex)
            {
                throw error("integer out of long range: " + literal);
            }
        }
        return Double.parseDouble(literal);
    }

    private boolean digits()
    {
        final int start = position;
        while (position < text.length() && text.charAt(position) >= '0' && text.charAt(position) <= '9')
        {
            position++;
        }
        return position > start;
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, position))
        {
            throw error("expected " + word);
        }
        position += word.length();
        return value;
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("expected '" + c + "'");
        }
        position++;
    }

    private char peek()
    {
        return position < text.length() ? text.charAt(position) : '\0';
    }

    private void skipWhitespace()
    {
        while (position < text.length())
        {
            final char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            {
                return;
            }
            position++;
        }
    }

    private IllegalArgumentException error(final String message)
    {
        return new IllegalArgumentException("JSON at offset " + position + ": " + message);
    }
}
