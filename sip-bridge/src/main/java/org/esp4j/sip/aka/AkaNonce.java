package org.esp4j.sip.aka;

import org.esp4j.sip.message.SipParseException;

import java.util.Arrays;
import java.util.Base64;

/**
 * The AKA digest nonce, RFC 3310 §3.1: base64(RAND || AUTN || server specific data), RAND and AUTN 16 bytes each.
 */
public final class AkaNonce
{
    private final byte[] rand;
    private final byte[] autn;
    private final byte[] serverData;

    private AkaNonce(final byte[] rand, final byte[] autn, final byte[] serverData)
    {
        this.rand = rand;
        this.autn = autn;
        this.serverData = serverData;
    }

    /**
     * @param nonce the nonce parameter value (unquoted).
     * @return RAND, AUTN and server data.
     * @throws SipParseException naming {@code nonce} when it is not base64 of at least 32 bytes.
     */
    public static AkaNonce decode(final String nonce)
    {
        final byte[] bytes;
        try
        {
            bytes = Base64.getDecoder().decode(nonce.trim());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new SipParseException("nonce: not base64: " + ex.getMessage());
        }
        if (bytes.length < 32)
        {
            throw new SipParseException("nonce: AKA nonce must hold RAND and AUTN (32 bytes), got " + bytes.length);
        }
        return new AkaNonce(
            Arrays.copyOfRange(bytes, 0, 16), Arrays.copyOfRange(bytes, 16, 32), Arrays.copyOfRange(bytes, 32, bytes.length));
    }

    /**
     * @param rand       16 bytes.
     * @param autn       16 bytes.
     * @param serverData optional, may be empty.
     * @return the base64 nonce.
     */
    public static String encode(final byte[] rand, final byte[] autn, final byte[] serverData)
    {
        Milenage.requireLength("RAND", rand, 16);
        Milenage.requireLength("AUTN", autn, 16);
        final byte[] bytes = new byte[32 + serverData.length];
        System.arraycopy(rand, 0, bytes, 0, 16);
        System.arraycopy(autn, 0, bytes, 16, 16);
        System.arraycopy(serverData, 0, bytes, 32, serverData.length);
        return Base64.getEncoder().encodeToString(bytes);
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
     * @return a copy of the server specific data (possibly empty).
     */
    public byte[] serverData()
    {
        return serverData.clone();
    }
}
