package org.esp4j.sip.lifecycle;

import org.esp4j.sip.message.Transport;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.util.Hex;
import org.esp4j.sip.util.InetAddressText;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One transport-mode ESP SA of an IMS sec-agree set (TS 33.203 §7.1) as the bridge hands it to a
 * {@link SecurityAssociationSink}: independent of the packet engine. Immutable.
 * <p>
 * The SPI is an unsigned 32-bit value held in a long and never printed negative. Keys are already expanded per
 * TS 33.203 Annex I; a null key means it is not known (no K/OP and no {@code ck}/{@code ik} from the network).
 * {@link #toString()} never shows keys.
 */
public final class SaSpec
{
    private final String label;
    private final String spiOrigin;
    private final SaDirection direction;
    private final long spi;
    private final InetAddress src;
    private final InetAddress dst;
    private final int srcPort;
    private final int dstPort;
    private final Set<Transport> protocols;
    private final IntegrityAlgorithm integrityAlgorithm;
    private final EncryptionAlgorithm encryptionAlgorithm;
    private final byte[] integrityKey;
    private final byte[] encryptionKey;
    private final long lifetimeNs;
    private final SaLifecycleState state;

    private SaSpec(final Builder b)
    {
        this.label = Objects.requireNonNull(b.label, "label");
        this.spiOrigin = b.spiOrigin == null ? "" : b.spiOrigin;
        this.direction = Objects.requireNonNull(b.direction, "direction");
        if (b.spi < 0 || b.spi > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("spi: " + b.spi + " outside the unsigned 32-bit range");
        }
        this.spi = b.spi;
        this.src = Objects.requireNonNull(b.src, "src");
        this.dst = Objects.requireNonNull(b.dst, "dst");
        this.srcPort = b.srcPort;
        this.dstPort = b.dstPort;
        this.protocols = Collections.unmodifiableSet(EnumSet.copyOf(b.protocols));
        this.integrityAlgorithm = Objects.requireNonNull(b.integrityAlgorithm, "integrityAlgorithm");
        this.encryptionAlgorithm = b.encryptionAlgorithm == null ? EncryptionAlgorithm.NULL : b.encryptionAlgorithm;
        this.integrityKey = b.integrityKey == null ? null : b.integrityKey.clone();
        this.encryptionKey = b.encryptionKey == null ? null : b.encryptionKey.clone();
        this.lifetimeNs = b.lifetimeNs;
        this.state = Objects.requireNonNull(b.state, "state");
    }

    /**
     * @return a builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return a builder holding this SA's values.
     */
    public Builder toBuilder()
    {
        final Builder b = new Builder();
        b.label = label;
        b.spiOrigin = spiOrigin;
        b.direction = direction;
        b.spi = spi;
        b.src = src;
        b.dst = dst;
        b.srcPort = srcPort;
        b.dstPort = dstPort;
        b.protocols = EnumSet.copyOf(protocols);
        b.integrityAlgorithm = integrityAlgorithm;
        b.encryptionAlgorithm = encryptionAlgorithm;
        b.integrityKey = integrityKey;
        b.encryptionKey = encryptionKey;
        b.lifetimeNs = lifetimeNs;
        b.state = state;
        return b;
    }

    /**
     * @param newState state.
     * @param newLifetimeNs lifetime from now.
     * @return a copy with another state and lifetime.
     */
    public SaSpec with(final SaLifecycleState newState, final long newLifetimeNs)
    {
        return toBuilder().state(newState).lifetimeNs(newLifetimeNs).build();
    }

    /**
     * @return e.g. {@code SA1}: the numbering of TS 33.203 §7.1 as in the esp4j docs (SA1 UE port-c to P-CSCF
     * port-s, SA2 back, SA3 P-CSCF port-c to UE port-s, SA4 back).
     */
    public String label()
    {
        return label;
    }

    /**
     * @return whose SPI this is, e.g. {@code P-CSCF spi-s}.
     */
    public String spiOrigin()
    {
        return spiOrigin;
    }

    /**
     * @return direction relative to the local role.
     */
    public SaDirection direction()
    {
        return direction;
    }

    /**
     * @return SPI, unsigned 32-bit.
     */
    public long spi()
    {
        return spi;
    }

    /**
     * @return SPI as {@code 0x%08x}.
     */
    public String spiHex()
    {
        return String.format("0x%08x", spi);
    }

    /**
     * @return source address.
     */
    public InetAddress src()
    {
        return src;
    }

    /**
     * @return destination address.
     */
    public InetAddress dst()
    {
        return dst;
    }

    /**
     * @return source port of the selector.
     */
    public int srcPort()
    {
        return srcPort;
    }

    /**
     * @return destination port of the selector.
     */
    public int dstPort()
    {
        return dstPort;
    }

    /**
     * @return upper-layer protocols of the selectors (UDP and TCP for IMS).
     */
    public Set<Transport> protocols()
    {
        return protocols;
    }

    /**
     * @return integrity algorithm.
     */
    public IntegrityAlgorithm integrityAlgorithm()
    {
        return integrityAlgorithm;
    }

    /**
     * @return integrity algorithm as TS 33.203 spells it, e.g. {@code hmac-sha-1-96}.
     */
    public String integrityAlgorithmName()
    {
        return org.esp4j.sip.secagree.SecAgreeAlgorithms.algToken(integrityAlgorithm, encryptionAlgorithm);
    }

    /**
     * @return the {@code alg} and {@code ealg} of the sec-agree mechanism, e.g. {@code hmac-sha-1-96/aes-cbc},
     * {@code null/aes-gcm} or {@code aes-gmac/null}.
     */
    public String algorithmsText()
    {
        return integrityAlgorithmName() + "/" + encryptionAlgorithmName();
    }

    /**
     * @return encryption algorithm ({@link EncryptionAlgorithm#NULL} for none).
     */
    public EncryptionAlgorithm encryptionAlgorithm()
    {
        return encryptionAlgorithm;
    }

    /**
     * @return encryption algorithm as TS 33.203 spells it: {@code null}, {@code aes-cbc}, {@code des-ede3-cbc}.
     */
    public String encryptionAlgorithmName()
    {
        return org.esp4j.sip.secagree.SecAgreeAlgorithms.ealgToken(integrityAlgorithm, encryptionAlgorithm);
    }

    /**
     * @return a copy of the ESP integrity key, or null when unknown.
     */
    public byte[] integrityKey()
    {
        return integrityKey == null ? null : integrityKey.clone();
    }

    /**
     * @return a copy of the ESP encryption key (empty for null encryption), or null when unknown.
     */
    public byte[] encryptionKey()
    {
        return encryptionKey == null ? null : encryptionKey.clone();
    }

    /**
     * @return true when both keys are known.
     */
    public boolean hasKeys()
    {
        return integrityKey != null && encryptionKey != null;
    }

    /**
     * @return lifetime from installation or last update, in nanoseconds.
     */
    public long lifetimeNs()
    {
        return lifetimeNs;
    }

    /**
     * @return state.
     */
    public SaLifecycleState state()
    {
        return state;
    }

    /**
     * Arguments of {@code ip xfrm state add} for this SA, e.g.
     * {@code src 2001::1 dst 2001::2 proto esp spi 0xa82588f1 mode transport replay-window 64
     * auth-trunc 'hmac(md5)' 0x... 96 enc 'ecb(cipher_null)' "" sel src 2001::1 dst 2001::2 sport 38003 dport 50718}.
     *
     * @param withKeys true to print keys; false prints placeholders (also used when a key is unknown).
     * @return the argument string.
     */
    public String toIpXfrmStateArgs(final boolean withKeys)
    {
        final String s = InetAddressText.format(src);
        final String d = InetAddressText.format(dst);
        final StringBuilder sb = new StringBuilder(256);
        sb.append("src ").append(s).append(" dst ").append(d)
            .append(" proto esp spi ").append(spiHex())
            .append(" mode transport replay-window 64");
        if (encryptionAlgorithm.combinedMode())
        {
            // RFC 4106 / RFC 4543: one aead clause, key and 32-bit salt together, as iproute2 takes them.
            sb.append(" aead '").append(encryptionAlgorithm.xfrmName()).append("' ")
                .append(keyText(withKeys, encryptionKey, "key-and-salt")).append(' ')
                .append(encryptionAlgorithm.icvLengthBytes() * 8)
                .append(" sel src ").append(s).append(" dst ").append(d)
                .append(" sport ").append(srcPort).append(" dport ").append(dstPort);
            return sb.toString();
        }
        sb.append(" auth-trunc '").append(integrityAlgorithm.xfrmName()).append("' ")
            .append(keyText(withKeys, integrityKey, "integrity-key")).append(" 96")
            .append(" enc '").append(encryptionAlgorithm.xfrmName()).append("' ");
        if (encryptionAlgorithm == EncryptionAlgorithm.NULL)
        {
            sb.append("\"\"");
        }
        else
        {
            sb.append(keyText(withKeys, encryptionKey, "encryption-key"));
        }
        sb.append(" sel src ").append(s).append(" dst ").append(d)
            .append(" sport ").append(srcPort).append(" dport ").append(dstPort);
        return sb.toString();
    }

    /**
     * Arguments of {@code ip xfrm policy add} for one upper-layer protocol, e.g.
     * {@code src A/128 dst B/128 proto udp sport 38003 dport 50718 dir out tmpl src A dst B proto esp spi 0x..
     * mode transport}.
     *
     * @param protocol UDP or TCP.
     * @return the argument string.
     */
    public String toIpXfrmPolicyArgs(final Transport protocol)
    {
        final String s = InetAddressText.format(src);
        final String d = InetAddressText.format(dst);
        final int prefix = src instanceof Inet6Address ? 128 : 32;
        return "src " + s + "/" + prefix + " dst " + d + "/" + prefix +
            " proto " + protocol.lowerCaseName() + " sport " + srcPort + " dport " + dstPort +
            " dir " + direction.xfrmName() +
            " tmpl src " + s + " dst " + d + " proto esp spi " + spiHex() + " mode transport";
    }

    /**
     * @return {@link #toIpXfrmPolicyArgs(Transport)} for every protocol of the selectors.
     */
    public List<String> toIpXfrmPolicyArgs()
    {
        final List<String> args = new ArrayList<>(protocols.size());
        for (final Transport protocol : protocols)
        {
            args.add(toIpXfrmPolicyArgs(protocol));
        }
        return args;
    }

    private static String keyText(final boolean withKeys, final byte[] key, final String placeholder)
    {
        if (key == null)
        {
            return "0x{" + placeholder + "-unknown}";
        }
        return withKeys ? "0x" + Hex.encode(key) : "0x{" + placeholder + "}";
    }

    public String toString()
    {
        return "SaSpec{" + label + " " + direction.xfrmName() +
            " spi=" + spi + " (" + spiHex() + ") " + spiOrigin +
            " " + InetAddressText.format(src, srcPort) + " -> " + InetAddressText.format(dst, dstPort) +
            " " + protocols + " " + algorithmsText() +
            " " + state + " lifetimeNs=" + lifetimeNs + "}";
    }

    /**
     * Builder for {@link SaSpec}.
     */
    public static final class Builder
    {
        private String label;
        private String spiOrigin;
        private SaDirection direction;
        private long spi = -1;
        private InetAddress src;
        private InetAddress dst;
        private int srcPort;
        private int dstPort;
        private Set<Transport> protocols = EnumSet.of(Transport.UDP, Transport.TCP);
        private IntegrityAlgorithm integrityAlgorithm;
        private EncryptionAlgorithm encryptionAlgorithm;
        private byte[] integrityKey;
        private byte[] encryptionKey;
        private long lifetimeNs;
        private SaLifecycleState state = SaLifecycleState.TEMPORARY;

        private Builder()
        {
        }

        /**
         * @param label e.g. {@code SA1}.
         * @return this.
         */
        public Builder label(final String label)
        {
            this.label = label;
            return this;
        }

        /**
         * @param spiOrigin e.g. {@code P-CSCF spi-s}.
         * @return this.
         */
        public Builder spiOrigin(final String spiOrigin)
        {
            this.spiOrigin = spiOrigin;
            return this;
        }

        /**
         * @param direction relative to the local role.
         * @return this.
         */
        public Builder direction(final SaDirection direction)
        {
            this.direction = direction;
            return this;
        }

        /**
         * @param spi unsigned 32-bit.
         * @return this.
         */
        public Builder spi(final long spi)
        {
            this.spi = spi;
            return this;
        }

        /**
         * @param src  source address.
         * @param port source port.
         * @return this.
         */
        public Builder src(final InetAddress src, final int port)
        {
            this.src = src;
            this.srcPort = port;
            return this;
        }

        /**
         * @param dst  destination address.
         * @param port destination port.
         * @return this.
         */
        public Builder dst(final InetAddress dst, final int port)
        {
            this.dst = dst;
            this.dstPort = port;
            return this;
        }

        /**
         * @param protocols selector protocols, not empty.
         * @return this.
         */
        public Builder protocols(final Set<Transport> protocols)
        {
            if (protocols.isEmpty())
            {
                throw new IllegalArgumentException("protocols: at least one of UDP, TCP");
            }
            this.protocols = EnumSet.copyOf(protocols);
            return this;
        }

        /**
         * @param alg  integrity algorithm.
         * @param key  expanded key, or null when unknown.
         * @return this.
         */
        public Builder integrity(final IntegrityAlgorithm alg, final byte[] key)
        {
            this.integrityAlgorithm = alg;
            this.integrityKey = key;
            return this;
        }

        /**
         * @param ealg encryption algorithm.
         * @param key  expanded key, or null when unknown.
         * @return this.
         */
        public Builder encryption(final EncryptionAlgorithm ealg, final byte[] key)
        {
            this.encryptionAlgorithm = ealg;
            this.encryptionKey = key;
            return this;
        }

        /**
         * @param lifetimeNs lifetime in nanoseconds.
         * @return this.
         */
        public Builder lifetimeNs(final long lifetimeNs)
        {
            this.lifetimeNs = lifetimeNs;
            return this;
        }

        /**
         * @param state lifecycle state.
         * @return this.
         */
        public Builder state(final SaLifecycleState state)
        {
            this.state = state;
            return this;
        }

        /**
         * @return the SA.
         */
        public SaSpec build()
        {
            return new SaSpec(this);
        }
    }
}
