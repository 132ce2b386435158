package org.esp4j.core.spd;

/** Direction of a security policy, as {@code ip xfrm policy ... dir}. */
public enum PolicyDirection
{
    /** Traffic arriving for this host. */
    IN("in"),
    /** Traffic this host sends. */
    OUT("out"),
    /** Traffic forwarded through this host (accepted for compatibility; transport mode does not forward). */
    FWD("fwd");

    private final String xfrmName;

    PolicyDirection(final String xfrmName)
    {
        this.xfrmName = xfrmName;
    }

    public String xfrmName()
    {
        return xfrmName;
    }

    /**
     * @param name {@code in}, {@code out} or {@code fwd}.
     * @return the direction or null.
     */
    public static PolicyDirection lookup(final String name)
    {
        for (final PolicyDirection direction : values())
        {
            if (direction.xfrmName.equalsIgnoreCase(name))
            {
                return direction;
            }
        }
        return null;
    }
}
