package org.esp4j.core.esp;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EspTransform;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.ip.IcmpHeader;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.EpochReclamation;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.SpdEventListener;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * RFC 4303 transport-mode ESP processing of whole IP packets, in place, for one thread.
 * <p>
 * Output ({@link #outbound} / {@link #protect}): the ESP header (and, for RFC 3948 SAs, a UDP header) is inserted
 * after the IP header by moving the IP header into the headroom in front of the packet, so the payload is never
 * copied; padding, pad length, next header and ICV go into the tailroom. The IP lengths, the IPv4 checksum and the
 * next-header chain are fixed up.
 * <pre>
 *   before:            [headroom][IP hdr][payload.....][tailroom]
 *   after:   [IP hdr][UDP][ESP hdr|IV][payload.....][pad|pl|nh][ICV]
 *   carrier mode:  [IP hdr][ESP hdr|IV][payload.....][pad|pl|nh][ICV]   (no UDP: the carrier's socket adds it)
 * </pre>
 * The result names its carrier ({@link #resultCarrier()}): an ESP_IN_UDP SA's packet leaves in UDP, everything else
 * as an IP packet. {@link #carrierPayloads(boolean)} selects carrier mode, for senders whose UDP socket writes the
 * UDP header; whole wire packets are the default, for tools that write them to captures or links.
 * <p>
 * Between the parse and the SPD lookup, and between the lookup and the transform, an {@link OutboundObserver} may
 * look at the parsed packet (the daemon's SIP bridge).
 * <p>
 * Input from a carrier ({@link #inbound(UnsafeBuffer, int, int, boolean)}) is an IP header and ESP, with the
 * carrier saying whether it came in UDP; wire input ({@link #inbound(UnsafeBuffer, int, int)}) recognises RFC 3948
 * ESP-in-UDP on port 4500 itself ({@link UdpEncapsulation}).
 * <p>
 * Input ({@link #inbound} / {@link #unprotect}), in the order RFC 4303 §3.4 and RFC 4301 §5.2 give: SA lookup by SPI
 * and destination, replay pre-check, ICV check (constant time), replay window update, decryption, padding check,
 * removal of the ESP header and trailer (the IP header moves forward to meet the payload), check of the inner packet
 * against the SA's selector and the inbound policy.
 * <p>
 * Nothing on these paths throws or allocates for a bad packet: it is dropped and counted against one
 * {@link XfrmCounter}, named by {@link #dropReason()}. Not thread-safe: use one processor per thread; the SAD,
 * SPD, SAs and counters are shared safely.
 * <p>
 * SA deletion: each processor is a reader of the SAD's {@link EpochReclamation}. Every call publishes its epoch on
 * entry and leaves on return (with an ICV batch, once the batch is computed: the batch still needs the SA's keys),
 * so a deleted SA's keys are wiped only when no call of any processor can still be using it. An SA found deleted is
 * not used ({@code XfrmOutStateInvalid} / {@code XfrmInStateInvalid}); a packet whose SA was deleted while it went
 * through the crypto is checked again just before it is handed back, and dropped under the same counters. Each
 * processor has its own transform of each SA; {@link #close()} releases them and the reader.
 * <p>
 * ICMP errors (RFC 4301 §6.1.1): an outbound ICMP or ICMPv6 error that no protect policy covers, but that quotes a
 * packet of a flow an inbound policy requires ESP for (the quoted packet is one this host received and decrypted),
 * would carry that flow's plaintext in clear. It is protected with the SA of the reverse (outbound) flow if that SA
 * has {@code flag icmp} (as Linux's {@code XFRM_STATE_ICMP}), and otherwise dropped as
 * {@link XfrmCounter#Esp4jOutIcmpErrorBlock}. Inbound, an SA with {@code flag icmp} also delivers an ICMP error whose
 * quoted packet, reversed, fits the SA's selector.
 * <p>
 * Buffers should wrap a {@code byte[]} (the JDK's intrinsic digests and ciphers work on arrays); others are copied
 * through a scratch array.
 */
public final class EspProcessor
{
    /** Room needed in front of a packet for output: UDP (8) + ESP header (8) + IV (up to 16), rounded up. */
    public static final int MAX_HEADROOM = 64;
    /** Room needed after a packet for output: padding (up to 255+2) is bounded by block size here; ICV up to 32. */
    public static final int MAX_TAILROOM = 64;
    /** Largest packet handled. */
    public static final int MAX_PACKET_LENGTH = 65535;

    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final XfrmCounters counters;
    private final NanoClock clock;
    private final SpdEventListener listener;
    private final IpPacketInfo info = new IpPacketInfo();
    private final ParsedPacket parsed = new ParsedPacket(info);
    private IcvBatch icvBatch;
    private OutboundObserver outboundObserver;
    private boolean carrierPayloads;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[MAX_HEADROOM + MAX_PACKET_LENGTH + MAX_TAILROOM]);

    private int resultOffset;
    private int resultLength;
    private int resultCarrier;
    private int resultEspOffset;
    private int resultPeerPort;
    // what the outbound SPD/SAD lookup decided, before anything is done with the packet
    private int outboundDecision;
    private SecurityPolicy outboundPolicy;
    private SecurityAssociation outboundSa;
    private XfrmCounter dropReason;
    private SecurityAssociation lastSa;
    private long lastSequence;
    private final EpochReclamation.Reader reader;
    /** Nested public calls in progress (viaScratch calls back in). */
    private int callDepth;
    private boolean inEpoch;
    private boolean closed;

    // the selector of the packet an ICMP error quotes, filled by readQuotedPacket
    private long quotedSourceHigh;
    private long quotedSourceLow;
    private long quotedDestinationHigh;
    private long quotedDestinationLow;
    private int quotedProtocol;
    private int quotedSourcePort;
    private int quotedDestinationPort;

    /**
     * @param sad      SAs.
     * @param spd      policies (may be empty: then everything without ESP passes).
     * @param counters global counters.
     * @param clock    clock for lifetimes.
     * @param listener receives acquire events (may be null).
     */
    public EspProcessor(
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final XfrmCounters counters,
        final NanoClock clock,
        final SpdEventListener listener)
    {
        this.sad = sad;
        this.spd = spd;
        this.counters = counters;
        this.clock = clock;
        this.listener = listener == null ? SpdEventListener.NO_OP : listener;
        reader = sad.registerReader();
    }

    /**
     * @param sad      SAs.
     * @param spd      policies.
     * @param counters global counters.
     * @param clock    clock for lifetimes.
     */
    public EspProcessor(
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final XfrmCounters counters,
        final NanoClock clock)
    {
        this(sad, spd, counters, clock, null);
    }

    /**
     * Hash HMAC-SHA-1 ICVs many packets at a time (see {@link IcvBatch}). With a batch set, a protected packet's ICV
     * is written only at {@link #completeIcvs()}, which the caller must call before the packet leaves (and before
     * its buffer is reused); received packets may be announced with {@link #prepareInbound} and are verified
     * against MACs computed together at {@link #completeIcvs()}, then {@link #clearPrepared()}.
     *
     * @param batch the batch, or null (the default) to hash each packet as it is handled.
     */
    public void icvBatch(final IcvBatch batch)
    {
        icvBatch = batch;
    }

    /** @return the ICV batch, or null. */
    public IcvBatch icvBatch()
    {
        return icvBatch;
    }

    /**
     * Carrier mode: an ESP_IN_UDP result is the IP header followed directly by ESP, with no UDP header and no IPv6 UDP
     * checksum, for a carrier whose UDP socket adds both (the sender reads {@link #resultCarrier()},
     * {@link #resultEspOffset()} and {@link #resultPeerPort()}); the IP header then reads as raw ESP (protocol 50,
     * lengths without UDP), and the ICV of IPv6 ESP-in-UDP may wait for an {@link IcvBatch} like any other. Off by
     * default: results are whole wire packets ({@code IP + UDP + ESP}), as tools that write captures need.
     *
     * @param payloadOnly true for carrier mode.
     */
    public void carrierPayloads(final boolean payloadOnly)
    {
        carrierPayloads = payloadOnly;
    }

    /** @return true in carrier mode (see {@link #carrierPayloads(boolean)}). */
    public boolean carrierPayloads()
    {
        return carrierPayloads;
    }

    /**
     * @param observer sees each parsed packet of {@link #outbound} before and after the SPD lookup, or null (the
     *                 default). Set before the processor's thread starts.
     */
    public void outboundObserver(final OutboundObserver observer)
    {
        outboundObserver = observer;
    }

    /** Compute every ICV queued since the last call: write those of protected packets, keep those of received ones. */
    public void completeIcvs()
    {
        if (icvBatch != null)
        {
            icvBatch.compute();
            leaveEpochIfIdle();
        }
    }

    /** Forget the MACs computed for received packets (call when their buffers are about to be reused). */
    public void clearPrepared()
    {
        if (icvBatch != null)
        {
            icvBatch.clear();
            leaveEpochIfIdle();
        }
    }

    /**
     * Release this processor's transforms and its reader, so it no longer holds back the reclamation of deleted SAs.
     * Call once the thread that used the processor has stopped using it; the processor must not be used afterwards.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            sad.unregisterReader(reader);
        }
    }

    /**
     * Hold one epoch across several calls, e.g. one duty cycle of a packet agent, so the calls in between skip the
     * volatile store each makes on entry. Deleted SAs wait for {@link #endBatch()}: keep batches short (one burst).
     * Pairs nest with the calls and with each other.
     */
    public void beginBatch()
    {
        enterEpoch();
    }

    /** End what {@link #beginBatch()} began. */
    public void endBatch()
    {
        exitCall();
    }

    /** @return this processor's registration with the SAD's {@link EpochReclamation}. */
    public EpochReclamation.Reader reader()
    {
        return reader;
    }

    private void enterEpoch()
    {
        callDepth++;
        if (!inEpoch)
        {
            reader.enter();
            inEpoch = true;
        }
    }

    private void exitCall()
    {
        callDepth--;
        leaveEpochIfIdle();
    }

    /** Leave the epoch unless a call is in progress or the ICV batch still has to hash with some SA's keys. */
    private void leaveEpochIfIdle()
    {
        if (inEpoch && callDepth == 0 && (icvBatch == null || icvBatch.pending() == 0))
        {
            inEpoch = false;
            reader.exit();
        }
    }

    /**
     * Announce a received packet whose MAC may be computed with others at {@link #completeIcvs()}, before it is
     * handled by {@link #inbound} in the same buffer. Counts nothing and changes nothing: a packet this cannot make
     * sense of, or whose SA uses ESN or another hash, is simply left to {@link #inbound}.
     *
     * @param buffer packet buffer (array-backed).
     * @param offset packet start.
     * @param length packet length.
     */
    public void prepareInbound(final UnsafeBuffer buffer, final int offset, final int length)
    {
        enterEpoch();
        try
        {
            prepareInboundInEpoch(buffer, offset, length);
        }
        finally
        {
            exitCall();
        }
    }

    private void prepareInboundInEpoch(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final byte[] array = buffer.byteArray();
        if (icvBatch == null || array == null || !icvBatch.hasRoom() || !info.parse(buffer, offset, length, false))
        {
            return;
        }
        int espAt = info.upperOffset;
        if (info.protocol == IpProtocol.UDP && info.destinationPort == UdpHeader.ESP_IN_UDP_PORT)
        {
            espAt += UdpHeader.LENGTH;
        }
        else if (info.protocol != IpProtocol.ESP)
        {
            return;
        }
        final int espOffset = offset + espAt;
        final int end = offset + info.packetLength;
        if (end - espOffset < EspHeader.LENGTH + 1 || buffer.getInt(espOffset, BIG_ENDIAN) == 0)
        {
            return;
        }
        final SecurityAssociation sa = sad.lookup(EspHeader.spi(buffer, espOffset), info.destinationHigh,
            info.destinationLow);
        if (sa == null || sa.esn() || sa.isDeleted())
        {
            return;
        }
        final EspTransform transform = sa.transform(reader);
        if (transform == null)
        {
            return;
        }
        final int payloadOffset = espOffset + EspHeader.LENGTH + transform.ivLength();
        final int cipherLength = end - transform.icvLength() - payloadOffset;
        if (cipherLength >= EspTrailer.LENGTH)
        {
            final int adjustment = buffer.wrapAdjustment();
            transform.prepareVerify(icvBatch, array, adjustment + espOffset, adjustment + payloadOffset, cipherLength);
        }
    }

    /** @return start of the last result in the buffer. */
    public int resultOffset()
    {
        return resultOffset;
    }

    /** @return length of the last result. */
    public int resultLength()
    {
        return resultLength;
    }

    /**
     * @return how the last outbound {@link EspVerdict#DELIVER} leaves: {@link EspCarrier#UDP} for an ESP_IN_UDP SA,
     * else {@link EspCarrier#IP} (also after PASS and DROP, and on input).
     */
    public int resultCarrier()
    {
        return resultCarrier;
    }

    /** @return where the ESP header of the last outbound result starts (after the IP and, in wire mode, UDP headers). */
    public int resultEspOffset()
    {
        return resultEspOffset;
    }

    /** @return the peer's UDP port for an {@link EspCarrier#UDP} result (the SA's encapsulation destination port). */
    public int resultPeerPort()
    {
        return resultPeerPort;
    }

    /** @return the counter the last {@link EspVerdict#DROP} was counted against, or null. */
    public XfrmCounter dropReason()
    {
        return dropReason;
    }

    /** @return the SA the last packet was matched with, or null. */
    public SecurityAssociation lastSa()
    {
        return lastSa;
    }

    /** @return the full sequence number of the last ESP packet handled, or -1. */
    public long lastSequence()
    {
        return lastSequence;
    }

    /**
     * Apply the outbound policy to a plaintext packet: protect, bypass or discard.
     *
     * @param buffer packet buffer with {@link #MAX_HEADROOM} before and {@link #MAX_TAILROOM} after the packet.
     * @param offset packet start.
     * @param length packet length.
     * @return an {@link EspVerdict}.
     */
    public int outbound(final UnsafeBuffer buffer, final int offset, final int length)
    {
        enterEpoch();
        try
        {
            return outboundInEpoch(buffer, offset, length);
        }
        finally
        {
            exitCall();
        }
    }

    private static final int DECIDED_CLEAR = 0;
    private static final int DECIDED_PROTECT = 1;
    private static final int DECIDED_DISCARD = 2;
    private static final int DECIDED_NO_STATE = 3;
    private static final int DECIDED_ICMP_ERROR = 4;

    private int outboundInEpoch(final UnsafeBuffer buffer, final int offset, final int length)
    {
        begin(offset, length);
        if (!info.parse(buffer, offset, length, true))
        {
            return drop(XfrmCounter.XfrmOutError);
        }
        final OutboundObserver observer = outboundObserver;
        final boolean watched = observer != null && observer.beforeLookup(parsed.wrap(buffer, offset));
        decideOutbound(buffer, offset);
        if (watched)
        {
            final int action = observer.afterLookup(outboundDecisionVerdict(), parsed.wrap(buffer, offset));
            if (action == OutboundObserver.HOLD)
            {
                return drop(XfrmCounter.XfrmOutNoStates); // as the kernel counts a protect policy without state
            }
            if (action == OutboundObserver.TAKEN)
            {
                dropReason = null;
                return EspVerdict.DROP; // the observer sends its copy later: not a drop of the packet
            }
            if (action == OutboundObserver.LOOK_UP_AGAIN)
            {
                decideOutbound(buffer, offset);
            }
        }
        switch (outboundDecision)
        {
            case DECIDED_CLEAR:
                counters.increment(XfrmCounter.Esp4jOutBypass);
                return EspVerdict.PASS;
            case DECIDED_DISCARD:
                return drop(XfrmCounter.XfrmOutPolBlock);
            case DECIDED_NO_STATE:
                listener.onAcquire(outboundPolicy, info.sourceHigh, info.sourceLow, info.destinationHigh,
                    info.destinationLow, info.protocol, info.sourcePort, info.destinationPort);
                return drop(XfrmCounter.XfrmOutNoStates);
            case DECIDED_ICMP_ERROR:
                return protectIcmpError(buffer, offset);
            default:
                return protectParsed(outboundSa, buffer, offset);
        }
    }

    /**
     * The outbound SPD and SAD lookup of the parsed packet, without side effects: sets {@link #outboundDecision}
     * and, as it needs, {@link #outboundPolicy} and {@link #outboundSa}.
     */
    private void decideOutbound(final UnsafeBuffer buffer, final int offset)
    {
        outboundPolicy = null;
        outboundSa = null;
        final SecurityPolicy policy = spd.lookup(PolicyDirection.OUT, info.sourceHigh, info.sourceLow,
            info.destinationHigh, info.destinationLow, info.protocol, info.sourcePort, info.destinationPort);
        if (policy == null || policy.action() == PolicyAction.BYPASS)
        {
            outboundDecision = isIcmpError(buffer, offset) && readQuotedPacket(buffer, offset) &&
                quotedFlowIsProtectedInbound() ? DECIDED_ICMP_ERROR : DECIDED_CLEAR;
            return;
        }
        if (policy.action() == PolicyAction.DISCARD)
        {
            outboundDecision = DECIDED_DISCARD;
            return;
        }
        outboundPolicy = policy;
        outboundSa = SecurityPolicyDatabase.resolveSa(policy, sad, info.destinationHigh, info.destinationLow);
        if (outboundSa == null)
        {
            outboundDecision = policy.template().optional() ? DECIDED_CLEAR : DECIDED_NO_STATE;
            return;
        }
        outboundDecision = DECIDED_PROTECT;
    }

    /** @return the lookup's answer as an {@link OutboundObserver} sees it. */
    private int outboundDecisionVerdict()
    {
        switch (outboundDecision)
        {
            case DECIDED_CLEAR:
                return EspVerdict.PASS;
            case DECIDED_PROTECT:
            case DECIDED_ICMP_ERROR:
                return EspVerdict.DELIVER;
            default:
                return EspVerdict.DROP;
        }
    }

    /**
     * Protect a plaintext packet with a given SA, bypassing the SPD. The SA may be one looked up earlier (it is
     * checked for deletion inside the call) but must belong to this processor's SAD, whose reader owns the transform.
     *
     * @param sa     the SA.
     * @param buffer packet buffer with {@link #MAX_HEADROOM} before and {@link #MAX_TAILROOM} after the packet.
     * @param offset packet start.
     * @param length packet length.
     * @return {@link EspVerdict#DELIVER} or {@link EspVerdict#DROP}.
     */
    public int protect(final SecurityAssociation sa, final UnsafeBuffer buffer, final int offset, final int length)
    {
        enterEpoch();
        try
        {
            begin(offset, length);
            if (!info.parse(buffer, offset, length, true))
            {
                return drop(XfrmCounter.XfrmOutError);
            }
            return protectParsed(sa, buffer, offset);
        }
        finally
        {
            exitCall();
        }
    }

    /**
     * Apply inbound processing to a received packet: ESP (raw or RFC 3948 UDP-encapsulated) is checked and
     * decapsulated; other packets are checked against the inbound policy.
     *
     * @param buffer packet buffer.
     * @param offset packet start.
     * @param length packet length.
     * @return an {@link EspVerdict}.
     */
    public int inbound(final UnsafeBuffer buffer, final int offset, final int length)
    {
        return receive(buffer, offset, length, true);
    }

    /**
     * Apply inbound processing to a packet a carrier received: an IP header whose protocol (or last next header) is
     * ESP, then the ESP packet, in place, with the carrier's word on how it came. Nothing is re-detected from ports:
     * a UDP carrier, whose socket took the UDP header off (and which consumed NAT-keepalives and non-ESP-marked
     * messages, see {@link UdpEncapsulation}), says {@code udpEncapsulated}; raw ESP does not. The SA must have the
     * same encapsulation (RFC 3948 §4, {@code XfrmInStateMismatch}). A packet that is not ESP is checked against the
     * inbound policy as plaintext, or, said to come from UDP, dropped as a header error.
     *
     * @param buffer          packet buffer.
     * @param offset          IP header start.
     * @param length          packet length.
     * @param udpEncapsulated true if the ESP came as the payload of an RFC 3948 UDP datagram.
     * @return an {@link EspVerdict}.
     */
    public int inbound(final UnsafeBuffer buffer, final int offset, final int length, final boolean udpEncapsulated)
    {
        enterEpoch();
        try
        {
            begin(offset, length);
            if (!info.parse(buffer, offset, length, false))
            {
                return drop(XfrmCounter.XfrmInHdrError);
            }
            if (info.protocol == IpProtocol.ESP)
            {
                return unprotectParsed(buffer, offset, info.upperOffset, udpEncapsulated, true);
            }
            return udpEncapsulated ? drop(XfrmCounter.XfrmInHdrError) : checkInboundPlaintext();
        }
        finally
        {
            exitCall();
        }
    }

    /**
     * Check and decapsulate an ESP packet (raw or UDP-encapsulated) against its SA, including the SA's own selector,
     * but without consulting the SPD (for tools that replay captures). A packet that is not ESP is dropped as a
     * header error.
     *
     * @param buffer packet buffer.
     * @param offset packet start.
     * @param length packet length.
     * @return {@link EspVerdict#DELIVER} or {@link EspVerdict#DROP} (or PASS for IKE on 4500).
     */
    public int unprotect(final UnsafeBuffer buffer, final int offset, final int length)
    {
        return receive(buffer, offset, length, false);
    }

    private int receive(final UnsafeBuffer buffer, final int offset, final int length, final boolean applyPolicy)
    {
        enterEpoch();
        try
        {
            return receiveInEpoch(buffer, offset, length, applyPolicy);
        }
        finally
        {
            exitCall();
        }
    }

    private int receiveInEpoch(
        final UnsafeBuffer buffer, final int offset, final int length, final boolean applyPolicy)
    {
        begin(offset, length);
        if (!info.parse(buffer, offset, length, false))
        {
            return drop(XfrmCounter.XfrmInHdrError);
        }
        if (info.protocol == IpProtocol.ESP)
        {
            return unprotectParsed(buffer, offset, info.upperOffset, false, applyPolicy);
        }
        if (info.protocol == IpProtocol.UDP && info.destinationPort == UdpHeader.ESP_IN_UDP_PORT)
        {
            final int udpPayload = info.upperOffset + UdpHeader.LENGTH;
            switch (UdpEncapsulation.classify(buffer, offset + udpPayload, info.packetLength - udpPayload))
            {
                case UdpEncapsulation.NAT_KEEPALIVE:
                    return drop(XfrmCounter.Esp4jInNatKeepalive); // RFC 3948 §2.3
                case UdpEncapsulation.NON_ESP_MARKER:
                    counters.increment(XfrmCounter.Esp4jInBypass);
                    return EspVerdict.PASS; // IKE, for whoever listens on 4500 (RFC 3948 §2.2)
                case UdpEncapsulation.ESP:
                    return unprotectParsed(buffer, offset, udpPayload, true, applyPolicy);
                default:
                    break;
            }
        }
        return applyPolicy ? checkInboundPlaintext() : drop(XfrmCounter.XfrmInHdrError);
    }

    private int checkInboundPlaintext()
    {
        final XfrmCounter refused = inboundPolicyRefusal(null);
        if (refused != null)
        {
            return drop(refused);
        }
        counters.increment(XfrmCounter.Esp4jInBypass);
        return EspVerdict.PASS;
    }

    /**
     * The inbound policy check of RFC 4301 §5.2 on the selector fields in {@code info}, for a packet that arrived in
     * clear ({@code sa} null) or was decapsulated with {@code sa}: a DISCARD policy blocks it; a PROTECT policy
     * accepts plaintext only when its template is optional ("level use"), and ESP only from an SA its template
     * matches.
     *
     * @param sa the SA that decapsulated the packet, or null for a packet that arrived in clear.
     * @return the counter to drop against, or null when the policy accepts the packet.
     */
    private XfrmCounter inboundPolicyRefusal(final SecurityAssociation sa)
    {
        if (spd.isEmpty())
        {
            return null;
        }
        final SecurityPolicy policy = spd.lookup(PolicyDirection.IN, info.sourceHigh, info.sourceLow,
            info.destinationHigh, info.destinationLow, info.protocol, info.sourcePort, info.destinationPort);
        if (policy == null)
        {
            return null;
        }
        if (policy.action() == PolicyAction.DISCARD)
        {
            return XfrmCounter.XfrmInPolBlock;
        }
        if (policy.action() == PolicyAction.PROTECT &&
            (sa == null ? !policy.template().optional() : !policy.templateMatches(sa)))
        {
            return XfrmCounter.XfrmInTmplMismatch;
        }
        return null;
    }

    private int protectParsed(final SecurityAssociation sa, final UnsafeBuffer buffer, final int offset)
    {
        lastSa = sa;
        final long nowNs = clock.nanoTime();
        if (!sa.checkHardLimits(nowNs))
        {
            return drop(sa.isDeleted() ? XfrmCounter.XfrmOutStateInvalid : XfrmCounter.XfrmOutStateExpired);
        }
        final byte[] array = buffer.byteArray();
        if (array == null)
        {
            return viaScratch(buffer, offset, true, sa, true, 0, false);
        }
        final EspTransform transform = sa.transform(reader);
        if (transform == null)
        {
            return drop(XfrmCounter.XfrmOutStateInvalid); // deleted since the check above
        }
        final SaConfig config = sa.config();
        final int headerLength = info.upperOffset;
        final int payloadLength = info.packetLength - headerLength;
        final int blockSize = transform.blockSize();
        final int paddedLength = EspTrailer.paddedLength(payloadLength, blockSize);
        final int padLength = paddedLength - payloadLength - EspTrailer.LENGTH;
        final boolean udp = config.encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP;
        // carrier mode: the carrier's UDP socket writes the UDP header (and the IPv6 UDP checksum)
        final int encapLength = udp && !carrierPayloads ? UdpHeader.LENGTH : 0;
        final int espHeaderLength = EspHeader.LENGTH + transform.ivLength();
        final int icvLength = transform.icvLength();
        final int newOffset = offset - encapLength - espHeaderLength;
        final int payloadOffset = offset + headerLength;
        final int end = payloadOffset + paddedLength + icvLength;
        final int totalLength = end - newOffset;
        if (newOffset < 0 || end > buffer.capacity())
        {
            return drop(XfrmCounter.XfrmOutError); // caller gave too little head- or tailroom
        }
        if (info.ipv4 ? totalLength > MAX_PACKET_LENGTH : totalLength - Ipv6Header.LENGTH > MAX_PACKET_LENGTH)
        {
            return drop(XfrmCounter.XfrmOutError);
        }
        final long sequence = sa.takeOutboundSequence();
        if (sequence < 0)
        {
            return drop(XfrmCounter.XfrmOutStateSeqError);
        }
        lastSequence = sequence;

        final int nextHeader = buffer.getByte(offset + info.nextHeaderFieldOffset) & 0xFF;
        final int adjustment = buffer.wrapAdjustment();
        System.arraycopy(array, adjustment + offset, array, adjustment + newOffset, headerLength);

        EspTrailer.write(buffer, payloadOffset + payloadLength, padLength, nextHeader);

        final int espOffset = newOffset + headerLength + encapLength;
        EspHeader.spi(buffer, espOffset, sa.spi());
        EspHeader.sequence(buffer, espOffset, sequence);
        // the UDP checksum of ESP-in-UDP over IPv6 covers the ICV, so that ICV cannot wait for the batch (in carrier
        // mode the socket computes that checksum when the packet is sent, after the batch)
        final boolean deferIcv = icvBatch != null && (encapLength == 0 || info.ipv4);
        if (!deferIcv || !transform.protectDeferred(
            icvBatch, array, adjustment + espOffset, adjustment + payloadOffset, paddedLength, sa.esn(), sequence))
        {
            transform.protect(array, adjustment + espOffset, adjustment + payloadOffset, paddedLength, sa.esn(), sequence);
        }

        buffer.putByte(newOffset + info.nextHeaderFieldOffset,
            (byte)(encapLength != 0 ? IpProtocol.UDP : IpProtocol.ESP));
        if (encapLength != 0)
        {
            UdpHeader.write(buffer, newOffset + headerLength, config.encapsulationSourcePort(),
                config.encapsulationDestinationPort(), totalLength - headerLength);
        }
        if (info.ipv4)
        {
            Ipv4Header.totalLength(buffer, newOffset, totalLength);
            Ipv4Header.updateChecksum(buffer, newOffset);
            // RFC 3948 §3.1.2: the UDP checksum of ESP-in-UDP over IPv4 is sent as zero.
        }
        else
        {
            Ipv6Header.payloadLength(buffer, newOffset, totalLength - Ipv6Header.LENGTH);
            if (encapLength != 0)
            {
                UdpHeader.updateIpv6Checksum(buffer, newOffset, newOffset + headerLength, totalLength - headerLength);
            }
        }

        if (sa.isDeleted())
        {
            return drop(XfrmCounter.XfrmOutStateInvalid); // deleted while in flight: not sent
        }
        sa.onPacket(payloadLength, nowNs);
        counters.increment(XfrmCounter.Esp4jOutProtected);
        resultOffset = newOffset;
        resultLength = totalLength;
        resultEspOffset = espOffset;
        if (udp)
        {
            resultCarrier = EspCarrier.UDP;
            resultPeerPort = config.encapsulationDestinationPort();
        }
        return EspVerdict.DELIVER;
    }

    private int unprotectParsed(
        final UnsafeBuffer buffer, final int offset, final int espAt, final boolean encapsulated, final boolean applyPolicy)
    {
        final int espOffset = offset + espAt;
        final int end = offset + info.packetLength;
        if (end - espOffset < EspHeader.LENGTH)
        {
            return drop(XfrmCounter.XfrmInHdrError);
        }
        final long spi = EspHeader.spi(buffer, espOffset);
        final SecurityAssociation sa = sad.lookup(spi, info.destinationHigh, info.destinationLow);
        if (sa == null)
        {
            return drop(XfrmCounter.XfrmInNoStates);
        }
        lastSa = sa;
        if (encapsulated != (sa.config().encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP))
        {
            return drop(XfrmCounter.XfrmInStateMismatch); // encapsulation is part of the SA (RFC 3948 §4)
        }
        final long nowNs = clock.nanoTime();
        if (!sa.checkHardLimits(nowNs))
        {
            return drop(sa.isDeleted() ? XfrmCounter.XfrmInStateInvalid : XfrmCounter.XfrmInStateExpired);
        }
        final byte[] array = buffer.byteArray();
        if (array == null)
        {
            return viaScratch(buffer, offset, false, null, applyPolicy, espAt, encapsulated);
        }
        final EspTransform transform = sa.transform(reader);
        if (transform == null)
        {
            return drop(XfrmCounter.XfrmInStateInvalid); // deleted since the check above
        }
        final int payloadOffset = espOffset + EspHeader.LENGTH + transform.ivLength();
        final int icvLength = transform.icvLength();
        final int cipherLength = end - icvLength - payloadOffset;
        final int blockSize = transform.blockSize();
        if (cipherLength < EspTrailer.LENGTH || (blockSize > 4 && cipherLength % blockSize != 0))
        {
            return drop(XfrmCounter.XfrmInStateProtoError);
        }

        final long wireSequence = EspHeader.sequence(buffer, espOffset);
        final long sequence = sa.replayPreCheck(wireSequence);
        if (sequence < 0)
        {
            lastSequence = wireSequence;
            sa.counters().onReplayDrop();
            return drop(XfrmCounter.XfrmInStateSeqError);
        }
        lastSequence = sequence;
        final int adjustment = buffer.wrapAdjustment();
        final boolean verified = icvBatch == null ?
            transform.verify(array, adjustment + espOffset, adjustment + payloadOffset, cipherLength, sa.esn(), sequence) :
            transform.verify(icvBatch, array, adjustment + espOffset, adjustment + payloadOffset, cipherLength, sa.esn(),
            sequence);
        if (!verified)
        {
            sa.counters().onIntegrityFailure();
            return drop(XfrmCounter.XfrmInStateProtoError);
        }
        if (!sa.replayCheckAndUpdate(sequence))
        {
            sa.counters().onReplayDrop();
            return drop(XfrmCounter.XfrmInStateSeqError); // lost a race with a copy of the same packet
        }
        transform.decrypt(array, adjustment + espOffset, adjustment + payloadOffset, cipherLength);

        final int trailerOffset = payloadOffset + cipherLength - EspTrailer.LENGTH;
        final int padLength = EspTrailer.padLength(buffer, trailerOffset);
        final int nextHeader = EspTrailer.nextHeader(buffer, trailerOffset);
        final int innerLength = cipherLength - EspTrailer.LENGTH - padLength;
        if (innerLength < 0)
        {
            return drop(XfrmCounter.XfrmInStateProtoError);
        }
        if (!EspTrailer.isPaddingValid(buffer, payloadOffset + innerLength, padLength))
        {
            return drop(XfrmCounter.XfrmInStateProtoError); // RFC 4303 §2.4 padding must be 1, 2, 3, ...
        }
        sa.onPacket(innerLength, nowNs);
        if (nextHeader == IpProtocol.IPV6_NO_NEXT_HEADER)
        {
            return drop(XfrmCounter.Esp4jInDummy); // RFC 4303 §2.6: verified dummy packet, discard silently
        }

        final int headerLength = info.upperOffset;
        final int newOffset = payloadOffset - headerLength;
        System.arraycopy(array, adjustment + offset, array, adjustment + newOffset, headerLength);
        buffer.putByte(newOffset + info.nextHeaderFieldOffset, (byte)nextHeader);
        final int totalLength = headerLength + innerLength;
        if (info.ipv4)
        {
            Ipv4Header.totalLength(buffer, newOffset, totalLength);
            Ipv4Header.updateChecksum(buffer, newOffset);
        }
        else
        {
            Ipv6Header.payloadLength(buffer, newOffset, totalLength - Ipv6Header.LENGTH);
        }
        resultOffset = newOffset;
        resultLength = totalLength;

        // RFC 4301 §5.2 step 4: the decapsulated packet must fit the SA's selector and the inbound policy, on its
        // upper-layer protocol and ports (behind any IPv6 destination options that ESP protected).
        info.packetLength = totalLength;
        if (!info.findSelectorFields(buffer, newOffset, info.nextHeaderFieldOffset, headerLength, totalLength))
        {
            return drop(XfrmCounter.XfrmInHdrError);
        }
        if (!sa.config().selector().matches(info.sourceHigh, info.sourceLow, info.destinationHigh,
            info.destinationLow, info.protocol, info.sourcePort, info.destinationPort) &&
            !isIcmpErrorForSa(sa, buffer, newOffset))
        {
            return drop(XfrmCounter.XfrmInStateMismatch);
        }
        final XfrmCounter refused = applyPolicy ? inboundPolicyRefusal(sa) : null;
        if (refused != null)
        {
            return drop(refused);
        }
        if (sa.isDeleted())
        {
            return drop(XfrmCounter.XfrmInStateInvalid); // deleted while in flight: not delivered
        }
        counters.increment(XfrmCounter.Esp4jInDelivered);
        return EspVerdict.DELIVER;
    }

    /**
     * Buffers that do not wrap an array (direct memory) are copied into the scratch array, processed there, and
     * the result copied back to the same place relative to the packet.
     */
    private int viaScratch(
        final UnsafeBuffer buffer,
        final int offset,
        final boolean protect,
        final SecurityAssociation sa,
        final boolean applyPolicy,
        final int espAt,
        final boolean encapsulated)
    {
        final int length = info.packetLength;
        final int head = Math.min(offset, MAX_HEADROOM);
        final int tail = Math.min(buffer.capacity() - offset - length, MAX_TAILROOM);
        if (length > MAX_PACKET_LENGTH || tail < 0)
        {
            return drop(protect ? XfrmCounter.XfrmOutError : XfrmCounter.XfrmInBufferError);
        }
        final int scratchOffset = MAX_HEADROOM;
        scratch.putBytes(scratchOffset - head, buffer, offset - head, head + length + tail);
        // the result is copied back at once, so its ICV cannot wait for a batch
        final IcvBatch batch = icvBatch;
        icvBatch = null;
        final int verdict;
        try
        {
            // info still describes the packet: its offsets are relative to the packet start
            verdict = protect ? protect(sa, scratch, scratchOffset, length) :
                unprotectParsed(scratch, scratchOffset, espAt, encapsulated, applyPolicy);
        }
        finally
        {
            icvBatch = batch;
        }
        if (verdict == EspVerdict.DELIVER)
        {
            final int relative = resultOffset - scratchOffset;
            if (offset + relative < 0 || offset + relative + resultLength > buffer.capacity())
            {
                return drop(protect ? XfrmCounter.XfrmOutError : XfrmCounter.XfrmInBufferError);
            }
            buffer.putBytes(offset + relative, scratch, resultOffset, resultLength);
            resultEspOffset += offset - scratchOffset;
            resultOffset = offset + relative;
        }
        return verdict;
    }

    /** @return true if the parsed packet is an ICMP (IPv4) or ICMPv6 error message with room for a quoted packet. */
    private boolean isIcmpError(final UnsafeBuffer buffer, final int offset)
    {
        if (info.packetLength - info.upperOffset < IcmpHeader.LENGTH)
        {
            return false;
        }
        final int type = IcmpHeader.type(buffer, offset + info.upperOffset);
        return info.ipv4 ?
            info.protocol == IpProtocol.ICMP && IcmpHeader.isIpv4Error(type) :
            info.protocol == IpProtocol.ICMPV6 && IcmpHeader.isIpv6Error(type);
    }

    /**
     * Read the selector of the packet quoted by the ICMP error at {@code info.upperOffset} into the quoted* fields:
     * addresses, the upper protocol (behind IPv6 extension headers) and, where quoted, the ports.
     *
     * @return false if the quoted packet is too short for its IP header or of another IP version.
     */
    private boolean readQuotedPacket(final UnsafeBuffer buffer, final int offset)
    {
        final int quoted = offset + info.upperOffset + IcmpHeader.QUOTED_PACKET_OFFSET;
        final int end = offset + info.packetLength;
        final int upper;
        if (info.ipv4)
        {
            if (end - quoted < Ipv4Header.MIN_LENGTH || Ipv4Header.version(buffer, quoted) != Ipv4Header.VERSION)
            {
                return false;
            }
            quotedSourceHigh = IpAddressBits.IPV4_MAPPED_HIGH;
            quotedSourceLow = IpAddressBits.ipv4Low(Ipv4Header.source(buffer, quoted));
            quotedDestinationHigh = IpAddressBits.IPV4_MAPPED_HIGH;
            quotedDestinationLow = IpAddressBits.ipv4Low(Ipv4Header.destination(buffer, quoted));
            quotedProtocol = Ipv4Header.protocol(buffer, quoted);
            upper = quoted + Math.max(Ipv4Header.MIN_LENGTH, Ipv4Header.headerLength(buffer, quoted));
        }
        else
        {
            if (end - quoted < Ipv6Header.LENGTH || Ipv4Header.version(buffer, quoted) != Ipv6Header.VERSION)
            {
                return false;
            }
            quotedSourceHigh = Ipv6Header.sourceHigh(buffer, quoted);
            quotedSourceLow = Ipv6Header.sourceLow(buffer, quoted);
            quotedDestinationHigh = Ipv6Header.destinationHigh(buffer, quoted);
            quotedDestinationLow = Ipv6Header.destinationLow(buffer, quoted);
            // the quote may be cut short: a walk that runs past its end still says how far it got
            final long walk = Ipv6Header.walkExtensionHeaders(
                buffer, quoted, end - quoted, Ipv6Header.WALK_THROUGH_FRAGMENTS);
            quotedProtocol = Ipv6Header.walkProtocol(walk);
            upper = quoted + Ipv6Header.walkUpperOffset(walk);
        }
        quotedSourcePort = 0;
        quotedDestinationPort = 0;
        if (IpProtocol.hasPorts(quotedProtocol) && upper + 4 <= end)
        {
            quotedSourcePort = UdpHeader.sourcePort(buffer, upper);
            quotedDestinationPort = UdpHeader.destinationPort(buffer, upper);
        }
        return true;
    }

    /** @return true if an inbound policy requires ESP for the quoted packet (one this host received). */
    private boolean quotedFlowIsProtectedInbound()
    {
        final SecurityPolicy in = spd.lookup(PolicyDirection.IN, quotedSourceHigh, quotedSourceLow,
            quotedDestinationHigh, quotedDestinationLow, quotedProtocol, quotedSourcePort, quotedDestinationPort);
        return in != null && in.action() == PolicyAction.PROTECT && !in.template().optional();
    }

    /**
     * An ICMP error about a protected flow: protect it with the SA of the reverse (outbound) flow if that SA carries
     * {@code flag icmp}, else drop it, so the quoted plaintext never leaves in clear.
     */
    private int protectIcmpError(final UnsafeBuffer buffer, final int offset)
    {
        final SecurityPolicy out = spd.lookup(PolicyDirection.OUT, quotedDestinationHigh, quotedDestinationLow,
            quotedSourceHigh, quotedSourceLow, quotedProtocol, quotedDestinationPort, quotedSourcePort);
        if (out != null && out.action() == PolicyAction.PROTECT)
        {
            final SecurityAssociation sa = SecurityPolicyDatabase.resolveSa(
                out, sad, quotedSourceHigh, quotedSourceLow);
            if (sa != null && sa.config().icmp() && sa.destinationHigh() == info.destinationHigh &&
                sa.destinationLow() == info.destinationLow)
            {
                return protectParsed(sa, buffer, offset);
            }
        }
        return drop(XfrmCounter.Esp4jOutIcmpErrorBlock);
    }

    /**
     * Inbound side of {@code flag icmp}: a decrypted ICMP error whose quoted packet (one this host sent) fits the SA's
     * selector once reversed.
     */
    private boolean isIcmpErrorForSa(final SecurityAssociation sa, final UnsafeBuffer buffer, final int offset)
    {
        if (!sa.config().icmp())
        {
            return false;
        }
        // info holds the decapsulated packet: the protocol found behind the headers, the ICMP header at upperOffset
        return isIcmpError(buffer, offset) && readQuotedPacket(buffer, offset) &&
            sa.config().selector().matches(quotedDestinationHigh, quotedDestinationLow, quotedSourceHigh,
            quotedSourceLow, quotedProtocol, quotedDestinationPort, quotedSourcePort);
    }

    private void begin(final int offset, final int length)
    {
        resultOffset = offset;
        resultLength = length;
        resultCarrier = EspCarrier.IP;
        resultEspOffset = offset;
        resultPeerPort = 0;
        outboundPolicy = null;
        outboundSa = null;
        dropReason = null;
        lastSa = null;
        lastSequence = -1;
    }

    private int drop(final XfrmCounter reason)
    {
        dropReason = reason;
        counters.increment(reason);
        return EspVerdict.DROP;
    }
}
