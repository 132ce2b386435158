package org.esp4j.sip.aka;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/**
 * The generic key derivation function of 3GPP TS 33.220 Annex B (clause B.2.0):
 * <pre>
 * S           = FC || P0 || L0 || P1 || L1 || ... || Pn || Ln
 * derived key = HMAC-SHA-256(Key, S)
 * </pre>
 * where FC is one octet that tells the uses apart, each Pi an octet string and Li its length in octets as a 16-bit
 * big-endian number (clause B.2.1.3). TS 33.203 Annex I uses it to derive the AES-GCM and AES-GMAC salts from
 * CK || IK ({@link EspKeys}).
 */
public final class GbaKdf
{
    /** Octets of the output, HMAC-SHA-256's. */
    public static final int OUTPUT_LENGTH = 32;

    private GbaKdf()
    {
    }

    /**
     * @param key        the KDF key.
     * @param fc         function code.
     * @param parameters P0 .. Pn, each at most 65535 octets.
     * @return the 32-octet derived key.
     */
    public static byte[] derive(final byte[] key, final int fc, final byte[]... parameters)
    {
        int length = 1;
        for (final byte[] parameter : parameters)
        {
            if (parameter.length > 0xFFFF)
            {
                throw new IllegalArgumentException("KDF parameter longer than 65535 octets");
            }
            length += parameter.length + 2;
        }
        final byte[] s = new byte[length];
        int offset = 0;
        s[offset++] = (byte)fc;
        for (final byte[] parameter : parameters)
        {
            System.arraycopy(parameter, 0, s, offset, parameter.length);
            offset += parameter.length;
            s[offset++] = (byte)(parameter.length >>> 8);
            s[offset++] = (byte)parameter.length;
        }
        try
        {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(s);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA-256 unavailable", ex);
        }
    }
}
