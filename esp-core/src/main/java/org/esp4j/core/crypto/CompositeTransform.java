package org.esp4j.core.crypto;

/**
 * A separate cipher and HMAC (RFC 4303 §3.3.2 "separate confidentiality and integrity algorithms"): encrypt then
 * MAC on output, MAC check then decrypt on input. With ESN the high 32 bits of the sequence number are appended to
 * the MAC input but never sent (RFC 4303 §2.2.1).
 */
public final class CompositeTransform implements EspTransform
{
    private final CipherEngine cipher;
    private final HmacEngine hmac;
    private final int icvLength;
    private final byte[] mac;

    /**
     * @param cipher    encryption (or NULL).
     * @param hmac      integrity.
     * @param icvLength truncated ICV length in bytes.
     */
    public CompositeTransform(final CipherEngine cipher, final HmacEngine hmac, final int icvLength)
    {
        this.cipher = cipher;
        this.hmac = hmac;
        this.icvLength = icvLength;
        mac = new byte[hmac.macLength()];
    }

    public int ivLength()
    {
        return cipher.ivLength();
    }

    public int blockSize()
    {
        return cipher.blockSize();
    }

    public int icvLength()
    {
        return icvLength;
    }

    public void protect(
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        cipher.encrypt(array, payloadOffset - cipher.ivLength(), payloadOffset, payloadLength, sequence);
        final int icvOffset = payloadOffset + payloadLength;
        computeMac(array, espOffset, icvOffset, esn, sequence);
        System.arraycopy(mac, 0, array, icvOffset, icvLength);
    }

    public boolean verify(
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        final int icvOffset = payloadOffset + payloadLength;
        computeMac(array, espOffset, icvOffset, esn, sequence);
        // Constant time: always compare every byte (RFC 4303 §3.4.4.1 leaves timing to us; leaks help forgers).
        int difference = 0;
        for (int i = 0; i < icvLength; i++)
        {
            difference |= mac[i] ^ array[icvOffset + i];
        }
        return difference == 0;
    }

    public boolean protectDeferred(
        final IcvBatch batch,
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        if (!hmac.laneHashable() || !batch.hasRoom())
        {
            return false;
        }
        cipher.encrypt(array, payloadOffset - cipher.ivLength(), payloadOffset, payloadLength, sequence);
        final int icvOffset = payloadOffset + payloadLength;
        return batch.addProtect(
            hmac, array, espOffset, icvOffset - espOffset, esn, (int)(sequence >>> 32), icvOffset, icvLength);
    }

    public boolean prepareVerify(
        final IcvBatch batch, final byte[] array, final int espOffset, final int payloadOffset, final int payloadLength)
    {
        return batch.addVerify(hmac, array, espOffset, payloadOffset + payloadLength - espOffset, icvLength);
    }

    public boolean verify(
        final IcvBatch batch,
        final byte[] array,
        final int espOffset,
        final int payloadOffset,
        final int payloadLength,
        final boolean esn,
        final long sequence)
    {
        final int icvOffset = payloadOffset + payloadLength;
        final int index = esn ? -1 : batch.take(hmac, array, espOffset, icvOffset - espOffset);
        if (index < 0)
        {
            return verify(array, espOffset, payloadOffset, payloadLength, esn, sequence);
        }
        return batch.matches(index, array, icvOffset, icvLength);
    }

    public void decrypt(final byte[] array, final int espOffset, final int payloadOffset, final int payloadLength)
    {
        cipher.decrypt(array, payloadOffset - cipher.ivLength(), payloadOffset, payloadLength);
    }

    public void ivSource(final IvSource ivSource)
    {
        cipher.ivSource(ivSource);
    }

    public void destroy()
    {
        cipher.destroy();
        hmac.destroy();
        java.util.Arrays.fill(mac, (byte)0);
    }

    private void computeMac(final byte[] array, final int espOffset, final int icvOffset, final boolean esn, final long sequence)
    {
        hmac.mac(array, espOffset, icvOffset - espOffset, esn, (int)(sequence >>> 32), mac, 0);
    }
}
