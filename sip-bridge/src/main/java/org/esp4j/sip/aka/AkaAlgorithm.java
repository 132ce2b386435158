package org.esp4j.sip.aka;

/**
 * The 3GPP authentication and key generation functions f1, f1*, f2, f3, f4, f5 and f5* (TS 33.102 §6.3, §6.3.3)
 * for one subscriber key. RAND is 16 bytes, SQN 6 bytes, AMF 2 bytes. Implementations may hold a cipher and are not
 * thread-safe.
 */
public interface AkaAlgorithm
{
    /**
     * f1: network authentication code MAC-A, 8 bytes.
     *
     * @param rand 16 bytes.
     * @param sqn  6 bytes.
     * @param amf  2 bytes.
     * @return MAC-A.
     */
    byte[] f1(byte[] rand, byte[] sqn, byte[] amf);

    /**
     * f1*: resynchronisation authentication code MAC-S, 8 bytes.
     *
     * @param rand 16 bytes.
     * @param sqn  6 bytes (SQN_MS).
     * @param amf  2 bytes (the dummy AMF* = 0x0000 for resynchronisation).
     * @return MAC-S.
     */
    byte[] f1Star(byte[] rand, byte[] sqn, byte[] amf);

    /**
     * f2 to f5 in one pass.
     *
     * @param rand 16 bytes.
     * @return RES, CK, IK, AK.
     */
    AkaKeys f2345(byte[] rand);

    /**
     * f5*: anonymity key for resynchronisation, 6 bytes.
     *
     * @param rand 16 bytes.
     * @return AK*.
     */
    byte[] f5Star(byte[] rand);

    /**
     * @param rand 16 bytes.
     * @return f2, the response RES.
     */
    default byte[] f2(final byte[] rand)
    {
        return f2345(rand).res();
    }

    /**
     * @param rand 16 bytes.
     * @return f3, the cipher key CK.
     */
    default byte[] f3(final byte[] rand)
    {
        return f2345(rand).ck();
    }

    /**
     * @param rand 16 bytes.
     * @return f4, the integrity key IK.
     */
    default byte[] f4(final byte[] rand)
    {
        return f2345(rand).ik();
    }

    /**
     * @param rand 16 bytes.
     * @return f5, the anonymity key AK.
     */
    default byte[] f5(final byte[] rand)
    {
        return f2345(rand).ak();
    }
}
