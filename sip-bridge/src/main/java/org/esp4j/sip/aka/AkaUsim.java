package org.esp4j.sip.aka;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The USIM side of AKA (TS 33.102 §6.3.3): checks AUTN = (SQN xor AK) || AMF || MAC-A, the freshness of SQN, and
 * the AMF, and yields RES/CK/IK, or AUTS = (SQN_MS xor AK*) || MAC-S for resynchronisation (§6.3.5). Not
 * thread-safe: one instance per simulated subscriber.
 */
public final class AkaUsim
{
    /** The dummy AMF used in MAC-S (TS 33.102 §6.3.3). */
    private static final byte[] RESYNC_AMF = new byte[2];

    private final AkaAlgorithm algorithm;
    private final SqnWindow sqnWindow;
    private final IntPredicate amfAcceptable;

    /**
     * @param algorithm     Milenage or the test algorithm, keyed for this subscriber.
     * @param sqnWindow     SQN state of the USIM.
     * @param amfAcceptable check on the 16-bit AMF; {@code amf -> true} accepts all.
     */
    public AkaUsim(final AkaAlgorithm algorithm, final SqnWindow sqnWindow, final IntPredicate amfAcceptable)
    {
        this.algorithm = algorithm;
        this.sqnWindow = sqnWindow;
        this.amfAcceptable = amfAcceptable;
    }

    /**
     * @param algorithm Milenage or the test algorithm, keyed for this subscriber.
     * @return a USIM with a fresh SQN state, a window of 32 and every AMF accepted.
     */
    public static AkaUsim of(final AkaAlgorithm algorithm)
    {
        return new AkaUsim(algorithm, new SqnWindow(0, 32), amf -> true);
    }

    /**
     * Run the authentication: verify AUTN and derive the keys.
     *
     * @param rand 16 bytes.
     * @param autn 16 bytes.
     * @return the outcome.
     */
    public AkaOutcome authenticate(final byte[] rand, final byte[] autn)
    {
        Milenage.requireLength("AUTN", autn, 16);
        final AkaKeys keys = algorithm.f2345(rand);
        final byte[] ak = keys.ak();
        final byte[] sqnBytes = Arrays.copyOf(autn, 6);
        Milenage.xorInPlace(sqnBytes, ak);
        final byte[] amf = Arrays.copyOfRange(autn, 6, 8);
        final byte[] mac = Arrays.copyOfRange(autn, 8, 16);
        final long sqn = toLong(sqnBytes);

        if (!java.security.MessageDigest.isEqual(mac, algorithm.f1(rand, sqnBytes, amf)))
        {
            return AkaOutcome.failure(AkaOutcome.Type.MAC_FAILURE, sqn);
        }
        if (!amfAcceptable.test(((amf[0] & 0xFF) << 8) | (amf[1] & 0xFF)))
        {
            return AkaOutcome.failure(AkaOutcome.Type.AMF_FAILURE, sqn);
        }
        if (!sqnWindow.acceptIfFresh(sqn))
        {
            return AkaOutcome.syncFailure(auts(rand), sqn);
        }
        return AkaOutcome.success(keys, sqn);
    }

    /** AUTS = (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF* = 0). */
    private byte[] auts(final byte[] rand)
    {
        final byte[] sqnMs = toBytes6(sqnWindow.highestAccepted());
        final byte[] macS = algorithm.f1Star(rand, sqnMs, RESYNC_AMF);
        final byte[] concealed = sqnMs.clone();
        Milenage.xorInPlace(concealed, algorithm.f5Star(rand));
        final byte[] auts = Arrays.copyOf(concealed, 14);
        System.arraycopy(macS, 0, auts, 6, 8);
        return auts;
    }

    static long toLong(final byte[] six)
    {
        long value = 0;
        for (int i = 0; i < 6; i++)
        {
            value = (value << 8) | (six[i] & 0xFF);
        }
        return value;
    }

    static byte[] toBytes6(final long value)
    {
        final byte[] out = new byte[6];
        for (int i = 5, shift = 0; i >= 0; i--, shift += 8)
        {
            out[i] = (byte)(value >>> shift);
        }
        return out;
    }
}
