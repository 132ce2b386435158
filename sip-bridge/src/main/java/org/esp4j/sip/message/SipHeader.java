package org.esp4j.sip.message;

/**
 * One header field line (folded continuation lines already joined) as it appeared in a message.
 */
public final class SipHeader
{
    private final String name;
    private final String canonicalName;
    private final String value;

    /**
     * @param name  as written (kept for re-serialisation).
     * @param value the value, trimmed, continuation lines joined with a single space.
     */
    public SipHeader(final String name, final String value)
    {
        this.name = name;
        this.canonicalName = HeaderNames.canonical(name);
        this.value = value;
    }

    /**
     * @return the name as written.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return lower-case long-form name, see {@link HeaderNames#canonical(String)}.
     */
    public String canonicalName()
    {
        return canonicalName;
    }

    /**
     * @return the value.
     */
    public String value()
    {
        return value;
    }

    public String toString()
    {
        return name + ": " + value;
    }
}
