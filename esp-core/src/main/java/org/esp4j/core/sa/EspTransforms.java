package org.esp4j.core.sa;

import org.esp4j.core.crypto.AesGcmTransform;
import org.esp4j.core.crypto.CbcCipherEngine;
import org.esp4j.core.crypto.CipherEngine;
import org.esp4j.core.crypto.CompositeTransform;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.EspTransform;
import org.esp4j.core.crypto.HmacEngine;
import org.esp4j.core.crypto.NullCipherEngine;
import org.esp4j.core.crypto.SequenceIvSource;

import java.security.SecureRandom;

/**
 * Builds the {@link EspTransform} for an SA's algorithms: a {@link CompositeTransform} (cipher + HMAC) or, for the
 * combined-mode algorithms, an {@link AesGcmTransform}. The packet code does not know which.
 */
public final class EspTransforms
{
    private static final SecureRandom SALTS = new SecureRandom();

    private EspTransforms()
    {
    }

    /**
     * @param config the SA.
     * @return a new transform holding the SA's keys, for one thread, with a fresh random IV salt (so two transforms
     * built by this method never share an AES-GCM/GMAC IV sequence; the transforms of one SA come from
     * {@link #newTransform(SaConfig, long)} with the SA's salt).
     */
    public static EspTransform newTransform(final SaConfig config)
    {
        return newTransform(config, SALTS.nextLong());
    }

    /**
     * @param config the SA.
     * @param ivSalt the SA's random salt for AES-GCM/GMAC IVs ({@link SequenceIvSource}); unused by other algorithms.
     * @return a new transform holding the SA's keys, for one thread.
     */
    public static EspTransform newTransform(final SaConfig config, final long ivSalt)
    {
        final byte[] integrityKey = config.integrityKey();
        final byte[] encryptionKey = config.encryptionKey();
        try
        {
            final EncryptionAlgorithm algorithm = config.encryptionAlgorithm();
            if (algorithm.combinedMode())
            {
                // IVs from the sequence number and the SA's salt: unique per SA across all its per-thread transforms,
                // and apart from those of earlier or later SAs with the same key.
                return new AesGcmTransform(encryptionKey, algorithm.icvLengthBytes(),
                    algorithm != EncryptionAlgorithm.AES_GMAC, new SequenceIvSource(ivSalt));
            }
            final CipherEngine cipher;
            switch (config.encryptionAlgorithm())
            {
                case NULL:
                    cipher = new NullCipherEngine();
                    break;
                case AES_CBC:
                    cipher = new CbcCipherEngine("AES/CBC/NoPadding", "AES", 16, encryptionKey);
                    break;
                case DES_EDE3_CBC:
                    cipher = new CbcCipherEngine("DESede/CBC/NoPadding", "DESede", 8, encryptionKey);
                    break;
                default:
                    throw new IllegalArgumentException("unsupported enc " + config.encryptionAlgorithm().xfrmName());
            }
            return new CompositeTransform(
                cipher, new HmacEngine(config.integrityAlgorithm(), integrityKey), config.icvLengthBits() / 8);
        }
        finally
        {
            java.util.Arrays.fill(integrityKey, (byte)0);
            java.util.Arrays.fill(encryptionKey, (byte)0);
        }
    }
}
