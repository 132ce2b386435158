package org.esp4j.core.crypto;

/**
 * The AES-GCM and AES-GMAC explicit IV: the packet's 64-bit sequence number XORed with a random 64-bit salt drawn
 * once per SA, as Linux's {@code seqiv} template does.
 * <p>
 * RFC 4106 §3.1 (and RFC 4543 §3 alike) require that an IV is never used twice with one key, and name a counter as the
 * usual way. A nonce repeated under GCM gives away the XOR of two plaintexts and, worse, the hash key {@code H},
 * with which anyone can forge packets.
 * <ul>
 *   <li><b>Within an SA</b> the IVs never repeat: the sequence number comes from the SA's one atomic counter shared by
 *       all threads and never wraps (RFC 4303 §3.3.3), and XOR with a constant is a bijection, so every per-thread
 *       transform derives distinct IVs without sharing any state. A random IV, like the {@link CounterIvSource} used
 *       for CBC, would not do: eight bytes drawn independently per thread collide after about 2^32 packets.</li>
 *   <li><b>Across SAs with one key</b>: sequence numbers start again at 1 whenever an SA is created, after
 *       {@code ip xfrm state del} + {@code add} with the same key, with a preloaded key after a restart, or for the
 *       SAs of one TS 33.203 set derived from one CK/IK. The salt, drawn from {@code SecureRandom} when the SA is
 *       created ({@code SecurityAssociation#ivSalt()}), keeps those IV sequences apart: two SAs of n and m packets
 *       (without ESN, below 2^32) can share an IV only if their salts agree in the high 32 bits and their low halves
 *       meet, a chance of about n*m/2^64.</li>
 * </ul>
 * The receiver reads the IV from the packet and needs neither the salt nor the rule.
 * <p>
 * Stateless, so it may be shared; allocates nothing.
 */
public final class SequenceIvSource implements IvSource
{
    private final long salt;

    /**
     * @param salt the SA's random 64-bit salt.
     */
    public SequenceIvSource(final long salt)
    {
        this.salt = salt;
    }

    public void nextIv(final long sequence, final byte[] array, final int offset, final int length)
    {
        final long iv = sequence ^ salt;
        for (int i = 0; i < length; i++)
        {
            final int shift = 8 * (length - 1 - i);
            array[offset + i] = shift < 64 ? (byte)(iv >>> shift) : 0;
        }
    }
}
