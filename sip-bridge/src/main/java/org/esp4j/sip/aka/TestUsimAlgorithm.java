package org.esp4j.sip.aka;

import java.util.Arrays;

/**
 * The test algorithm of 3GPP TS 34.108 §8.1.2, used by conformance test USIMs instead of MILENAGE: built from XOR
 * and rotations, no cryptographic strength. With XDOUT = K xor RAND: RES = XDOUT, CK = XDOUT rotated left 8 bits,
 * IK = XDOUT rotated left 16 bits, AK = XDOUT bits 24..71, MAC = XDOUT[0..63] xor (SQN || AMF). The same AK serves
 * for resynchronisation (f5* = f5) and MAC-S uses the dummy AMF 0x0000.
 */
public final class TestUsimAlgorithm implements AkaAlgorithm
{
    private final byte[] k;

    /**
     * @param k subscriber key, 16 bytes.
     */
    public TestUsimAlgorithm(final byte[] k)
    {
        Milenage.requireLength("K", k, 16);
        this.k = k.clone();
    }

    public byte[] f1(final byte[] rand, final byte[] sqn, final byte[] amf)
    {
        Milenage.requireLength("SQN", sqn, 6);
        Milenage.requireLength("AMF", amf, 2);
        final byte[] mac = Arrays.copyOf(xdout(rand), 8);
        for (int i = 0; i < 6; i++)
        {
            mac[i] ^= sqn[i];
        }
        mac[6] ^= amf[0];
        mac[7] ^= amf[1];
        return mac;
    }

    public byte[] f1Star(final byte[] rand, final byte[] sqn, final byte[] amf)
    {
        return f1(rand, sqn, amf);
    }

    public AkaKeys f2345(final byte[] rand)
    {
        final byte[] xdout = xdout(rand);
        return new AkaKeys(xdout, rotateLeftBytes(xdout, 1), rotateLeftBytes(xdout, 2), Arrays.copyOfRange(xdout, 3, 9));
    }

    public byte[] f5Star(final byte[] rand)
    {
        return Arrays.copyOfRange(xdout(rand), 3, 9);
    }

    private byte[] xdout(final byte[] rand)
    {
        Milenage.requireLength("RAND", rand, 16);
        final byte[] out = rand.clone();
        Milenage.xorInPlace(out, k);
        return out;
    }

    private static byte[] rotateLeftBytes(final byte[] in, final int bytes)
    {
        final byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++)
        {
            out[i] = in[(i + bytes) % in.length];
        }
        return out;
    }
}
