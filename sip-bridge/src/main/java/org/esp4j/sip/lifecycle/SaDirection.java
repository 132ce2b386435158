package org.esp4j.sip.lifecycle;

/**
 * Direction of an SA relative to the local role: {@link #OUT} protects what the local side sends.
 */
public enum SaDirection
{
    IN("in"),
    OUT("out");

    private final String xfrmName;

    SaDirection(final String xfrmName)
    {
        this.xfrmName = xfrmName;
    }

    /**
     * @return {@code in} or {@code out}, as {@code ip xfrm policy} spells it.
     */
    public String xfrmName()
    {
        return xfrmName;
    }
}
