package org.esp4j.sip.aka;

/**
 * Result of checking a challenge (RAND, AUTN) on the USIM side (TS 33.102 §6.3.3).
 */
public final class AkaOutcome
{
    /**
     * What the USIM concluded.
     */
    public enum Type
    {
        /** MAC, SQN and AMF acceptable: RES, CK, IK are available. */
        SUCCESS,
        /** MAC-A did not verify: the network is not authentic (RFC 3310 §3.4). */
        MAC_FAILURE,
        /** SQN out of range: AUTS is available for resynchronisation (RFC 3310 §3.3). */
        SYNC_FAILURE,
        /** The AMF is not acceptable to the USIM; handled like a MAC failure. */
        AMF_FAILURE
    }

    private final Type type;
    private final AkaKeys keys;
    private final byte[] auts;
    private final long sqn;

    private AkaOutcome(final Type type, final AkaKeys keys, final byte[] auts, final long sqn)
    {
        this.type = type;
        this.keys = keys;
        this.auts = auts;
        this.sqn = sqn;
    }

    static AkaOutcome success(final AkaKeys keys, final long sqn)
    {
        return new AkaOutcome(Type.SUCCESS, keys, null, sqn);
    }

    static AkaOutcome syncFailure(final byte[] auts, final long sqn)
    {
        return new AkaOutcome(Type.SYNC_FAILURE, null, auts, sqn);
    }

    static AkaOutcome failure(final Type type, final long sqn)
    {
        return new AkaOutcome(type, null, null, sqn);
    }

    /**
     * @return the outcome type.
     */
    public Type type()
    {
        return type;
    }

    /**
     * @return RES, CK, IK, AK on success, else null.
     */
    public AkaKeys keys()
    {
        return keys;
    }

    /**
     * @return a copy of AUTS (14 bytes) on a synchronisation failure, else null.
     */
    public byte[] auts()
    {
        return auts == null ? null : auts.clone();
    }

    /**
     * @return the SQN recovered from AUTN (meaningful unless {@link Type#MAC_FAILURE}).
     */
    public long sqn()
    {
        return sqn;
    }

    public String toString()
    {
        return "AkaOutcome{" + type + "}";
    }
}
