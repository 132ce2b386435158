package org.esp4j.sip.message;

import java.util.ArrayList;
import java.util.List;

/**
 * Helpers for the generic SIP header grammar (RFC 3261 §7.3, §25.1): comma-separated lists and
 * {@code ;name=value} parameters, respecting quoted strings and {@code <...>} URIs, in which commas and semicolons
 * are not separators.
 */
public final class HeaderValues
{
    private HeaderValues()
    {
    }

    /**
     * Split a header value on the commas that separate list elements.
     *
     * @param value the header value.
     * @return the trimmed, non-empty elements.
     */
    public static List<String> splitList(final String value)
    {
        return split(value, ',');
    }

    /**
     * Split on a separator character found outside quoted strings and angle brackets.
     *
     * @param value     text to split.
     * @param separator the separator.
     * @return the trimmed, non-empty parts.
     */
    public static List<String> split(final String value, final char separator)
    {
        final List<String> parts = new ArrayList<>(4);
        if (value.indexOf('"') < 0 && value.indexOf('<') < 0)
        {
            // nothing quoted, no URI in brackets (most values): every separator splits; indexOf is vectorised
            int start = 0;
            for (int i; (i = value.indexOf(separator, start)) >= 0; start = i + 1)
            {
                addTrimmed(parts, value, start, i);
            }
            addTrimmed(parts, value, start, value.length());
            return parts;
        }
        boolean quoted = false;
        int angle = 0;
        int start = 0;
        for (int i = 0, n = value.length(); i < n; i++)
        {
            final char c = value.charAt(i);
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == '<')
            {
                angle++;
            }
            else if (c == '>' && angle > 0)
            {
                angle--;
            }
            else if (c == separator && angle == 0)
            {
                addTrimmed(parts, value, start, i);
                start = i + 1;
            }
        }
        addTrimmed(parts, value, start, value.length());
        return parts;
    }

    private static void addTrimmed(final List<String> parts, final String value, final int start, final int end)
    {
        int first = start;
        int last = end;
        while (first < last && value.charAt(first) <= ' ')
        {
            first++;
        }
        while (last > first && value.charAt(last - 1) <= ' ')
        {
            last--;
        }
        if (first < last)
        {
            parts.add(value.substring(first, last));
        }
    }

    /**
     * Value of a header parameter ({@code ;name=value}) that follows the main part of an element such as a Contact,
     * To or Via, case-insensitive on the name. Parameters inside {@code <...>} belong to the URI and are not seen.
     *
     * @param element one list element.
     * @param name    the parameter name.
     * @return the value with quotes removed, {@code ""} for a flag parameter, or null when absent.
     */
    public static String parameter(final String element, final String name)
    {
        final List<String> parts = split(element, ';');
        for (int i = 1; i < parts.size(); i++)
        {
            final String part = parts.get(i);
            final int eq = part.indexOf('=');
            final String partName = (eq < 0 ? part : part.substring(0, eq)).trim();
            if (partName.equalsIgnoreCase(name))
            {
                return eq < 0 ? "" : unquote(part.substring(eq + 1).trim());
            }
        }
        return null;
    }

    /**
     * URI of a name-addr or addr-spec element: the text inside {@code <...>} when present, else the text before the
     * first {@code ;}.
     *
     * @param element one list element, e.g. {@code "Bob" <sip:bob@example.com>;tag=1}.
     * @return the URI.
     */
    public static String uri(final String element)
    {
        final int lt = element.indexOf('<');
        if (lt >= 0)
        {
            final int gt = element.indexOf('>', lt);
            return gt < 0 ? element.substring(lt + 1).trim() : element.substring(lt + 1, gt).trim();
        }
        final int semi = element.indexOf(';');
        return (semi < 0 ? element : element.substring(0, semi)).trim();
    }

    /**
     * Remove surrounding double quotes and backslash escapes.
     *
     * @param text possibly quoted text.
     * @return the unquoted text.
     */
    public static String unquote(final String text)
    {
        if (text.length() < 2 || text.charAt(0) != '"' || text.charAt(text.length() - 1) != '"')
        {
            return text;
        }
        if (text.indexOf('\\', 1) < 0)
        {
            return text.substring(1, text.length() - 1);
        }
        final StringBuilder sb = new StringBuilder(text.length());
        for (int i = 1; i < text.length() - 1; i++)
        {
            final char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() - 1)
            {
                sb.append(text.charAt(++i));
            }
            else
            {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
