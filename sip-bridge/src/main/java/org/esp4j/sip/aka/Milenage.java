package org.esp4j.sip.aka;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The MILENAGE algorithm set, 3GPP TS 35.206 §4, with AES-128 as the kernel function E_K and the default
 * constants c1..c5 and rotations r1..r5 of §4.1. Verified against the test sets of TS 35.208 §4.3.
 * <p>
 * One instance per subscriber key K. The AES cipher is one per thread, shared by every instance and keyed again when
 * another instance (another K) uses it: creating a {@code Cipher} costs ten times a whole f2345, and a P-CSCF with a
 * keyring makes one instance per challenge. Safe to use from several threads.
 */
public final class Milenage implements AkaAlgorithm
{
    private static final int R1 = 8;
    private static final int R2 = 0;
    private static final int R3 = 4;
    private static final int R4 = 8;
    private static final int R5 = 12;

    private static final ThreadLocal<KeyedAes> AES = ThreadLocal.withInitial(KeyedAes::new);

    private final SecretKeySpec key;
    private final byte[] opc;

    /** A thread's AES-128 ECB cipher and the key it holds. */
    private static final class KeyedAes
    {
        private final Cipher cipher;
        private SecretKeySpec key;

        KeyedAes()
        {
            try
            {
                cipher = Cipher.getInstance("AES/ECB/NoPadding");
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException("AES/ECB/NoPadding is not available", ex);
            }
        }
    }

    private Milenage(final byte[] k, final byte[] opc, final boolean opIsOpc)
    {
        requireLength("K", k, 16);
        requireLength(opIsOpc ? "OPc" : "OP", opc, 16);
        key = new SecretKeySpec(k, "AES");
        this.opc = opIsOpc ? opc.clone() : computeOpc(opc);
    }

    /**
     * @param k  subscriber key, 16 bytes.
     * @param op operator variant configuration field OP, 16 bytes.
     * @return the algorithm set, OPc derived as E_K(OP) xor OP.
     */
    public static Milenage withOp(final byte[] k, final byte[] op)
    {
        return new Milenage(k, op, false);
    }

    /**
     * @param k   subscriber key, 16 bytes.
     * @param opc OPc, 16 bytes.
     * @return the algorithm set.
     */
    public static Milenage withOpc(final byte[] k, final byte[] opc)
    {
        return new Milenage(k, opc, true);
    }

    /**
     * @return a copy of OPc.
     */
    public byte[] opc()
    {
        return opc.clone();
    }

    private byte[] computeOpc(final byte[] op)
    {
        final byte[] out = encrypt(op);
        xorInPlace(out, op);
        return out;
    }

    public byte[] f1(final byte[] rand, final byte[] sqn, final byte[] amf)
    {
        return Arrays.copyOfRange(out1(rand, sqn, amf), 0, 8);
    }

    public byte[] f1Star(final byte[] rand, final byte[] sqn, final byte[] amf)
    {
        return Arrays.copyOfRange(out1(rand, sqn, amf), 8, 16);
    }

    public AkaKeys f2345(final byte[] rand)
    {
        final byte[] temp = temp(rand);
        final byte[] out2 = outN(temp, R2, 1);
        final byte[] out3 = outN(temp, R3, 2);
        final byte[] out4 = outN(temp, R4, 4);
        return new AkaKeys(
            Arrays.copyOfRange(out2, 8, 16),
            out3,
            out4,
            Arrays.copyOfRange(out2, 0, 6));
    }

    public byte[] f5Star(final byte[] rand)
    {
        return Arrays.copyOfRange(outN(temp(rand), R5, 8), 0, 6);
    }

    /** TEMP = E_K(RAND xor OPc). */
    private byte[] temp(final byte[] rand)
    {
        requireLength("RAND", rand, 16);
        final byte[] in = rand.clone();
        xorInPlace(in, opc);
        return encrypt(in);
    }

    /** OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN || AMF || SQN || AMF, c1 = 0. */
    private byte[] out1(final byte[] rand, final byte[] sqn, final byte[] amf)
    {
        requireLength("SQN", sqn, 6);
        requireLength("AMF", amf, 2);
        final byte[] temp = temp(rand);
        final byte[] in1 = new byte[16];
        System.arraycopy(sqn, 0, in1, 0, 6);
        System.arraycopy(amf, 0, in1, 6, 2);
        System.arraycopy(sqn, 0, in1, 8, 6);
        System.arraycopy(amf, 0, in1, 14, 2);
        xorInPlace(in1, opc);
        final byte[] rotated = rotateLeftBytes(in1, R1);
        xorInPlace(rotated, temp);
        final byte[] out = encrypt(rotated);
        xorInPlace(out, opc);
        return out;
    }

    /** OUTn = E_K(rot(TEMP xor OPc, rn) xor cn) xor OPc, cn having only its last byte set. */
    private byte[] outN(final byte[] temp, final int rotateBytes, final int lastByteOfC)
    {
        final byte[] x = temp.clone();
        xorInPlace(x, opc);
        final byte[] rotated = rotateLeftBytes(x, rotateBytes);
        rotated[15] ^= (byte)lastByteOfC;
        final byte[] out = encrypt(rotated);
        xorInPlace(out, opc);
        return out;
    }

    private byte[] encrypt(final byte[] block)
    {
        final KeyedAes aes = AES.get();
        try
        {
            if (aes.key != key)
            {
                aes.key = null;
                aes.cipher.init(Cipher.ENCRYPT_MODE, key);
                aes.key = key;
            }
            return aes.cipher.doFinal(block);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES block encryption failed", ex);
        }
    }

    private static byte[] rotateLeftBytes(final byte[] in, final int bytes)
    {
        final byte[] out = new byte[16];
        for (int i = 0; i < 16; i++)
        {
            out[i] = in[(i + bytes) % 16];
        }
        return out;
    }

    static void xorInPlace(final byte[] target, final byte[] with)
    {
        for (int i = 0; i < target.length; i++)
        {
            target[i] ^= with[i];
        }
    }

    static void requireLength(final String what, final byte[] value, final int length)
    {
        if (value == null || value.length != length)
        {
            throw new IllegalArgumentException(
                what + ": expected " + length + " bytes, got " + (value == null ? "none" : value.length));
        }
    }
}
