package org.esp4j.sip.sim;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.aka.AkaNonce;
import org.esp4j.sip.aka.AkaOutcome;
import org.esp4j.sip.aka.AkaUsim;
import org.esp4j.sip.aka.DigestAka;
import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated IMS UE doing registration with IPsec sec-agree (TS 24.229 §5.1.1, TS 33.203 §6-7, RFC 3329), as in
 * the seed trace:
 * <ol>
 * <li>REGISTER to the P-CSCF's 5060 with Security-Client (port-c, port-s, spi-c, spi-s, one mechanism per offered
 * algorithm) and an empty AKAv1-MD5 Authorization;</li>
 * <li>on the 401: AUTN checked and RES computed with Milenage (TS 33.102 §6.3.3), the Security-Server offer with the
 * highest q that matches an offer of its own taken, and the protected REGISTER sent from port-c to the P-CSCF's
 * port-s with Security-Verify (the Security-Server as received) and the RFC 3310 digest;</li>
 * <li>after the 200 OK: SUBSCRIBE to the reg event from port-c to port-s; answers the NOTIFY (from the P-CSCF's
 * port-c to port-s) with a 200 OK from port-c to the NOTIFY's Via port;</li>
 * <li>then {@code reregistrations} protected re-REGISTERs (same nonce, next nc) and, if asked, a de-REGISTER
 * ({@code expires=0}).</li>
 * </ol>
 * Each request goes over UDP unless it is over 1,300 bytes (then TCP, RFC 3261 §18.1.1, TS 24.229 §5.1.1.1), or the
 * transport is forced; UDP requests are retransmitted per RFC 3261 timers E/F. The sim is an ordinary SIP endpoint:
 * its protected ports are protected by whatever sits below it (an esp4j daemon in the UE role, or a kernel).
 * <p>
 * The state is this object: a process may hold many UEs (each with its own ports) on one transport. Not
 * thread-safe: one thread drives {@link #start}, {@link #onMessage} and {@link #doWork}. Not simulated: AKA
 * resynchronisation (a USIM that finds SQN out of range fails the run). With {@link UeSimConfig#renewPortC()} set,
 * each re-REGISTER offers a new set of SAs and expects a 401 over the old set (TS 33.203 §7.4); the authenticated
 * re-REGISTER then goes over the new set, and its 200 OK retires the old one.
 */
public final class UeSim
{
    /** Where the procedure stands. */
    public enum State
    {
        IDLE, REGISTERING, AUTHENTICATING, SUBSCRIBING, REREGISTERING, REAUTHENTICATING, HOLDING, DEREGISTERING, DONE,
        FAILED
    }

    private static final String USER_AGENT = "esp4j sim ue (IMS UE simulator)";

    private final UeSimConfig config;
    private final SimTransport transport;
    private final SimObserver observer;
    private final AkaUsim usim;
    private final ClientTransactions transactions = new ClientTransactions();
    private final String registerCallId;
    private final String registerFromTag = SipText.tag();
    private List<SecurityMechanism> securityClient = new ArrayList<>(2);

    private State state = State.IDLE;
    private String failure;
    private long cseq;
    private List<SecurityMechanism> securityServer = List.of();
    private NegotiatedSas negotiated;
    private NegotiatedSas replaced;
    private DigestParams challenge;
    private byte[] res;
    private int nonceCount;
    private int reregistrationsLeft;
    private boolean subscribed;
    private boolean notified;
    /** RFC 6665 Timer N: the NOTIFY that a SUBSCRIBE calls for is due by then (64*T1 after the SUBSCRIBE). */
    private long notifyDeadlineMs;
    private boolean registered;
    private String subscribeCallId;
    private SimFlow unprotectedTcp;

    /**
     * @param config    the UE.
     * @param transport how its messages travel.
     * @param observer  sees every message and step.
     */
    public UeSim(final UeSimConfig config, final SimTransport transport, final SimObserver observer)
    {
        this.config = config;
        this.transport = transport;
        this.observer = observer;
        this.usim = AkaUsim.of(config.subscriber().milenage());
        this.registerCallId = SipText.tag() + "@" + SipText.literal(config.ue());
        this.reregistrationsLeft = config.reregistrations();
        for (final IntegrityAlgorithm alg : config.algorithms())
        {
            securityClient.add(SecurityMechanism.ipsec3gpp(alg, config.ealg(), config.spiC(), config.spiS(),
                config.portC(), config.portS()));
        }
    }

    /**
     * Send the first, unprotected REGISTER.
     *
     * @param nowMs the clock.
     * @throws IOException when it cannot be sent.
     */
    public void start(final long nowMs) throws IOException
    {
        final String username = config.subscriber().impi();
        final String domain = config.subscriber().domain();
        sendRegister(nowMs, State.REGISTERING, false, "Authorization: Digest username=\"" + username + "\",realm=\"" +
            domain + "\",nonce=\"\",uri=\"sip:" + domain + "\",response=\"\",algorithm=AKAv1-MD5", config.expiresS());
        observer.onNote("UE: initial REGISTER to " + org.esp4j.sip.util.InetAddressText.format(config.pcscf(),
            config.pcscfPort()), nowMs);
    }

    /**
     * @return the state.
     */
    public State state()
    {
        return state;
    }

    /**
     * @return why it failed, or null.
     */
    public String failure()
    {
        return failure;
    }

    /**
     * @return true once DONE or FAILED.
     */
    public boolean isFinished()
    {
        return state == State.DONE || state == State.FAILED;
    }

    /**
     * @return the TCP flow of its last unprotected request (from an ephemeral port), or null when it sent none over
     * TCP: its owner may close it once done.
     */
    public SimFlow unprotectedTcp()
    {
        return unprotectedTcp;
    }

    /**
     * @return true when its procedure is done and it is still registered: its owner (a UE farm) may then
     * {@link #reregister} or {@link #deregister} it.
     */
    public boolean isRegistered()
    {
        return state == State.DONE && registered;
    }

    /**
     * Re-register over the SAs in use (with a new set when {@link UeSimConfig#renewPortC()} is set), after which
     * the UE is DONE and registered again.
     *
     * @param nowMs the clock.
     * @throws IOException           when it cannot be sent.
     * @throws IllegalStateException unless {@link #isRegistered()}.
     */
    public void reregister(final long nowMs) throws IOException
    {
        requireRegistered();
        reregistrationsLeft = 1;
        nextAfterRegistered(nowMs);
    }

    /**
     * De-register ({@code expires=0}) over the SAs in use, after which the UE is DONE and not registered.
     *
     * @param nowMs the clock.
     * @throws IOException           when it cannot be sent.
     * @throws IllegalStateException unless {@link #isRegistered()}.
     */
    public void deregister(final long nowMs) throws IOException
    {
        requireRegistered();
        sendProtectedRegister(nowMs, State.DEREGISTERING, 0);
    }

    private void requireRegistered()
    {
        if (!isRegistered())
        {
            throw new IllegalStateException("not registered (state " + state + ")");
        }
    }

    /**
     * @return the SAs negotiated, or null before the 401.
     */
    public NegotiatedSas negotiated()
    {
        return negotiated;
    }

    /**
     * @return the UE's config.
     */
    public UeSimConfig config()
    {
        return config;
    }

    /**
     * Retransmissions and timeouts.
     *
     * @param nowMs the clock.
     * @return the amount of work done.
     * @throws IOException when a retransmission cannot be sent.
     */
    public int doWork(final long nowMs) throws IOException
    {
        if (isFinished())
        {
            return 0;
        }
        if (state == State.HOLDING && java.nio.file.Files.exists(config.holdFile()))
        {
            observer.onNote("UE: " + config.holdFile() + " exists: de-registering", nowMs);
            sendProtectedRegister(nowMs, State.DEREGISTERING, 0);
            return 1;
        }
        final List<ClientTransactions.Pending> expired = transactions.poll(nowMs, transport);
        if (!expired.isEmpty())
        {
            fail("no final response to " + expired.get(0).method + " within 64*T1 (" + ClientTransactions.TIMER_F_MS +
                " ms)", nowMs);
            return 1;
        }
        if (state == State.SUBSCRIBING && !notified && nowMs - notifyDeadlineMs >= 0)
        {
            // else a NOTIFY that never comes (its connection failed) keeps the UE waiting for ever
            fail("no NOTIFY within 64*T1 (" + ClientTransactions.TIMER_F_MS + " ms) of the SUBSCRIBE (RFC 6665 Timer N)",
                nowMs);
            return 1;
        }
        return 0;
    }

    /**
     * When {@link #doWork} next has something to do, for a caller that runs it only then (a farm of many UEs): the
     * earliest retransmission or timeout, {@link Long#MIN_VALUE} while a hold file is to be watched (at once, every
     * time), {@link Long#MAX_VALUE} when nothing is due until the next message or call. Valid until the next call to
     * {@link #start}, {@link #onMessage}, {@link #doWork}, {@link #reregister} or {@link #deregister}.
     *
     * @return the clock (as {@code nowMs}) at which doWork is due.
     */
    public long nextDueMs()
    {
        if (isFinished())
        {
            return Long.MAX_VALUE;
        }
        if (state == State.HOLDING && config.holdFile() != null)
        {
            return Long.MIN_VALUE;
        }
        long dueMs = transactions.nextDueMs();
        if (state == State.SUBSCRIBING && !notified)
        {
            dueMs = Math.min(dueMs, notifyDeadlineMs);
        }
        return dueMs;
    }

    /**
     * A message received on one of the UE's flows.
     *
     * @param flow    where it arrived.
     * @param message the message.
     * @param nowMs   the clock.
     * @throws IOException when an answer cannot be sent.
     */
    public void onMessage(final SimFlow flow, final SipMessage message, final long nowMs) throws IOException
    {
        observer.onMessage(false, flow, message, spi(flow, false), nowMs);
        if (isFinished())
        {
            return;
        }
        try
        {
            if (message.isRequest())
            {
                onRequest(flow, message, nowMs);
                return;
            }
            final ClientTransactions.Pending transaction = transactions.match(message);
            if (transaction == null || message.statusCode() < 200)
            {
                return;
            }
            if ("REGISTER".equalsIgnoreCase(transaction.method))
            {
                onRegisterResponse(message, nowMs);
            }
            else if ("SUBSCRIBE".equalsIgnoreCase(transaction.method))
            {
                if (message.statusCode() >= 300)
                {
                    fail("SUBSCRIBE answered " + message.statusCode() + " " + message.reasonPhrase(), nowMs);
                    return;
                }
                subscribed = true;
                afterSubscription(nowMs);
            }
        }
        catch (final SipParseException ex)
        {
            fail("bad " + message.summary() + ": " + ex.getMessage(), nowMs);
        }
    }

    private void onRegisterResponse(final SipMessage response, final long nowMs) throws IOException
    {
        final int status = response.statusCode();
        if (state == State.REGISTERING && status == 401 ||
            state == State.REREGISTERING && status == 401 && config.renewPortC() != 0)
        {
            onChallenge(response, nowMs);
        }
        else if (status >= 200 && status < 300)
        {
            switch (state)
            {
                case AUTHENTICATING -> {
                    registered = true;
                    observer.onNote("UE: registered over " + negotiated.algorithms() + " SAs", nowMs);
                    subscribe(nowMs);
                }
                case REREGISTERING -> {
                    observer.onNote("UE: re-registered", nowMs);
                    nextAfterRegistered(nowMs);
                }
                case REAUTHENTICATING -> {
                    observer.onNote("UE: re-registered over the new SAs (spi-c " + negotiated.client().spiC() +
                        " spi-s " + negotiated.client().spiS() + "), old ones removed (spi-c " +
                        replaced.client().spiC() + " spi-s " + replaced.client().spiS() + ")", nowMs);
                    replaced = null;
                    nextAfterRegistered(nowMs);
                }
                case DEREGISTERING -> {
                    registered = false;
                    observer.onNote("UE: de-registered", nowMs);
                    state = State.DONE;
                }
                default -> fail("unexpected 2xx to REGISTER in state " + state, nowMs);
            }
        }
        else
        {
            fail("REGISTER answered " + status + " " + response.reasonPhrase() + " in state " + state, nowMs);
        }
    }

    private void onChallenge(final SipMessage response, final long nowMs) throws IOException
    {
        final String authenticate = response.header("WWW-Authenticate");
        if (authenticate == null)
        {
            fail("401 without WWW-Authenticate", nowMs);
            return;
        }
        challenge = DigestParams.parse("WWW-Authenticate", authenticate);
        if (DigestAka.Version.fromToken(challenge.get("algorithm")) != DigestAka.Version.AKA_V1_MD5)
        {
            fail("401 algorithm is not AKAv1-MD5: " + challenge.get("algorithm"), nowMs);
            return;
        }
        final AkaNonce nonce = AkaNonce.decode(challenge.get("nonce"));
        final AkaOutcome outcome = usim.authenticate(nonce.rand(), nonce.autn());
        if (outcome.type() != AkaOutcome.Type.SUCCESS)
        {
            fail("the USIM rejected the challenge: " + outcome.type() + " (resynchronisation is not simulated)", nowMs);
            return;
        }
        res = outcome.keys().res();
        securityServer = SecurityHeaders.fromMessage(response, "Security-Server");
        final SecurityMechanism[] pair = chooseHighestQ(securityServer);
        if (pair == null)
        {
            fail("Security-Server offers nothing the UE offered: " + SecurityHeaders.format(securityServer), nowMs);
            return;
        }
        final boolean reauthentication = state == State.REREGISTERING;
        replaced = reauthentication ? negotiated : null;
        negotiated = new NegotiatedSas(pair[0], pair[1]);
        nonceCount = 0;
        observer.onNote("UE: AKA ok (SQN " + Long.toHexString(outcome.sqn()) + "), chose " + negotiated.algorithms() +
            " spi-c " + pair[1].spiC() + " spi-s " + pair[1].spiS() + " port-c " + pair[1].portC() + " port-s " +
            pair[1].portS(), nowMs);
        sendProtectedRegister(nowMs, reauthentication ? State.REAUTHENTICATING : State.AUTHENTICATING,
            config.expiresS());
    }

    /** RFC 3329 §2.3.1 / TS 33.203 §7.1: the server offer with the highest q among those the client offered. */
    private SecurityMechanism[] chooseHighestQ(final List<SecurityMechanism> offers)
    {
        return SecurityHeaders.chooseHighestQ(securityClient, offers, SecurityMechanism::isIpsec3gpp);
    }

    private void sendProtectedRegister(final long nowMs, final State next, final long expiresS) throws IOException
    {
        nonceCount++;
        final String username = config.subscriber().impi();
        final String uri = "sip:" + config.subscriber().domain();
        final String nc = String.format("%08x", nonceCount);
        final String cnonce = SipText.tag();
        final String realm = challenge.get("realm");
        final String qop = challenge.get("qop") == null ? null : "auth";
        final String response = DigestAka.response(username, realm, res, "REGISTER", uri, challenge.get("nonce"),
            qop == null ? null : nc, qop == null ? null : cnonce, qop);
        final String opaque = challenge.get("opaque");
        final String authorization = "Authorization: Digest username=\"" + username + "\",realm=\"" + realm +
            "\",nonce=\"" + challenge.get("nonce") + "\",uri=\"" + uri + "\",response=\"" + response +
            "\",algorithm=AKAv1-MD5" + (opaque == null ? "" : ",opaque=\"" + opaque + "\"") +
            (qop == null ? "" : ",cnonce=\"" + cnonce + "\",qop=auth,nc=" + nc);
        sendRegister(nowMs, next, true, authorization, expiresS);
    }

    private void sendRegister(
        final long nowMs, final State next, final boolean protectedPorts, final String authorization, final long expiresS)
        throws IOException
    {
        cseq++;
        final String branch = SipText.branch();
        final String self = SipText.literal(config.ue());
        final int serverPort = protectedPorts ? negotiated.server().portS() : config.pcscfPort();
        final List<String> headers = new ArrayList<>(20);
        headers.add("Max-Forwards: 70");
        headers.add("Route: <sip:" + SipText.literal(config.pcscf()) + ":" + serverPort + ";lr>");
        headers.add("Via: SIP/2.0/%TRANSPORT% " + self + ":" + config.portS() + ";branch=" + branch);
        headers.add("Call-ID: " + registerCallId);
        headers.add("CSeq: " + cseq + " REGISTER");
        headers.add("From: <" + config.subscriber().impu() + ">;tag=" + registerFromTag);
        headers.add("To: <" + config.subscriber().impu() + ">");
        headers.add("Supported: path,eventlist,sec-agree,gruu,outbound");
        headers.add("Require: sec-agree");
        headers.add("Allow: INVITE,BYE,CANCEL,ACK,NOTIFY,UPDATE,REFER,PRACK,INFO,MESSAGE");
        headers.add("Contact: <sip:" + userPart() + "@" + self + ":" + config.portS() + ">;+g.3gpp.smsip;" +
            "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";video;expires=" + expiresS +
            ";+sip.instance=\"<urn:gsma:imei:35910506-000422-0>\";reg-id=1");
        headers.add("Security-Client: " + SecurityHeaders.format(securityClient));
        if (protectedPorts)
        {
            headers.add("Security-Verify: " + SecurityHeaders.format(securityServer));
            headers.add("P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=0010100000000000");
        }
        headers.add(authorization);
        headers.add("Proxy-Require: sec-agree");
        headers.add("User-Agent: " + USER_AGENT);
        final InetSocketAddress to = new InetSocketAddress(config.pcscf(), serverPort);
        sendRequest(nowMs, "REGISTER", branch, headers, new byte[0], protectedPorts ? portC() : 0, to);
        state = next;
    }

    private void subscribe(final long nowMs) throws IOException
    {
        state = State.SUBSCRIBING;
        notifyDeadlineMs = nowMs + ClientTransactions.TIMER_F_MS;
        subscribeCallId = SipText.tag() + "@" + SipText.literal(config.ue());
        final String branch = SipText.branch();
        final String self = SipText.literal(config.ue());
        final List<String> headers = new ArrayList<>(16);
        headers.add("Max-Forwards: 70");
        headers.add("Route: <sip:" + SipText.literal(config.pcscf()) + ":" + negotiated.server().portS() + ";lr>");
        headers.add("Via: SIP/2.0/%TRANSPORT% " + self + ":" + config.portS() + ";branch=" + branch);
        headers.add("Call-ID: " + subscribeCallId);
        headers.add("CSeq: 1 SUBSCRIBE");
        headers.add("From: <" + config.subscriber().impu() + ">;tag=" + SipText.tag());
        headers.add("To: <" + config.subscriber().impu() + ">");
        headers.add("Accept: application/reginfo+xml");
        headers.add("Allow: INVITE,BYE,CANCEL,ACK,NOTIFY,UPDATE,REFER,PRACK,INFO,MESSAGE");
        headers.add("Security-Verify: " + SecurityHeaders.format(securityServer));
        headers.add("Require: sec-agree");
        headers.add("P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=0010100000000000");
        headers.add("Event: reg");
        headers.add("Contact: <sip:" + userPart() + "@" + self + ":" + config.portS() +
            ";ob>;+sip.instance=\"<urn:gsma:imei:35910506-000422-0>\"");
        headers.add("Expires: " + config.expiresS());
        headers.add("Proxy-Require: sec-agree");
        headers.add("User-Agent: " + USER_AGENT);
        sendRequest(nowMs, "SUBSCRIBE", branch, headers, new byte[0], portC(),
            new InetSocketAddress(config.pcscf(), negotiated.server().portS()));
    }

    private void sendRequest(
        final long nowMs, final String method, final String branch, final List<String> headers, final byte[] body,
        final int localPort, final InetSocketAddress to) throws IOException
    {
        final String requestUri = "REGISTER".equals(method) ? "sip:" + config.subscriber().domain() :
            config.subscriber().impu();
        final int size = SipText.message(method + " " + requestUri + " SIP/2.0", headers, body).length;
        final Transport chosen = SipText.transportFor(config.transport(), size);
        headers.replaceAll(header -> header.replace("%TRANSPORT%", chosen.name()));
        final byte[] bytes = SipText.message(method + " " + requestUri + " SIP/2.0", headers, body);
        // An unprotected TCP request leaves from an ephemeral port; UDP ones from port-c, where the UE listens.
        final int fromPort = localPort == 0 && chosen == Transport.UDP ? portC() : localPort;
        final SimFlow flow = transport.send(
            new SimFlow(chosen, new InetSocketAddress(config.ue(), fromPort), to), bytes);
        if (fromPort == 0)
        {
            unprotectedTcp = flow;
        }
        transactions.start(branch, method, bytes, flow, nowMs);
        observer.onMessage(true, flow, SipMessageParser.parse(bytes, 0, bytes.length),
            spi(flow, true), nowMs);
    }

    private void onRequest(final SimFlow flow, final SipMessage request, final long nowMs) throws IOException
    {
        final boolean notify = "NOTIFY".equalsIgnoreCase(request.method());
        final List<String> extra = new ArrayList<>(4);
        if (notify)
        {
            extra.add("Contact: <sip:" + userPart() + "@" + SipText.literal(config.ue()) + ":" + config.portS() +
                ";ob>;+sip.instance=\"<urn:gsma:imei:35910506-000422-0>\"");
            extra.add("Allow: INVITE,BYE,CANCEL,ACK,NOTIFY,UPDATE,REFER,PRACK,INFO,MESSAGE");
            extra.add("P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=0010100000000000");
            extra.add("Server: " + USER_AGENT);
        }
        final byte[] answer = SipText.response(request, notify ? 200 : 501, notify ? "OK" : "Not Implemented", null,
            extra, new byte[0]);
        // TCP: on the connection it came on. UDP: TS 33.203 §7.1 -- from port-c to the Via's port (the P-CSCF's
        // port-s), so that the response is protected by the SA into the P-CSCF's port-s.
        final SimFlow reply = flow.transport() == Transport.TCP ? flow : new SimFlow(Transport.UDP,
            new InetSocketAddress(config.ue(), portC()),
            new InetSocketAddress(flow.remote().getAddress(), SipText.topViaPort(request)));
        final SimFlow used = transport.send(reply, answer);
        observer.onMessage(true, used, SipMessageParser.parse(answer, 0, answer.length),
            spi(used, true), nowMs);
        if (notify && state == State.SUBSCRIBING)
        {
            final String state = request.header("Subscription-State");
            observer.onNote("UE: NOTIFY reg " + (state == null ? "" : state) + ", " + request.bodyLength() +
                " bytes of " + request.header("Content-Type"), nowMs);
            notified = true;
            afterSubscription(nowMs);
        }
    }

    private void afterSubscription(final long nowMs) throws IOException
    {
        if (subscribed && notified && state == State.SUBSCRIBING)
        {
            observer.onNote("UE: subscribed to reg", nowMs);
            nextAfterRegistered(nowMs);
        }
    }

    private void nextAfterRegistered(final long nowMs) throws IOException
    {
        if (reregistrationsLeft > 0)
        {
            reregistrationsLeft--;
            if (config.renewPortC() != 0)
            {
                renewSecurityClient(nowMs);
            }
            sendProtectedRegister(nowMs, State.REREGISTERING, config.expiresS());
        }
        else if (config.deregister() && config.holdFile() != null && !java.nio.file.Files.exists(config.holdFile()))
        {
            state = State.HOLDING;
            observer.onNote("UE: registered; de-registering once " + config.holdFile() + " exists", nowMs);
        }
        else if (config.deregister())
        {
            sendProtectedRegister(nowMs, State.DEREGISTERING, 0);
        }
        else
        {
            state = State.DONE;
        }
    }

    /**
     * TS 33.203 §7.4: the re-REGISTER that will be challenged offers a new set of SAs, new spi-c/spi-s and a port-c
     * other than the current one (port-s stays); it still travels over the current set.
     */
    private void renewSecurityClient(final long nowMs)
    {
        final SecurityMechanism current = negotiated.client();
        final long newSpiC = (current.spiC() + 2) & 0xFFFF_FFFFL;
        final long newSpiS = (current.spiS() + 2) & 0xFFFF_FFFFL;
        final int newPortC = current.portC() == config.renewPortC() ? config.portC() : config.renewPortC();
        final List<SecurityMechanism> renewed = new ArrayList<>(securityClient.size());
        for (final SecurityMechanism mechanism : securityClient)
        {
            renewed.add(SecurityMechanism.ipsec3gpp(mechanism.alg(), config.ealg(), newSpiC, newSpiS,
                newPortC, config.portS()));
        }
        securityClient = renewed;
        observer.onNote("UE: re-REGISTER offers new SAs: spi-c " + newSpiC + " spi-s " + newSpiS + " port-c " +
            newPortC, nowMs);
    }

    /** The port-c of the set in use; while a re-challenge is answered, the new one. */
    private int portC()
    {
        return negotiated == null ? config.portC() : negotiated.client().portC();
    }

    private void fail(final String reason, final long nowMs)
    {
        failure = reason;
        state = State.FAILED;
        observer.onNote("UE: FAILED: " + reason, nowMs);
    }

    private long spi(final SimFlow flow, final boolean sent)
    {
        if (negotiated == null)
        {
            return NegotiatedSas.UNPROTECTED;
        }
        final long spi = negotiated.spi(flow.local().getPort(), flow.remote().getPort(), sent);
        return spi == NegotiatedSas.UNPROTECTED && replaced != null ?
            replaced.spi(flow.local().getPort(), flow.remote().getPort(), sent) : spi;
    }

    private String userPart()
    {
        final String impu = config.subscriber().impu();
        final int at = impu.indexOf('@');
        return impu.substring(impu.indexOf(':') + 1, at < 0 ? impu.length() : at);
    }
}
