package org.esp4j.sip.lifecycle;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.sip.message.Transport;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.xfrm.XfrmFormatter;
import org.esp4j.core.text.Hex;
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
    /** Replay window of IMS SAs (TS 33.203 leaves it to the implementation; 64 is the RFC 4303 default). */
    public static final int REPLAY_WINDOW = 64;

    private final String label;
    private final String spiOrigin;
    private final PolicyDirection direction;
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
        if (direction == PolicyDirection.FWD)
        {
            throw new IllegalArgumentException("direction: a transport-mode SA is in or out, not fwd");
        }
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
    public PolicyDirection direction()
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
        final String hex = Long.toHexString(spi & 0xFFFF_FFFFL); // unsigned 32 bits, as 0x%08x (no Formatter per SA)
        return "0x" + "00000000".substring(hex.length()) + hex;
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
     * This SA as esp-core installs it: the spec's addresses and SPI, replay window {@link #REPLAY_WINDOW}, the
     * algorithms with their default ICV length, the spec's addresses and ports as selector, and the lifetime as a
     * hard time-since-add limit.
     *
     * @return the config, holding a copy of the keys (the caller zeroes them with {@link SaConfig#zeroKeys()}).
     * @throws IllegalArgumentException if the keys are not known.
     */
    public SaConfig toSaConfig()
    {
        if (!hasKeys())
        {
            throw new IllegalArgumentException("no keys for " + label + " spi " + spiHex() +
                ": give K and OP/OPc so AKA can derive IK/CK, or let the S-CSCF's ck=/ik= through");
        }
        return toSaConfig(integrityKey, encryptionKey);
    }

    /**
     * Arguments of {@code ip xfrm state add} for this SA as {@link #toSaConfig()} gives it, written by esp-core's
     * {@link XfrmFormatter#toStateAddArgs} (the one writer of those arguments), e.g.
     * {@code src 2001::1 dst 2001::2 proto esp spi 0xa82588f1 reqid 0 mode transport replay-window 64
     * auth-trunc 'hmac(md5)' 0x... 96 enc 'ecb(cipher_null)' "" sel src 2001::1/128 dst 2001::2/128 sport 38003
     * dport 50718}.
     *
     * @param withKeys true to print keys; false prints {@link XfrmFormatter#KEYS_HIDDEN}, as it does when a key is
     *                 unknown.
     * @return the argument string.
     */
    public String toIpXfrmStateArgs(final boolean withKeys)
    {
        // unknown keys: the same SA with zero keys of the right length, written hidden
        final SaConfig config = hasKeys() ? toSaConfig(integrityKey, encryptionKey) : toSaConfig(
            new byte[integrityAlgorithm.keyLengthBytes()], new byte[smallestKeyLength(encryptionAlgorithm)]);
        try
        {
            return XfrmFormatter.toStateAddArgs(config, withKeys && hasKeys());
        }
        finally
        {
            config.zeroKeys();
        }
    }

    private SaConfig toSaConfig(final byte[] integrityKey, final byte[] encryptionKey)
    {
        return SaConfig.builder()
            .source(src)
            .destination(dst)
            .spi(spi)
            .replayWindowSize(REPLAY_WINDOW)
            .integrity(integrityAlgorithm, integrityKey)
            .encryption(encryptionAlgorithm, encryptionKey)
            .selector(TrafficSelector.builder()
                .source(src).destination(dst)
                .sourcePort(srcPort).destinationPort(dstPort)
                .build())
            .lifetime(hardLifetime(lifetimeNs))
            .build();
    }

    /**
     * @param lifetimeNs a lifetime from installation, 0 or less for none.
     * @return it as esp-core's hard time-since-add limit.
     */
    public static SaLifetimeConfig hardLifetime(final long lifetimeNs)
    {
        return lifetimeNs <= 0 ? SaLifetimeConfig.UNLIMITED :
            SaLifetimeConfig.builder().hardAddExpiresNs(lifetimeNs).build();
    }

    private static int smallestKeyLength(final EncryptionAlgorithm algorithm)
    {
        int length = 0;
        while (!algorithm.acceptsKeyLength(length))
        {
            length++;
        }
        return length;
    }

    /**
     * The PROTECT policy for one upper-layer protocol of this SA, as esp-core installs it: the spec's addresses
     * (host prefixes), the protocol and ports, this SA's direction, and one template naming the SA by SPI.
     *
     * @param protocol UDP or TCP.
     * @param priority the policy's priority (lower wins).
     * @return the policy.
     */
    public PolicyConfig toPolicyConfig(final Transport protocol, final int priority)
    {
        final TrafficSelector selector = TrafficSelector.builder()
            .source(src).destination(dst)
            .protocol(protocol == Transport.UDP ? IpProtocol.UDP : IpProtocol.TCP)
            .sourcePort(srcPort).destinationPort(dstPort)
            .build();
        return new PolicyConfig(selector, direction, PolicyAction.PROTECT, priority, 0,
            List.of(new TemplateConfig(src, dst, spi, 0, false)));
    }

    /**
     * Arguments of {@code ip xfrm policy add} for one upper-layer protocol, {@link #toPolicyConfig} at priority 0
     * written by esp-core's {@link XfrmFormatter#toPolicyAddArgs}, e.g. {@code src A/128 dst B/128 proto udp
     * sport 38003 dport 50718 dir out priority 0 action allow tmpl src A dst B proto esp spi 0x.. reqid 0
     * mode transport level required}.
     *
     * @param protocol UDP or TCP.
     * @return the argument string.
     */
    public String toIpXfrmPolicyArgs(final Transport protocol)
    {
        return XfrmFormatter.toPolicyAddArgs(toPolicyConfig(protocol, 0));
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
        private PolicyDirection direction;
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
        public Builder direction(final PolicyDirection direction)
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
