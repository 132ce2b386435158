package org.esp4j.sip.lifecycle;

/**
 * Which end of the sec-agree the bridge plays (TS 24.229 §5.1.1 for the UE, §5.2.2 for the P-CSCF).
 */
public enum Role
{
    UE("ue"),
    PCSCF("pcscf");

    private final String cliName;

    Role(final String cliName)
    {
        this.cliName = cliName;
    }

    /**
     * @return {@code ue} or {@code pcscf}.
     */
    public String cliName()
    {
        return cliName;
    }

    /**
     * @param text {@code ue}, {@code pcscf} or {@code p-cscf}, any case.
     * @return the role.
     * @throws IllegalArgumentException naming the role for another value.
     */
    public static Role parse(final String text)
    {
        final String lower = text.toLowerCase(java.util.Locale.ROOT);
        if (lower.equals("ue"))
        {
            return UE;
        }
        if (lower.equals("pcscf") || lower.equals("p-cscf"))
        {
            return PCSCF;
        }
        throw new IllegalArgumentException("role: expected ue or pcscf, got '" + text + "'");
    }
}
