package org.esp4j.core.esp;

/**
 * Outcome of {@link EspProcessor} on one packet. Plain {@code int}s so the packet path returns without objects.
 */
public final class EspVerdict
{
    /**
     * Transformed: on output the ESP packet, on input the verified plaintext, at
     * {@link EspProcessor#resultOffset()} / {@link EspProcessor#resultLength()}.
     */
    public static final int DELIVER = 0;

    /** Not transformed, to be passed on unchanged (bypass policy, no policy, or an IKE packet on port 4500). */
    public static final int PASS = 1;

    /** Dropped and counted; {@link EspProcessor#dropReason()} says which counter. */
    public static final int DROP = 2;

    private EspVerdict()
    {
    }

    /**
     * @param verdict a verdict.
     * @return its name.
     */
    public static String name(final int verdict)
    {
        switch (verdict)
        {
            case DELIVER: return "deliver";
            case PASS: return "pass";
            case DROP: return "drop";
            default: return "unknown(" + verdict + ")";
        }
    }
}
