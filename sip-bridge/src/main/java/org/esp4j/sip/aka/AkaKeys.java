package org.esp4j.sip.aka;

/**
 * Outputs of f2 to f5 for one RAND. Key material: {@link #toString()} does not show it.
 */
public final class AkaKeys
{
    private final byte[] res;
    private final byte[] ck;
    private final byte[] ik;
    private final byte[] ak;

    /**
     * @param res RES (f2).
     * @param ck  CK (f3), 16 bytes.
     * @param ik  IK (f4), 16 bytes.
     * @param ak  AK (f5), 6 bytes.
     */
    public AkaKeys(final byte[] res, final byte[] ck, final byte[] ik, final byte[] ak)
    {
        this.res = res.clone();
        this.ck = ck.clone();
        this.ik = ik.clone();
        this.ak = ak.clone();
    }

    /**
     * @return a copy of RES.
     */
    public byte[] res()
    {
        return res.clone();
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

    /**
     * @return a copy of AK.
     */
    public byte[] ak()
    {
        return ak.clone();
    }

    public String toString()
    {
        return "AkaKeys{res=" + res.length + " bytes, ck, ik, ak: redacted}";
    }
}
