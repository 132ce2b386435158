package org.esp4j.sip.aka;

import java.util.Arrays;

/**
 * The network (HSS/AuC) side of AKA for one subscriber, enough for simulators and tests: makes authentication
 * vectors (TS 33.102 §6.3.2) with an increasing SQN and handles resynchronisation from AUTS (§6.3.5). Not
 * thread-safe.
 */
public final class AkaAuthenticationCentre
{
    private static final byte[] RESYNC_AMF = new byte[2];

    private final AkaAlgorithm algorithm;
    private final byte[] amf;
    private long sqn;

    /**
     * @param algorithm  keyed for the subscriber.
     * @param initialSqn SQN of the next vector.
     * @param amf        2-byte AMF to put in AUTN.
     */
    public AkaAuthenticationCentre(final AkaAlgorithm algorithm, final long initialSqn, final byte[] amf)
    {
        Milenage.requireLength("AMF", amf, 2);
        this.algorithm = algorithm;
        this.sqn = initialSqn & SqnWindow.SQN_MASK;
        this.amf = amf.clone();
    }

    /**
     * Make a vector with the next SQN.
     *
     * @param rand 16 random bytes.
     * @return the vector.
     */
    public AuthenticationVector nextVector(final byte[] rand)
    {
        final long vectorSqn = sqn;
        sqn = (sqn + 1) & SqnWindow.SQN_MASK;
        return vector(rand, vectorSqn);
    }

    /**
     * Make a vector for a given SQN (for tests of stale or replayed challenges).
     *
     * @param rand      16 bytes.
     * @param vectorSqn 48-bit SQN.
     * @return the vector.
     */
    public AuthenticationVector vector(final byte[] rand, final long vectorSqn)
    {
        final AkaKeys keys = algorithm.f2345(rand);
        final byte[] sqnBytes = AkaUsim.toBytes6(vectorSqn);
        final byte[] autn = new byte[16];
        final byte[] concealed = sqnBytes.clone();
        Milenage.xorInPlace(concealed, keys.ak());
        System.arraycopy(concealed, 0, autn, 0, 6);
        System.arraycopy(amf, 0, autn, 6, 2);
        System.arraycopy(algorithm.f1(rand, sqnBytes, amf), 0, autn, 8, 8);
        return new AuthenticationVector(rand, autn, keys.res(), keys.ck(), keys.ik());
    }

    /**
     * Resynchronise from an AUTS: recover SQN_MS, verify MAC-S and continue from SQN_MS + 1.
     *
     * @param rand the RAND of the challenge that failed.
     * @param auts 14 bytes.
     * @return true when MAC-S verified and the SQN was reset.
     */
    public boolean resynchronise(final byte[] rand, final byte[] auts)
    {
        Milenage.requireLength("AUTS", auts, 14);
        final byte[] sqnMs = Arrays.copyOf(auts, 6);
        Milenage.xorInPlace(sqnMs, algorithm.f5Star(rand));
        final byte[] macS = Arrays.copyOfRange(auts, 6, 14);
        if (!java.security.MessageDigest.isEqual(macS, algorithm.f1Star(rand, sqnMs, RESYNC_AMF)))
        {
            return false;
        }
        sqn = (AkaUsim.toLong(sqnMs) + 1) & SqnWindow.SQN_MASK;
        return true;
    }

    /**
     * @return SQN of the next vector.
     */
    public long nextSqn()
    {
        return sqn;
    }
}
