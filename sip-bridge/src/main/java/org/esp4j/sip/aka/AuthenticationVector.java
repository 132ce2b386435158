package org.esp4j.sip.aka;

/**
 * An AKA authentication vector (TS 33.102 §6.3.2): RAND, AUTN, XRES, CK, IK. {@link #toString()} hides keys.
 */
public final class AuthenticationVector
{
    private final byte[] rand;
    private final byte[] autn;
    private final byte[] xres;
    private final byte[] ck;
    private final byte[] ik;

    /**
     * @param rand 16 bytes.
     * @param autn 16 bytes.
     * @param xres expected response.
     * @param ck   16 bytes.
     * @param ik   16 bytes.
     */
    public AuthenticationVector(final byte[] rand, final byte[] autn, final byte[] xres, final byte[] ck, final byte[] ik)
    {
        this.rand = rand.clone();
        this.autn = autn.clone();
        this.xres = xres.clone();
        this.ck = ck.clone();
        this.ik = ik.clone();
    }

    /**
     * @return a copy of RAND.
     */
    public byte[] rand()
    {
        return rand.clone();
    }

    /**
     * @return a copy of AUTN.
     */
    public byte[] autn()
    {
        return autn.clone();
    }

    /**
     * @return a copy of XRES.
     */
    public byte[] xres()
    {
        return xres.clone();
    }

    /**
     * @return a copy of CK.
     */
    public byte[] ck()
    {
        return ck.clone();
    }

    /**
     * @return a copy of IK.
     */
    public byte[] ik()
    {
        return ik.clone();
    }

    public String toString()
    {
        return "AuthenticationVector{xres, ck, ik: redacted}";
    }
}
