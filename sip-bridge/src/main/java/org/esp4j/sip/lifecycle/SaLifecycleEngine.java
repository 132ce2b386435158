package org.esp4j.sip.lifecycle;

import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.message.HeaderNames;
import org.esp4j.sip.message.SipHeader;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.secagree.SecAgreeException;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The IMS security-association lifecycle driven by REGISTER exchanges, for the UE (TS 24.229 §5.1.1) or the
 * P-CSCF (TS 24.229 §5.2.2) role, after TS 33.203 §7 and RFC 3329.
 * <ul>
 * <li>An unprotected REGISTER with Security-Client opens a round; its offers are recorded.</li>
 * <li>The 401 creates the temporary set, lifetime reg-await-auth. The P-CSCF takes the Security-Server already in
 * the 401, or, when the S-CSCF's 401 has none, chooses from the offers by local preference, allocates spi-c,
 * spi-s and port-c from its pools, adds Security-Server and strips {@code ck}/{@code ik}. A passive P-CSCF (one
 * that only watches, {@link LifecycleConfig#passive()}) keeps the keys of the S-CSCF's 401 instead and creates the
 * set from the 401 the P-CSCF application sends to the UE. The UE takes the Security-Server offer with the highest
 * {@code q} that it supports.</li>
 * <li>The REGISTER over the temporary set must carry a Security-Verify equal to the Security-Server sent and a
 * Security-Client equal to the round's first one (bidding-down protection, RFC 3329 §2.3.1 step 5), else it is
 * rejected with 494 and the temporary set deleted.</li>
 * <li>Its 200 OK establishes the set with lifetime = registration expiry + 30 s; a set it replaces becomes old and
 * is deleted when the new set carries its first message.</li>
 * <li>A 200 OK to a REGISTER over the established set extends its lifetime; a de-registration (expires=0) deletes
 * every set once its final response has been seen, or once it has gone unanswered for 64*T1 (its 200 OK lost); a
 * failure response deletes the temporary set.</li>
 * </ul>
 * Messages are fed as they cross the wire: responses act when seen travelling to the UE, except a 401 from the
 * network, which the P-CSCF completes before forwarding. Not thread-safe: drive one engine from one thread.
 */
public final class SaLifecycleEngine
{
    private static final int BIDDING_DOWN_STATUS = 494;
    /**
     * How long a de-REGISTER waits for its final response before the engine takes it as timed out: 64*T1 with T1 =
     * 500 ms, RFC 3261 §17.1.2.2 Timer F of the UE's non-INVITE client transaction.
     */
    public static final long DEREGISTER_TRANSACTION_TIMEOUT_NS = 32_000_000_000L;

    private final LifecycleConfig config;
    private final Role role;
    private final SecurityAssociationSink sink;
    private final LifecycleListener listener;
    private final AkaChallengeHandler aka;
    private final SecurityHeaderCache securityHeaders = new SecurityHeaderCache();
    private final Map<String, Registration> byCallId = new HashMap<>();
    private final Map<FlowKey, Binding> byFlow = new HashMap<>();
    private final Map<SpiKey, Binding> bySpi = new HashMap<>();
    /**
     * How many bindings and registration rounds name each port, and the ports named at least once as 65,536 bits:
     * {@link #protectedPorts()} follows the changes instead of walking every binding after each SIP event.
     */
    private final int[] portUses = new int[1 << 16];
    private final long[] portBits = new long[(1 << 16) / Long.SIZE];
    private long portChanges;
    private List<LifecycleEvent> out = new ArrayList<>();
    private long flowConflicts;

    private record Binding(Registration registration, SaSet set, SaSpec sa)
    {
    }

    private record SpiKey(InetAddress dst, long spi)
    {
    }

    /**
     * @param config   settings.
     * @param sink     where SAs go.
     * @param listener receives every event as it happens.
     */
    public SaLifecycleEngine(final LifecycleConfig config, final SecurityAssociationSink sink, final LifecycleListener listener)
    {
        this.config = config;
        this.role = config.role();
        this.sink = sink;
        this.listener = listener;
        this.aka = new AkaChallengeHandler(config, this::emit);
        config.portPool().reserve(config.protectedServerPort());
    }

    /**
     * Process one SIP message.
     *
     * @param message the message.
     * @param src     source address.
     * @param srcPort source port.
     * @param dst     destination address.
     * @param dstPort destination port.
     * @return what the engine did, in order.
     */
    public List<LifecycleEvent> onMessage(
        final SipMessage message, final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort)
    {
        out = new ArrayList<>(4);
        final Binding binding = byFlow.get(new FlowKey(src, srcPort, dst, dstPort));
        try
        {
            retireOldSetOnFirstUse(binding);
            if (message.isRequest())
            {
                if ("REGISTER".equalsIgnoreCase(message.method()))
                {
                    onRegister(message, src, dst, binding);
                }
            }
            else if ("REGISTER".equalsIgnoreCase(message.cseqMethod()))
            {
                onRegisterResponse(message, dst);
            }
        }
        catch (final SipParseException ex)
        {
            emit(LifecycleEvent.parseError(ex.getMessage()));
        }
        catch (final IllegalArgumentException ex)
        {
            // Values that parse but cannot be used (a key of the wrong length, ...): report, never crash.
            emit(LifecycleEvent.of(LifecycleEvent.Type.WARNING, null, null, ex.getMessage()));
        }
        return out;
    }

    /**
     * Delete sets whose lifetime has run out at the clock's current time.
     *
     * @return what the engine did.
     */
    public List<LifecycleEvent> expire()
    {
        out = new ArrayList<>(0);
        final long nowNs = config.nanoClock().getAsLong();
        final Iterator<Registration> it = byCallId.values().iterator();
        while (it.hasNext())
        {
            final Registration registration = it.next();
            expireUnansweredDeregistration(registration, nowNs);
            if (registration.temporary != null && nowNs - registration.temporary.expiresAtNs >= 0)
            {
                deleteSet(registration, registration.temporary, "reg-await-auth timer expired before the 200 OK");
            }
            if (registration.old != null && nowNs - registration.old.expiresAtNs >= 0)
            {
                deleteSet(registration, registration.old, "old set lifetime expired");
            }
            if (registration.established != null && nowNs - registration.established.expiresAtNs >= 0)
            {
                deleteSet(registration, registration.established, "registration expired");
            }
            if (registration.temporary == null && registration.established == null && registration.old == null &&
                (registration.pending.isEmpty() || nowNs - registration.lastActivityNs >= config.regAwaitAuthNs()))
            {
                // Nothing installed and no transaction answered within reg-await-auth: forget it.
                it.remove();
                forgotten(registration);
            }
        }
        return out;
    }

    /**
     * A de-REGISTER that saw no final response within {@link #DEREGISTER_TRANSACTION_TIMEOUT_NS} has timed out at
     * the UE (RFC 3261 §17.1.2.2, Timer F), and the UE takes the registration as ended: delete every set the
     * de-registration was ending, as its 200 OK would have (a lost 200 OK would otherwise leave the SAs until their
     * lifetime, registration expiry + 30 s). Only when it is the registration's latest REGISTER: after a newer one
     * the UE has moved on, and the old transaction is just forgotten.
     */
    private void expireUnansweredDeregistration(final Registration registration, final long nowNs)
    {
        if (registration.pending.isEmpty())
        {
            return;
        }
        final Iterator<Registration.PendingRegister> pending = registration.pending.values().iterator();
        while (pending.hasNext())
        {
            final Registration.PendingRegister register = pending.next();
            if (register.deregister() && nowNs - register.sentAtNs() >= DEREGISTER_TRANSACTION_TIMEOUT_NS)
            {
                if (register.cseq() == registration.lastCseq)
                {
                    deleteAll(registration, "de-REGISTER CSeq " + register.cseq() + " got no final response " +
                        "within 64*T1 (RFC 3261 Timer F)");
                    return; // deleteAll cleared the pending transactions
                }
                pending.remove();
            }
        }
    }

    /**
     * @param src     source address.
     * @param srcPort source port.
     * @param dst     destination address.
     * @param dstPort destination port.
     * @return the SA whose selector matches this flow, if any.
     */
    public Optional<SaSpec> protectingSa(final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort)
    {
        final Binding binding = byFlow.get(new FlowKey(src, srcPort, dst, dstPort));
        return binding == null ? Optional.empty() : Optional.of(binding.sa);
    }

    /**
     * @return every port sec-agree has named for protected traffic, ascending: the selector ports of the installed
     * SAs, and the UE's port-c and port-s from the Security-Client of each registration's round, whose SAs may not
     * exist yet (a watcher must look at the first protected request before it knows the P-CSCF's ports).
     */
    public int[] protectedPorts()
    {
        int count = 0;
        for (final long word : portBits)
        {
            count += Long.bitCount(word);
        }
        final int[] ports = new int[count];
        int at = 0;
        for (int i = 0; i < portBits.length; i++)
        {
            for (long word = portBits[i]; word != 0; word &= word - 1)
            {
                ports[at++] = i * Long.SIZE + Long.numberOfTrailingZeros(word);
            }
        }
        return ports;
    }

    /**
     * @return a count that moves whenever a port enters or leaves {@link #protectedPorts()}: a watcher that remembers
     * it rebuilds its port filter only when it moved.
     */
    public long protectedPortsChanges()
    {
        return portChanges;
    }

    /**
     * Add {@link #protectedPorts()} to a 65,536-bit set (bit {@code p & 63} of word {@code p >>> 6}), in time that does
     * not depend on the number of SAs.
     *
     * @param bits 1,024 words.
     */
    public void protectedPortsInto(final long[] bits)
    {
        for (int i = 0; i < portBits.length; i++)
        {
            bits[i] |= portBits[i];
        }
    }

    private void usePort(final int port, final int uses)
    {
        if (port < 0 || port >= portUses.length)
        {
            return;
        }
        final int before = portUses[port];
        portUses[port] = before + uses;
        if ((before == 0) != (before + uses == 0))
        {
            portBits[port >>> 6] ^= 1L << port;
            portChanges++;
        }
    }

    private void useOfferPorts(final List<SecurityMechanism> offers, final int uses)
    {
        for (final SecurityMechanism offer : offers)
        {
            if (offer.isIpsec3gpp())
            {
                usePort(offer.portC(), uses);
                usePort(offer.portS(), uses);
            }
        }
    }

    /** A registration's new round: its Security-Client's ports are protected ports from now on. */
    private void roundClient(final Registration registration, final List<SecurityMechanism> client)
    {
        useOfferPorts(registration.roundClient, -1);
        registration.roundClient = client;
        useOfferPorts(client, 1);
    }

    /** A registration left the books: its round's ports no longer count. */
    private void forgotten(final Registration registration)
    {
        useOfferPorts(registration.roundClient, -1);
    }

    private void forget(final Registration registration)
    {
        if (byCallId.remove(registration.callId, registration))
        {
            forgotten(registration);
        }
    }

    private void bind(final SaSpec sa, final Binding binding)
    {
        if (byFlow.put(FlowKey.of(sa), binding) == null)
        {
            usePort(sa.srcPort(), 1);
            usePort(sa.dstPort(), 1);
        }
    }

    private void unbind(final SaSpec sa)
    {
        if (byFlow.remove(FlowKey.of(sa)) != null)
        {
            usePort(sa.srcPort(), -1);
            usePort(sa.dstPort(), -1);
        }
    }

    /**
     * @return sets a passive P-CSCF could not install because another live registration uses the flow or SPI.
     */
    public long flowConflicts()
    {
        return flowConflicts;
    }

    /**
     * @return number of registrations with state (sets or open transactions).
     */
    public int registrationCount()
    {
        return byCallId.size();
    }

    /**
     * @return every SA the engine has installed and not removed, newest set last.
     */
    public List<SaSpec> activeSas()
    {
        final List<SaSpec> sas = new ArrayList<>(byFlow.size());
        for (final Binding binding : byFlow.values())
        {
            sas.add(binding.sa);
        }
        return sas;
    }

    private void onRegister(final SipMessage message, final InetAddress src, final InetAddress dst, final Binding binding)
    {
        final String callId = message.requireHeader(HeaderNames.CALL_ID);
        final long cseq = message.cseqNumber();
        final List<SecurityMechanism> client;
        final List<SecurityMechanism> verify;
        try
        {
            client = securityHeaders.fromMessage(message, "Security-Client");
            verify = securityHeaders.fromMessage(message, "Security-Verify");
        }
        catch (final SecAgreeException ex)
        {
            final Registration known = byCallId.get(callId);
            reject(known == null ? null : known.identity(), 400, ex.getMessage());
            return;
        }

        Registration registration = byCallId.get(callId);
        if (registration == null)
        {
            if (client.isEmpty() || binding != null)
            {
                return;
            }
            registration = new Registration(callId, src, dst);
            byCallId.put(callId, registration);
        }
        else if (!src.equals(registration.ueAddress))
        {
            // The P-CSCF's copy towards the S-CSCF: sec-agree headers are stripped there, nothing to do.
            return;
        }
        final String branch = RegisterHeaders.topViaBranch(message);
        if (cseq == registration.lastCseq && branch != null && branch.equals(registration.lastBranch))
        {
            // Same Call-ID, CSeq and branch: the client's timer re-sent it (it may cross our 401). The round, its
            // temporary set and the challenge stand; the answer to it is the same 401 (no second AKA run).
            emit(LifecycleEvent.of(LifecycleEvent.Type.RETRANSMISSION_IGNORED, registration.identity(), null,
                "REGISTER CSeq " + cseq + " branch " + branch + " seen before"));
            return;
        }
        registration.lastCseq = cseq;
        registration.lastBranch = branch;
        final String authorizationText = message.header(HeaderNames.AUTHORIZATION);
        final DigestParams authorization = authorizationText == null ? null :
            DigestParams.parse("Authorization", authorizationText);
        registration.identify(RegisterHeaders.impi(message, authorization), RegisterHeaders.contactUri(message));
        registration.lastActivityNs = config.nanoClock().getAsLong();
        final boolean deregister = RegisterHeaders.isDeregistration(message);
        final SaSet via = binding != null && binding.registration == registration ? binding.set : null;

        if (via == null)
        {
            if (client.isEmpty())
            {
                return;
            }
            if (registration.temporary != null)
            {
                // A new unprotected round (e.g. after a MAC or SQN failure) supersedes the pending challenge.
                deleteSet(registration, registration.temporary, "superseded by an unprotected REGISTER");
            }
            roundClient(registration, client);
            emit(LifecycleEvent.of(LifecycleEvent.Type.SECURITY_CLIENT_RECORDED, registration.identity(), null,
                client.size() + " mechanism(s): " + SecurityHeaders.summary(client),
                client.size() + " mechanism(s): " + SecurityHeaders.format(client)));
        }
        else if (via == registration.temporary)
        {
            if (!verify.equals(via.serverHeader))
            {
                bidDown(registration, "Security-Verify does not equal the Security-Server sent in the 401");
                return;
            }
            if (!client.equals(registration.roundClient))
            {
                bidDown(registration, "Security-Client differs from the one of the first REGISTER");
                return;
            }
            aka.checkDigest(registration, message, authorization);
        }
        else
        {
            if (!verify.equals(via.serverHeader))
            {
                reject(registration.identity(), BIDDING_DOWN_STATUS,
                    "Security-Verify does not equal the Security-Server of the " + via.state + " set");
                return;
            }
            if (!client.isEmpty())
            {
                if (registration.temporary != null)
                {
                    deleteSet(registration, registration.temporary, "superseded by a new re-registration round");
                }
                roundClient(registration, client);
                emit(LifecycleEvent.of(LifecycleEvent.Type.SECURITY_CLIENT_RECORDED, registration.identity(), null,
                    "re-registration, " + client.size() + " mechanism(s): " + SecurityHeaders.summary(client),
                    "re-registration, " + client.size() + " mechanism(s): " + SecurityHeaders.format(client)));
            }
        }
        registration.pending.put(cseq, new Registration.PendingRegister(cseq, deregister, via, message.requestUri(),
            registration.lastActivityNs));
    }

    private void onRegisterResponse(final SipMessage message, final InetAddress dst)
    {
        final Registration registration = byCallId.get(message.requireHeader(HeaderNames.CALL_ID));
        if (registration == null)
        {
            return;
        }
        final long cseq = message.cseqNumber();
        final Registration.PendingRegister pending = registration.pending.get(cseq);
        final int status = message.statusCode();
        if (pending == null || status < 200)
        {
            return;
        }
        final boolean towardsUe = dst.equals(registration.ueAddress);
        if (status == 401 || status == 407)
        {
            onChallenge(registration, pending, message, towardsUe);
            if (towardsUe)
            {
                registration.pending.remove(cseq);
            }
            return;
        }
        if (!towardsUe)
        {
            return;
        }
        registration.pending.remove(cseq);
        if (status < 300)
        {
            final long expirySeconds = pending.deregister() ? 0 :
                RegisterHeaders.registrationExpirySeconds(message, registration.contact, config.defaultRegistrationExpirySeconds());
            if (pending.deregister())
            {
                deleteAll(registration, "de-registered (expires=0), final response sent");
            }
            else if (pending.via() != null && pending.via() == registration.temporary)
            {
                establish(registration, expirySeconds);
            }
            else if (pending.via() != null && pending.via() == registration.established)
            {
                extend(registration, expirySeconds);
            }
        }
        else if (registration.temporary != null)
        {
            deleteSet(registration, registration.temporary, "REGISTER failed with " + status + " " + message.reasonPhrase());
        }
        if (registration.isEmpty())
        {
            forget(registration);
        }
    }

    private void onChallenge(
        final Registration registration,
        final Registration.PendingRegister pending,
        final SipMessage message,
        final boolean towardsUe)
    {
        final String authenticateName = message.statusCode() == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
        final String authenticate = message.header(authenticateName);
        final DigestParams challenge = authenticate == null ? null : DigestParams.parse(authenticateName, authenticate);
        final List<SecurityMechanism> offered;
        try
        {
            offered = securityHeaders.fromMessage(message, "Security-Server");
        }
        catch (final SecAgreeException ex)
        {
            reject(registration.identity(), 500, ex.getMessage());
            return;
        }
        final boolean networkKeys = challenge != null && challenge.get("ck") != null && challenge.get("ik") != null;

        if (offered.isEmpty() && role == Role.PCSCF && config.passive())
        {
            learnNetworkKeys(registration, pending, challenge, networkKeys, towardsUe);
            return;
        }
        if (!offered.isEmpty() && registration.temporary != null && offered.equals(registration.temporary.serverHeader))
        {
            // The same challenge seen again (the P-CSCF's forwarded copy, or a retransmission).
            return;
        }
        if (offered.isEmpty() && registration.temporary != null && challenge != null && registration.challenge != null &&
            challenge.get("nonce") != null && challenge.get("nonce").equals(registration.challenge.nonce()))
        {
            // The S-CSCF retransmitted its 401: answer with the same Security-Server, allocate nothing new.
            rewriteChallenge(registration, message, challenge, registration.temporary.serverHeader);
            return;
        }

        final SaSet set;
        List<SecurityMechanism> serverHeader = offered;
        if (offered.isEmpty())
        {
            if (role == Role.UE)
            {
                emit(LifecycleEvent.of(LifecycleEvent.Type.WARNING, registration.identity(), null,
                    message.statusCode() + " without Security-Server: no SAs"));
                return;
            }
            final SecurityMechanism chosenClient = chooseByLocalPreference(registration.roundClient);
            if (chosenClient == null)
            {
                reject(registration.identity(), BIDDING_DOWN_STATUS,
                    "Security-Client offers no ipsec-3gpp mechanism the P-CSCF supports");
                return;
            }
            if (registration.temporary != null)
            {
                deleteSet(registration, registration.temporary, "superseded by a new challenge");
            }
            set = allocate(registration, chosenClient);
            if (set == null)
            {
                return;
            }
            serverHeader = set.serverHeader;
        }
        else
        {
            final SecurityMechanism[] pair = chooseHighestQ(registration.roundClient, offered);
            if (pair == null)
            {
                reject(registration.identity(), BIDDING_DOWN_STATUS,
                    "Security-Server offers no ipsec-3gpp mechanism that the Security-Client offered and that is supported");
                return;
            }
            if (registration.temporary != null)
            {
                deleteSet(registration, registration.temporary, "superseded by a new challenge");
            }
            set = new SaSet(pair[0], pair[1], offered);
            if (role == Role.PCSCF && !reserve(registration, set))
            {
                return;
            }
        }
        emit(LifecycleEvent.of(LifecycleEvent.Type.MECHANISM_CHOSEN, registration.identity(), null,
            org.esp4j.sip.secagree.SecAgreeAlgorithms.algToken(set.server.alg(), set.server.effectiveEalg()) + "/" +
            org.esp4j.sip.secagree.SecAgreeAlgorithms.ealgToken(set.server.alg(), set.server.effectiveEalg()) +
            (set.server.hasQ() ? " q=" + set.server.q() : "") + " by " + (offered.isEmpty() ? "local preference" : "highest q in Security-Server")));

        final Registration.Challenge keys = withKeptKeys(registration.challenge,
            aka.keysFor(registration, pending, challenge, networkKeys));
        registration.challenge = keys;
        if (keys == null)
        {
            // UE with known K whose AKA check failed: the UE does not create SAs (TS 33.203 §6.1.2).
            releaseReservations(set);
            return;
        }
        if (install(registration, set, keys.ik(), keys.ck()) && role == Role.PCSCF && !config.passive() &&
            (offered.isEmpty() || networkKeys))
        {
            rewriteChallenge(registration, message, challenge, offered.isEmpty() ? serverHeader : null);
        }
    }

    /**
     * A passive P-CSCF and a 401 without Security-Server: the S-CSCF's, on its way to the P-CSCF application, which
     * will choose the Security-Server itself. Keep the keys for the copy it sends to the UE; allocate nothing.
     */
    private void learnNetworkKeys(
        final Registration registration,
        final Registration.PendingRegister pending,
        final DigestParams challenge,
        final boolean networkKeys,
        final boolean towardsUe)
    {
        if (towardsUe)
        {
            emit(LifecycleEvent.of(LifecycleEvent.Type.WARNING, registration.identity(), null,
                "the P-CSCF's 401 to the UE carries no Security-Server: no SAs"));
            return;
        }
        final Registration.Challenge keys = aka.keysFor(registration, pending, challenge, networkKeys);
        registration.challenge = keys;
        emit(LifecycleEvent.of(LifecycleEvent.Type.NETWORK_KEYS_LEARNT, registration.identity(), null,
            (keys.ik() == null ? "no keys in the S-CSCF's 401 (no ck/ik, no K)" :
            networkKeys ? "ck/ik of the S-CSCF's 401" : "keys from the configured K") +
            "; SAs follow the Security-Server of the P-CSCF's 401 to the UE"));
    }

    /**
     * The P-CSCF forwards the S-CSCF's challenge with {@code ck}/{@code ik} stripped (TS 33.203 §6.1): when the copy
     * seen now has no keys of its own, they are those kept from the S-CSCF's copy with the same nonce.
     */
    private static Registration.Challenge withKeptKeys(final Registration.Challenge kept, final Registration.Challenge keys)
    {
        if (keys == null || keys.ik() != null || kept == null || kept.ik() == null || keys.nonce() == null ||
            !keys.nonce().equals(kept.nonce()))
        {
            return keys;
        }
        return new Registration.Challenge(keys.realm(), keys.nonce(), keys.version(),
            keys.res() != null ? keys.res() : kept.res(), kept.ck(), kept.ik());
    }

    private SecurityMechanism chooseByLocalPreference(final List<SecurityMechanism> offers)
    {
        for (final AlgorithmPair preferred : config.preference())
        {
            for (final SecurityMechanism offer : offers)
            {
                if (preferred.matches(offer))
                {
                    return offer;
                }
            }
        }
        return null;
    }

    private SecurityMechanism[] chooseHighestQ(final List<SecurityMechanism> clientOffers, final List<SecurityMechanism> serverOffers)
    {
        return SecurityHeaders.chooseHighestQ(clientOffers, serverOffers, this::isSupported);
    }

    private boolean isSupported(final SecurityMechanism mechanism)
    {
        for (final AlgorithmPair pair : config.preference())
        {
            if (pair.matches(mechanism))
            {
                return true;
            }
        }
        return false;
    }

    private SaSet allocate(final Registration registration, final SecurityMechanism client)
    {
        final SpiPool spis = config.spiPool();
        final PortPool ports = config.portPool();
        long spiC = -1;
        long spiS = -1;
        try
        {
            spiC = spis.allocate();
            spiS = spis.allocate();
            final int portC = ports.allocate();
            final SecurityMechanism server = SecurityMechanism.ipsec3gpp(client.alg(),
                client.effectiveEalg() == org.esp4j.core.crypto.EncryptionAlgorithm.AES_GMAC ? client.effectiveEalg() : client.ealg(),
                spiC, spiS, portC, config.protectedServerPort());
            final SaSet set = new SaSet(client, server, List.of(server));
            set.reservedSpis.add(spiC);
            set.reservedSpis.add(spiS);
            set.reservedPorts.add(portC);
            set.allocated = true;
            return set;
        }
        catch (final PoolExhaustedException ex)
        {
            if (spiC >= 0)
            {
                spis.release(spiC);
            }
            if (spiS >= 0)
            {
                spis.release(spiS);
            }
            reject(registration.identity(), 503, "cannot create SAs: " + ex.getMessage());
            return null;
        }
    }

    private boolean reserve(final Registration registration, final SaSet set)
    {
        if (config.passive())
        {
            // The P-CSCF application chose its ports and SPIs, not this bridge: its pools do not apply. Only
            // another live registration on the same flow is a conflict (install's checks).
            return true;
        }
        final SpiPool spis = config.spiPool();
        for (final long spi : new long[]{ set.server.spiC(), set.server.spiS() })
        {
            if (!spis.contains(spi))
            {
                continue;
            }
            if (!spis.reserve(spi))
            {
                releaseReservations(set);
                reject(registration.identity(), 500, "Security-Server SPI " + spi + " is already in use");
                return false;
            }
            set.reservedSpis.add(spi);
        }
        if (config.portPool().contains(set.server.portC()) && set.server.portC() != config.protectedServerPort())
        {
            if (!config.portPool().reserve(set.server.portC()))
            {
                releaseReservations(set);
                reject(registration.identity(), 500, "Security-Server port-c " + set.server.portC() + " is already in use");
                return false;
            }
            set.reservedPorts.add(set.server.portC());
        }
        return true;
    }

    private void releaseReservations(final SaSet set)
    {
        for (final long spi : set.reservedSpis)
        {
            config.spiPool().release(spi);
        }
        for (final int port : set.reservedPorts)
        {
            config.portPool().release(port);
        }
        set.reservedSpis.clear();
        set.reservedPorts.clear();
    }

    private void rewriteChallenge(
        final Registration registration,
        final SipMessage message,
        final DigestParams challenge,
        final List<SecurityMechanism> addServerHeader)
    {
        final List<SipHeader> headers = new ArrayList<>(message.headers().size() + 1);
        for (final SipHeader header : message.headers())
        {
            final String name = header.canonicalName();
            if (challenge != null && (name.equals(HeaderNames.WWW_AUTHENTICATE) || name.equals(HeaderNames.PROXY_AUTHENTICATE)))
            {
                headers.add(new SipHeader(header.name(), DigestParams.parse(header.name(), header.value()).without("ck", "ik").format()));
            }
            else
            {
                if (addServerHeader != null && name.equals(HeaderNames.CONTENT_LENGTH))
                {
                    headers.add(new SipHeader("Security-Server", SecurityHeaders.format(addServerHeader)));
                }
                headers.add(header);
            }
        }
        if (addServerHeader != null && message.header(HeaderNames.CONTENT_LENGTH) == null)
        {
            headers.add(new SipHeader("Security-Server", SecurityHeaders.format(addServerHeader)));
        }
        final byte[] bytes = message.withHeaders(headers).toBytes();
        emit(new LifecycleEvent(LifecycleEvent.Type.MESSAGE_REWRITTEN, registration.identity(), null,
            (addServerHeader != null ? "Security-Server added" : "") +
            (challenge != null && challenge.get("ck") != null ? (addServerHeader != null ? ", " : "") + "ck/ik stripped" : "") +
            " before forwarding to the UE", 0, bytes, null, null));
    }

    private boolean install(final Registration registration, final SaSet set, final byte[] ik, final byte[] ck)
    {
        final long nowNs = config.nanoClock().getAsLong();
        final List<SaSpec> sas = SaSet.buildSas(
            role, registration.ueAddress, registration.pcscfAddress, set.client, set.server, ik, ck, config.regAwaitAuthNs());
        final java.util.Set<Object> inThisSet = new java.util.HashSet<>(8);
        for (final SaSpec sa : sas)
        {
            final String problem = sa.spi() < SpiPool.MIN_ALLOCATABLE_SPI ?
                " is reserved (0 is invalid, 1..255 are IANA reserved)" :
                !inThisSet.add(new SpiKey(sa.dst(), sa.spi())) ? " is used twice towards the same address" :
                !inThisSet.add(FlowKey.of(sa)) ? " selector (addresses and ports) is used twice" : null;
            if (problem != null)
            {
                releaseReservations(set);
                rejectOrConflict(registration, sa.label() + " " + sa.spiOrigin() + " " + sa.spi() + problem);
                return false;
            }
        }
        for (final SaSpec sa : sas)
        {
            final Binding clash = bySpi.get(new SpiKey(sa.dst(), sa.spi()));
            final Binding other = clash != null ? clash : byFlow.get(FlowKey.of(sa));
            if (other != null && other.registration != registration &&
                other.registration.ueAddress.equals(registration.ueAddress) &&
                java.util.Objects.equals(other.registration.impi, registration.impi))
            {
                // The same UE started over with a new Call-ID (e.g. after a restart): its old registration is gone.
                deleteAll(other.registration, "superseded by a new registration with Call-ID " + registration.callId);
                forget(other.registration);
            }
        }
        for (final SaSpec sa : sas)
        {
            final Binding clash = bySpi.get(new SpiKey(sa.dst(), sa.spi()));
            final Binding flowClash = byFlow.get(FlowKey.of(sa));
            if (clash != null || flowClash != null)
            {
                releaseReservations(set);
                final Binding other = clash != null ? clash : flowClash;
                rejectOrConflict(registration, sa.label() + " " + sa.spiOrigin() + " " + sa.spi() +
                    (clash != null ? " is already in use by " : " selector " + org.esp4j.sip.util.InetAddressText.format(sa.src(), sa.srcPort()) + " -> " +
                        org.esp4j.sip.util.InetAddressText.format(sa.dst(), sa.dstPort()) + " is already in use by ") +
                    other.sa.label() + " of " + other.registration.identity() + ": no SA of this set installed");
                return false;
            }
        }
        set.state = SaLifecycleState.TEMPORARY;
        set.expiresAtNs = nowNs + config.regAwaitAuthNs();
        for (final SaSpec sa : sas)
        {
            sink.install(sa);
            set.sas.add(sa);
            final Binding binding = new Binding(registration, set, sa);
            bind(sa, binding);
            bySpi.put(new SpiKey(sa.dst(), sa.spi()), binding);
            emit(LifecycleEvent.of(LifecycleEvent.Type.SA_INSTALLED, registration.identity(), sa,
                sa.spiOrigin() + " from the " + (set.allocated ? "P-CSCF pool" : "exchange")));
        }
        registration.temporary = set;
        emit(LifecycleEvent.of(LifecycleEvent.Type.TEMPORARY_SET_CREATED, registration.identity(), null,
            "lifetime " + TimeUnit.NANOSECONDS.toSeconds(config.regAwaitAuthNs()) + " s (reg-await-auth)"));
        return true;
    }

    private void establish(final Registration registration, final long expirySeconds)
    {
        final SaSet set = registration.temporary;
        if (registration.old != null)
        {
            deleteSet(registration, registration.old, "replaced by a newer set");
        }
        final long nowNs = config.nanoClock().getAsLong();
        if (registration.established != null)
        {
            final SaSet previous = registration.established;
            update(registration, previous, SaLifecycleState.OLD, Math.max(0, previous.expiresAtNs - nowNs));
            registration.old = previous;
            emit(LifecycleEvent.of(LifecycleEvent.Type.SET_MARKED_OLD, registration.identity(), null,
                "kept until the new set carries traffic"));
        }
        final long lifetimeNs = TimeUnit.SECONDS.toNanos(expirySeconds) + config.expiryGraceNs();
        update(registration, set, SaLifecycleState.ESTABLISHED, lifetimeNs);
        set.expiresAtNs = nowNs + lifetimeNs;
        registration.established = set;
        registration.temporary = null;
        emit(LifecycleEvent.of(LifecycleEvent.Type.SET_ESTABLISHED, registration.identity(), null,
            "lifetime " + TimeUnit.NANOSECONDS.toSeconds(lifetimeNs) + " s (expires " + expirySeconds + " s + grace)"));
    }

    private void extend(final Registration registration, final long expirySeconds)
    {
        final SaSet set = registration.established;
        final long lifetimeNs = TimeUnit.SECONDS.toNanos(expirySeconds) + config.expiryGraceNs();
        update(registration, set, SaLifecycleState.ESTABLISHED, lifetimeNs);
        set.expiresAtNs = config.nanoClock().getAsLong() + lifetimeNs;
        emit(LifecycleEvent.of(LifecycleEvent.Type.LIFETIME_EXTENDED, registration.identity(), null,
            "unchallenged re-registration, lifetime " + TimeUnit.NANOSECONDS.toSeconds(lifetimeNs) + " s"));
    }

    private void update(final Registration registration, final SaSet set, final SaLifecycleState state, final long lifetimeNs)
    {
        set.state = state;
        for (int i = 0; i < set.sas.size(); i++)
        {
            final SaSpec updated = set.sas.get(i).with(state, lifetimeNs);
            set.sas.set(i, updated);
            sink.extendLifetime(updated, lifetimeNs);
            final Binding binding = new Binding(registration, set, updated);
            bind(updated, binding);
            bySpi.put(new SpiKey(updated.dst(), updated.spi()), binding);
            emit(LifecycleEvent.of(LifecycleEvent.Type.SA_UPDATED, registration.identity(), updated, state.toString()));
        }
    }

    private void retireOldSetOnFirstUse(final Binding binding)
    {
        if (binding != null && binding.set == binding.registration.established && binding.registration.old != null)
        {
            deleteSet(binding.registration, binding.registration.old, "the new set carries traffic");
        }
    }

    private void deleteAll(final Registration registration, final String reason)
    {
        for (final SaSet set : new SaSet[]{ registration.temporary, registration.old, registration.established })
        {
            if (set != null)
            {
                deleteSet(registration, set, reason);
            }
        }
        registration.pending.clear();
        emit(LifecycleEvent.of(LifecycleEvent.Type.DEREGISTERED, registration.identity(), null, reason));
    }

    private void deleteSet(final Registration registration, final SaSet set, final String reason)
    {
        for (final SaSpec sa : set.sas)
        {
            sink.remove(sa);
            unbind(sa);
            bySpi.remove(new SpiKey(sa.dst(), sa.spi()));
            emit(LifecycleEvent.of(LifecycleEvent.Type.SA_REMOVED, registration.identity(), sa, reason));
        }
        releaseReservations(set);
        final SaLifecycleState was = set.state;
        set.sas.clear();
        if (registration.temporary == set)
        {
            registration.temporary = null;
        }
        if (registration.established == set)
        {
            registration.established = null;
        }
        if (registration.old == set)
        {
            registration.old = null;
        }
        emit(LifecycleEvent.of(LifecycleEvent.Type.SET_DELETED, registration.identity(), null, was + " set: " + reason));
    }

    private void bidDown(final Registration registration, final String reason)
    {
        reject(registration.identity(), BIDDING_DOWN_STATUS, "possible bidding-down attack: " + reason);
        if (registration.temporary != null)
        {
            deleteSet(registration, registration.temporary, "REGISTER rejected: " + reason);
        }
    }

    /**
     * A set that cannot be installed whole: the active roles answer 494; a passive P-CSCF cannot answer for the
     * application, so it reports the conflict (event and {@link #flowConflicts()}) and installs none of the set.
     */
    private void rejectOrConflict(final Registration registration, final String reason)
    {
        if (role == Role.PCSCF && config.passive())
        {
            flowConflicts++;
            emit(LifecycleEvent.of(LifecycleEvent.Type.FLOW_CONFLICT, registration.identity(), null, reason));
        }
        else
        {
            reject(registration.identity(), BIDDING_DOWN_STATUS, reason);
        }
    }

    private void reject(final RegistrationIdentity identity, final int status, final String reason)
    {
        emit(new LifecycleEvent(LifecycleEvent.Type.REQUEST_REJECTED, identity, null, reason, status, null, null, null));
    }

    private void emit(final LifecycleEvent event)
    {
        out.add(event);
        listener.onEvent(event);
    }
}
