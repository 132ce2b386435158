package org.esp4j.core.sa;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.ip.IpAddressText;
import org.esp4j.core.replay.ReplayWindow;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * Everything needed to create a transport-mode ESP security association: what {@code ip xfrm state add} takes.
 * <p>
 * A combined-mode (AEAD) SA, {@code aead 'rfc4106(gcm(aes))' KEY 128} in {@code ip xfrm} terms, is an
 * {@link EncryptionAlgorithm} whose {@link EncryptionAlgorithm#combinedMode()} is true, with its key and salt as the
 * encryption key; its integrity algorithm is {@link IntegrityAlgorithm#NONE} (the AEAD's tag is the ICV, RFC 4303
 * §3.2.3) and {@link #icvLengthBits()} is the algorithm's. Giving an HMAC as well is refused.
 * <p>
 * Immutable. Holds copies of the keys; {@link #toString()} never prints them (use {@link #describeKeys()} when the
 * user asks). The SPI is an unsigned 32-bit value held in a {@code long}.
 */
public final class SaConfig
{
    /** Encapsulation of the ESP packets. */
    public enum Encapsulation
    {
        /** ESP as IP protocol 50. */
        NONE,
        /** RFC 3948 UDP encapsulation ({@code encap espinudp SPORT DPORT 0.0.0.0}). */
        ESP_IN_UDP
    }

    /** The only mode supported. */
    public static final String MODE_TRANSPORT = "transport";

    private final InetAddress source;
    private final InetAddress destination;
    private final long spi;
    private final int reqid;
    private final int replayWindowSize;
    private final boolean esn;
    private final boolean icmp;
    private final IntegrityAlgorithm integrityAlgorithm;
    private final byte[] integrityKey;
    private final int icvLengthBits;
    private final EncryptionAlgorithm encryptionAlgorithm;
    private final byte[] encryptionKey;
    private final Encapsulation encapsulation;
    private final int encapsulationSourcePort;
    private final int encapsulationDestinationPort;
    private final TrafficSelector selector;
    private final SaLifetimeConfig lifetime;

    private SaConfig(final Builder b)
    {
        source = b.source;
        destination = b.destination;
        spi = b.spi;
        reqid = b.reqid;
        replayWindowSize = b.replayWindowSize;
        esn = b.esn;
        icmp = b.icmp;
        integrityAlgorithm = b.integrityAlgorithm;
        integrityKey = b.integrityKey.clone();
        icvLengthBits = b.icvLengthBits;
        encryptionAlgorithm = b.encryptionAlgorithm;
        encryptionKey = b.encryptionKey.clone();
        encapsulation = b.encapsulation;
        encapsulationSourcePort = b.encapsulationSourcePort;
        encapsulationDestinationPort = b.encapsulationDestinationPort;
        selector = b.selector;
        lifetime = b.lifetime;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** @return a builder holding this config's values (keys copied). */
    public Builder toBuilder()
    {
        return new Builder()
            .source(source).destination(destination).spi(spi).reqid(reqid)
            .replayWindowSize(replayWindowSize).esn(esn).icmp(icmp)
            .integrity(integrityAlgorithm, integrityKey, icvLengthBits)
            .encryption(encryptionAlgorithm, encryptionKey)
            .encapsulation(encapsulation, encapsulationSourcePort, encapsulationDestinationPort)
            .selector(selector).lifetime(lifetime);
    }

    public InetAddress source()
    {
        return source;
    }

    public InetAddress destination()
    {
        return destination;
    }

    /** @return the SPI, unsigned 32-bit. */
    public long spi()
    {
        return spi;
    }

    /** @return the SPI as {@code 0x%08x}. */
    public String spiHex()
    {
        return String.format("0x%08x", spi);
    }

    public int reqid()
    {
        return reqid;
    }

    public int replayWindowSize()
    {
        return replayWindowSize;
    }

    public boolean esn()
    {
        return esn;
    }

    /**
     * {@code flag icmp} (Linux {@code XFRM_STATE_ICMP}): the SA also carries ICMP errors about its flow, which its
     * selector alone would not match (see {@code EspProcessor}).
     *
     * @return true if set.
     */
    public boolean icmp()
    {
        return icmp;
    }

    public IntegrityAlgorithm integrityAlgorithm()
    {
        return integrityAlgorithm;
    }

    /** @return a copy of the integrity key. */
    public byte[] integrityKey()
    {
        return integrityKey.clone();
    }

    public int icvLengthBits()
    {
        return icvLengthBits;
    }

    public EncryptionAlgorithm encryptionAlgorithm()
    {
        return encryptionAlgorithm;
    }

    /** @return a copy of the encryption key. */
    public byte[] encryptionKey()
    {
        return encryptionKey.clone();
    }

    public Encapsulation encapsulation()
    {
        return encapsulation;
    }

    public int encapsulationSourcePort()
    {
        return encapsulationSourcePort;
    }

    public int encapsulationDestinationPort()
    {
        return encapsulationDestinationPort;
    }

    /** @return the SA's selector ({@code sel}), or {@link TrafficSelector#any()}. */
    public TrafficSelector selector()
    {
        return selector;
    }

    public SaLifetimeConfig lifetime()
    {
        return lifetime;
    }

    /** @return true for IPv4 SAs. */
    public boolean isIpv4()
    {
        return destination instanceof Inet4Address;
    }

    /** Overwrite the config's copies of the keys with zeros; the config must not be used afterwards. */
    public void zeroKeys()
    {
        Arrays.fill(integrityKey, (byte)0);
        Arrays.fill(encryptionKey, (byte)0);
    }

    /** @return true for a combined-mode (AEAD) SA: no separate integrity algorithm. */
    public boolean isAead()
    {
        return encryptionAlgorithm.combinedMode();
    }

    /** @return the keys in {@code ip xfrm} form, for users who asked to see them. */
    public String describeKeys()
    {
        if (isAead())
        {
            return "aead " + encryptionAlgorithm.xfrmName() + " 0x" + Hex.encode(encryptionKey) + " " + icvLengthBits;
        }
        return "auth " + integrityAlgorithm.xfrmName() + " 0x" + Hex.encode(integrityKey) +
            " enc " + encryptionAlgorithm.xfrmName() + " 0x" + Hex.encode(encryptionKey);
    }

    /** @return a description without key material. */
    public String toString()
    {
        return "SaConfig{src " + IpAddressText.format(source) + " dst " + IpAddressText.format(destination) +
            " spi " + spiHex() + " (" + spi + ") reqid " + reqid + " replay-window " + replayWindowSize +
            (esn ? " esn" : "") + (icmp ? " icmp" : "") + (isAead() ? " aead " + encryptionAlgorithm.xfrmName() + "/" + icvLengthBits :
            " auth " + integrityAlgorithm.xfrmName() + "/" + icvLengthBits + " enc " + encryptionAlgorithm.xfrmName()) +
            (encapsulation == Encapsulation.ESP_IN_UDP ?
            " encap espinudp " + encapsulationSourcePort + " " + encapsulationDestinationPort : "") +
            " sel " + selector + "}";
    }

    /**
     * Builder with validation: every error names the field, never the key bytes.
     */
    public static final class Builder
    {
        private InetAddress source;
        private InetAddress destination;
        private long spi = -1;
        private int reqid;
        private int replayWindowSize = ReplayWindow.DEFAULT_WINDOW_SIZE;
        private boolean esn;
        private boolean icmp;
        private IntegrityAlgorithm integrityAlgorithm;
        private byte[] integrityKey = new byte[0];
        private int icvLengthBits;
        private EncryptionAlgorithm encryptionAlgorithm = EncryptionAlgorithm.NULL;
        private byte[] encryptionKey = new byte[0];
        private Encapsulation encapsulation = Encapsulation.NONE;
        private int encapsulationSourcePort;
        private int encapsulationDestinationPort;
        private TrafficSelector selector = TrafficSelector.any();
        private SaLifetimeConfig lifetime = SaLifetimeConfig.UNLIMITED;

        public Builder source(final InetAddress source)
        {
            this.source = source;
            return this;
        }

        public Builder destination(final InetAddress destination)
        {
            this.destination = destination;
            return this;
        }

        /**
         * @param spi unsigned 32-bit SPI; 1..255 are reserved by IANA (RFC 4303 §2.1) and 0 is never valid.
         * @return this.
         */
        public Builder spi(final long spi)
        {
            if (spi < 256 || spi > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("spi must be 256..4294967295 (RFC 4303 2.1): " + spi);
            }
            this.spi = spi;
            return this;
        }

        public Builder reqid(final int reqid)
        {
            this.reqid = reqid;
            return this;
        }

        public Builder replayWindowSize(final int replayWindowSize)
        {
            if (replayWindowSize < 0 || replayWindowSize > ReplayWindow.MAX_WINDOW_SIZE)
            {
                throw new IllegalArgumentException("replay-window must be 0.." + ReplayWindow.MAX_WINDOW_SIZE +
                    ": " + replayWindowSize);
            }
            this.replayWindowSize = replayWindowSize;
            return this;
        }

        public Builder esn(final boolean esn)
        {
            this.esn = esn;
            return this;
        }

        /**
         * @param icmp {@code flag icmp}: also carry ICMP errors about the SA's flow.
         * @return this.
         */
        public Builder icmp(final boolean icmp)
        {
            this.icmp = icmp;
            return this;
        }

        /**
         * @param algorithm     integrity algorithm.
         * @param key           key bytes (copied).
         * @param icvLengthBits ICV truncation length in bits (multiple of 32 for IPv4 alignment, at most the digest).
         * @return this.
         */
        public Builder integrity(final IntegrityAlgorithm algorithm, final byte[] key, final int icvLengthBits)
        {
            if (algorithm == null)
            {
                throw new IllegalArgumentException("auth algorithm missing");
            }
            if (algorithm != IntegrityAlgorithm.NONE && key.length != algorithm.keyLengthBytes())
            {
                throw new IllegalArgumentException("auth key for " + algorithm.xfrmName() + " must be " +
                    algorithm.keyLengthBytes() * 8 + " bits, got " + key.length * 8);
            }
            if (algorithm != IntegrityAlgorithm.NONE &&
                (icvLengthBits < 64 || icvLengthBits % 32 != 0 || icvLengthBits > algorithm.digestLengthBytes() * 8))
            {
                throw new IllegalArgumentException("auth-trunc length for " + algorithm.xfrmName() +
                    " must be a multiple of 32 bits between 64 and the digest length: " + icvLengthBits);
            }
            integrityAlgorithm = algorithm;
            integrityKey = key.clone();
            this.icvLengthBits = icvLengthBits;
            return this;
        }

        /**
         * @param algorithm integrity algorithm, with its RFC ICV length.
         * @param key       key bytes (copied).
         * @return this.
         */
        public Builder integrity(final IntegrityAlgorithm algorithm, final byte[] key)
        {
            return integrity(algorithm, key, algorithm == null ? 0 : algorithm.defaultIcvLengthBits());
        }

        public Builder encryption(final EncryptionAlgorithm algorithm, final byte[] key)
        {
            if (algorithm == null)
            {
                throw new IllegalArgumentException("enc algorithm missing");
            }
            if (!algorithm.acceptsKeyLength(key.length))
            {
                throw new IllegalArgumentException((algorithm.combinedMode() ? "aead" : "enc") + " key for " +
                    algorithm.xfrmName() + " must be " + algorithm.keyLengthsDescription() + ", got " + key.length * 8);
            }
            encryptionAlgorithm = algorithm;
            encryptionKey = key.clone();
            return this;
        }

        public Builder encapsulation(final Encapsulation encapsulation, final int sourcePort, final int destinationPort)
        {
            if (encapsulation == Encapsulation.ESP_IN_UDP &&
                (sourcePort < 1 || sourcePort > 65535 || destinationPort < 1 || destinationPort > 65535))
            {
                throw new IllegalArgumentException("encap ports must be 1..65535: " + sourcePort + " " + destinationPort);
            }
            this.encapsulation = encapsulation;
            encapsulationSourcePort = encapsulation == Encapsulation.NONE ? 0 : sourcePort;
            encapsulationDestinationPort = encapsulation == Encapsulation.NONE ? 0 : destinationPort;
            return this;
        }

        public Builder selector(final TrafficSelector selector)
        {
            this.selector = selector == null ? TrafficSelector.any() : selector;
            return this;
        }

        public Builder lifetime(final SaLifetimeConfig lifetime)
        {
            this.lifetime = lifetime == null ? SaLifetimeConfig.UNLIMITED : lifetime;
            return this;
        }

        public SaConfig build()
        {
            if (source == null)
            {
                throw new IllegalArgumentException("src missing");
            }
            if (destination == null)
            {
                throw new IllegalArgumentException("dst missing");
            }
            if ((source instanceof Inet4Address) != (destination instanceof Inet4Address))
            {
                throw new IllegalArgumentException("src and dst are of different address families");
            }
            if (spi < 0)
            {
                throw new IllegalArgumentException("spi missing");
            }
            if (integrityAlgorithm == null)
            {
                if (!encryptionAlgorithm.combinedMode())
                {
                    throw new IllegalArgumentException(
                        "auth algorithm missing: ESP without integrity is not supported (RFC 4303 3.2.2)");
                }
                integrityAlgorithm = IntegrityAlgorithm.NONE;
            }
            if (integrityAlgorithm == IntegrityAlgorithm.NONE && !encryptionAlgorithm.combinedMode())
            {
                throw new IllegalArgumentException("auth none needs a combined-mode enc algorithm");
            }
            if (encryptionAlgorithm.combinedMode())
            {
                if (integrityAlgorithm != IntegrityAlgorithm.NONE)
                {
                    throw new IllegalArgumentException("auth " + integrityAlgorithm.xfrmName() + " cannot be used " +
                        "with aead " + encryptionAlgorithm.xfrmName() + ": its ICV is the integrity check (RFC 4303 3.2.3)");
                }
                // The AEAD's tag is the ICV: its length comes with the algorithm, not from an auth-trunc.
                integrityKey = new byte[0];
                icvLengthBits = encryptionAlgorithm.icvLengthBits();
            }
            return new SaConfig(this);
        }
    }
}
