package org.esp4j.sip.sim;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.text.Hex;
import org.esp4j.sip.aka.AkaAuthenticationCentre;
import org.esp4j.sip.aka.AkaNonce;
import org.esp4j.sip.aka.AuthenticationVector;
import org.esp4j.sip.aka.DigestAka;
import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.message.HeaderValues;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A simulated P-CSCF with the registrar (S-CSCF) and HSS folded in, for IMS registration with IPsec sec-agree
 * (TS 24.229 §5.2.2 and §5.4.1, TS 33.203 §6-7, RFC 3329, RFC 3310):
 * <ul>
 * <li>REGISTER on the unprotected port: picks the first Security-Client offer whose algorithms it accepts (else
 * 494), makes an AKA vector for the subscriber (fresh RAND, SQN incremented, TS 33.102 §6.3.2) and answers 401 with
 * the AKAv1-MD5 challenge and its Security-Server (q=0.1 as in the seed). An unknown IMPI gets 403.</li>
 * <li>REGISTER on port-s: it must come from the UE's address and port-c of the challenge (else 403, it did not
 * arrive over the SAs), carry a Security-Verify equal to the Security-Server sent and the same Security-Client as
 * the first REGISTER (else 494, RFC 3329 §2.3.1 against bidding down), and a digest made with XRES (else 403). Then
 * 200 OK; {@code expires=0} de-registers. Re-registrations over the SAs are accepted with the same nonce and a
 * larger nc, without a new challenge; or, with {@link PcscfSimConfig#renewPortC()} set, answered over the old SAs
 * with a 401 carrying a fresh challenge and a new Security-Server (new SPIs and port-c, TS 33.203 §7.4), after
 * which the authenticated re-REGISTER must come over the new set and its 200 OK replaces the old set.</li>
 * <li>SUBSCRIBE to reg over the SAs: 200 OK, then a NOTIFY with the reginfo+xml of the registration from port-c to the
 * UE's port-s (TS 24.229 §5.4.2.1.2, RFC 3680).</li>
 * </ul>
 * Responses over TCP go back on the connection; over UDP to the top Via's port, from port-c when the request came
 * over the SAs (TS 33.203 §7.1) and from the unprotected port otherwise. A retransmitted request gets the same
 * response again; the NOTIFY is retransmitted per RFC 3261 timer E. Not thread-safe: one thread drives it.
 */
public final class PcscfSim
{
    private static final int MAX_REMEMBERED_RESPONSES = 64;
    private static final String SERVER_Q = "0.1";

    private final PcscfSimConfig config;
    private final SimTransport transport;
    private final SimObserver observer;
    private final AkaAuthenticationCentre hss;
    private final SecureRandom random = new SecureRandom();
    private final ClientTransactions transactions = new ClientTransactions();
    private final Map<String, SimFlowAndBytes> responses = new LinkedHashMap<>(16, 0.75f, false)
    {
        protected boolean removeEldestEntry(final Map.Entry<String, SimFlowAndBytes> eldest)
        {
            return size() > MAX_REMEMBERED_RESPONSES;
        }
    };

    private InetAddress ueAddress;
    private List<SecurityMechanism> firstSecurityClient;
    private List<SecurityMechanism> securityServer;
    private NegotiatedSas negotiated;
    private NegotiatedSas replaced;
    private long spiC;
    private long spiS;
    private int portC;
    private AuthenticationVector vector;
    private String nonce;
    private String opaque;
    private long lastNonceCount;
    private boolean registered;
    private String contact;
    private int registrations;
    private int deregistrations;
    private int notifyCseq;

    private record SimFlowAndBytes(SimFlow flow, byte[] bytes)
    {
    }

    /**
     * @param config    the P-CSCF.
     * @param transport how its messages travel.
     * @param observer  sees every message and step.
     */
    public PcscfSim(final PcscfSimConfig config, final SimTransport transport, final SimObserver observer)
    {
        this.config = config;
        this.transport = transport;
        this.observer = observer;
        this.hss = new AkaAuthenticationCentre(config.subscriber().milenage(), config.subscriber().sqn(),
            config.subscriber().amfBytes());
        this.spiC = config.spiC();
        this.spiS = config.spiS();
        this.portC = config.portC();
    }

    /**
     * @return true while the subscriber is registered.
     */
    public boolean isRegistered()
    {
        return registered;
    }

    /**
     * @return successful registrations and re-registrations so far.
     */
    public int registrations()
    {
        return registrations;
    }

    /**
     * @return de-registrations so far.
     */
    public int deregistrations()
    {
        return deregistrations;
    }

    /**
     * @return the SAs of the last challenge, or null.
     */
    public NegotiatedSas negotiated()
    {
        return negotiated;
    }

    /**
     * Retransmit the NOTIFY while due; an expired one is noted and dropped.
     *
     * @param nowMs the clock.
     * @return work done.
     * @throws IOException when a retransmission cannot be sent.
     */
    public int doWork(final long nowMs) throws IOException
    {
        final List<ClientTransactions.Pending> expired = transactions.poll(nowMs, transport);
        for (final ClientTransactions.Pending transaction : expired)
        {
            observer.onNote("P-CSCF: no answer to " + transaction.method + " (timer F)", nowMs);
        }
        return expired.size();
    }

    /**
     * A message received on one of the P-CSCF's flows.
     *
     * @param flow    where it arrived.
     * @param message the message.
     * @param nowMs   the clock.
     * @throws IOException when an answer cannot be sent.
     */
    public void onMessage(final SimFlow flow, final SipMessage message, final long nowMs) throws IOException
    {
        observer.onMessage(false, flow, message, spi(flow, false), nowMs);
        if (!message.isRequest())
        {
            transactions.match(message);
            return;
        }
        final String key = SipText.topBranch(message) + " " + message.method();
        final SimFlowAndBytes earlier = responses.get(key);
        if (earlier != null)
        {
            transport.send(earlier.flow, earlier.bytes);
            return;
        }
        try
        {
            switch (message.method().toUpperCase(java.util.Locale.ROOT))
            {
                case "REGISTER" -> onRegister(flow, message, nowMs);
                case "SUBSCRIBE" -> onSubscribe(flow, message, nowMs);
                case "ACK" -> { }
                default -> respond(flow, message, 501, "Not Implemented", List.of(), nowMs);
            }
        }
        catch (final SipParseException ex)
        {
            observer.onNote("P-CSCF: 400 to " + message.summary() + ": " + ex.getMessage(), nowMs);
            respond(flow, message, 400, "Bad Request", List.of(), nowMs);
        }
    }

    private void onRegister(final SimFlow flow, final SipMessage register, final long nowMs) throws IOException
    {
        final String authorizationText = register.header("Authorization");
        final DigestParams authorization = authorizationText == null ? null :
            DigestParams.parse("Authorization", authorizationText);
        if (authorization == null || !config.subscriber().impi().equals(authorization.get("username")))
        {
            observer.onNote("P-CSCF: 403, unknown private identity " +
                (authorization == null ? "(no Authorization)" : authorization.get("username")), nowMs);
            respond(flow, register, 403, "Forbidden", List.of(), nowMs);
            return;
        }
        final List<SecurityMechanism> client = SecurityHeaders.fromMessage(register, "Security-Client");
        if (flow.local().getPort() != config.portS())
        {
            challenge(flow, register, client, nowMs);
            return;
        }
        // Only a re-REGISTER that offers a new set is re-challenged: a de-REGISTER (expires=0) is not.
        if (registered && config.renewPortC() != 0 && negotiated != null && replaced == null &&
            flow.remote().getAddress().equals(ueAddress) && flow.remote().getPort() == negotiated.client().portC() &&
            !client.equals(firstSecurityClient) && SipText.expires(register) != 0)
        {
            rechallenge(flow, register, client, nowMs);
            return;
        }
        if (negotiated == null || !flow.remote().getAddress().equals(ueAddress) ||
            flow.remote().getPort() != negotiated.client().portC())
        {
            observer.onNote("P-CSCF: 403, REGISTER on port-s not from the UE's port-c of the challenge", nowMs);
            respond(flow, register, 403, "Forbidden", List.of(), nowMs);
            return;
        }
        final List<SecurityMechanism> verify = SecurityHeaders.fromMessage(register, "Security-Verify");
        if (!verify.equals(securityServer) || !client.equals(firstSecurityClient))
        {
            observer.onNote("P-CSCF: 494, " + (!verify.equals(securityServer) ?
                "Security-Verify differs from the Security-Server sent" :
                "Security-Client differs from the first REGISTER's"), nowMs);
            respond(flow, register, 494, "Security Agreement Required", List.of(), nowMs);
            return;
        }
        final long nc = parseNonceCount(authorization.get("nc"));
        if (!nonce.equals(authorization.get("nonce")) || nc <= lastNonceCount ||
            !DigestAka.verify(authorization, "REGISTER", vector.xres()))
        {
            observer.onNote("P-CSCF: 403, digest response does not match XRES (or stale nonce/nc)", nowMs);
            respond(flow, register, 403, "Forbidden", List.of(), nowMs);
            return;
        }
        lastNonceCount = nc;
        final long expires = SipText.expires(register);
        final List<String> contacts = register.headerListValues("Contact");
        contact = contacts.isEmpty() ? null : contacts.get(0);
        final List<String> extra = new ArrayList<>(6);
        extra.add("Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        extra.add("Require: sec-agree");
        extra.add("P-Associated-URI: <" + config.subscriber().impu() + ">");
        if (contact != null)
        {
            extra.add("Contact: " + (expires == 0 ? HeaderValues.uri(contact).isEmpty() ? contact :
                "<" + HeaderValues.uri(contact) + ">;expires=0" : contact));
        }
        extra.add("Path: <sip:" + SipText.literal(config.address()) + ";lr>");
        respond(flow, register, 200, "OK", extra, nowMs);
        if (replaced != null)
        {
            observer.onNote("P-CSCF: new SAs established (spi-c " + negotiated.server().spiC() + " spi-s " +
                negotiated.server().spiS() + "), old ones removed (spi-c " + replaced.server().spiC() + " spi-s " +
                replaced.server().spiS() + ")", nowMs);
            replaced = null;
        }
        if (expires == 0)
        {
            registered = false;
            deregistrations++;
            observer.onNote("P-CSCF: " + config.subscriber().impu() + " de-registered", nowMs);
        }
        else
        {
            registrations++;
            observer.onNote("P-CSCF: " + config.subscriber().impu() + (registered ? " re-registered" : " registered") +
                " for " + expires + " s (digest verified, nc " + nc + ")", nowMs);
            registered = true;
        }
    }

    private void challenge(
        final SimFlow flow, final SipMessage register, final List<SecurityMechanism> client, final long nowMs)
        throws IOException
    {
        final SecurityMechanism chosen = choose(client);
        if (chosen == null)
        {
            observer.onNote("P-CSCF: 494, Security-Client offers no mechanism it accepts: " +
                SecurityHeaders.format(client), nowMs);
            respond(flow, register, 494, "Security Agreement Required", List.of(), nowMs);
            return;
        }
        final byte[] rand = new byte[16];
        random.nextBytes(rand);
        final long sqn = hss.nextSqn();
        vector = hss.nextVector(rand);
        nonce = AkaNonce.encode(vector.rand(), vector.autn(), new byte[0]);
        final byte[] opaqueBytes = new byte[16];
        random.nextBytes(opaqueBytes);
        opaque = Hex.encode(opaqueBytes);
        lastNonceCount = 0;
        ueAddress = flow.remote().getAddress();
        firstSecurityClient = client;
        final SecurityMechanism server = SecurityMechanism.ipsec3gpp(chosen.alg(), chosen.effectiveEalg(),
            spiC, spiS, portC, config.portS()).withQ(SERVER_Q);
        securityServer = List.of(server);
        negotiated = new NegotiatedSas(chosen, server);
        observer.onNote("P-CSCF: challenge with SQN " + Long.toHexString(sqn) + ", " + negotiated.algorithms() +
            ", spi-c " + server.spiC() + " spi-s " + server.spiS(), nowMs);
        respond(flow, register, 401, "Unauthorized", List.of(
            "WWW-Authenticate: Digest realm=\"" + config.subscriber().domain() + "\",nonce=\"" + nonce +
                "\",qop=\"auth\",opaque=\"" + opaque + "\",algorithm=AKAv1-MD5",
            "Security-Server: " + SecurityHeaders.format(securityServer)), nowMs);
    }

    /**
     * TS 33.203 §7.4: an authenticated re-registration. The re-REGISTER came over the old SAs with a Security-Client
     * naming the UE's new SPIs and port-c; the 401 goes back over the old SAs with a fresh AKA challenge and a
     * Security-Server naming new SPIs and a port-c other than the old one (port-s stays).
     */
    private void rechallenge(
        final SimFlow flow, final SipMessage register, final List<SecurityMechanism> client, final long nowMs)
        throws IOException
    {
        final List<SecurityMechanism> verify = SecurityHeaders.fromMessage(register, "Security-Verify");
        if (!verify.equals(securityServer))
        {
            observer.onNote("P-CSCF: 494, Security-Verify differs from the Security-Server sent", nowMs);
            respond(flow, register, 494, "Security Agreement Required", List.of(), nowMs);
            return;
        }
        replaced = negotiated;
        spiC = (spiC + 2) & 0xFFFF_FFFFL;
        spiS = (spiS + 2) & 0xFFFF_FFFFL;
        portC = portC == config.renewPortC() ? config.portC() : config.renewPortC();
        observer.onNote("P-CSCF: re-REGISTER over spi-s " + replaced.server().spiS() + ": re-challenging with new SAs",
            nowMs);
        challenge(flow, register, client, nowMs);
    }

    private SecurityMechanism choose(final List<SecurityMechanism> offers)
    {
        for (final IntegrityAlgorithm alg : config.algorithms())
        {
            for (final EncryptionAlgorithm ealg : config.ealg())
            {
                for (final SecurityMechanism offer : offers)
                {
                    if (offer.isIpsec3gpp() && offer.alg() == alg && offer.effectiveEalg() == ealg)
                    {
                        return offer;
                    }
                }
            }
        }
        return null;
    }

    private void onSubscribe(final SimFlow flow, final SipMessage subscribe, final long nowMs) throws IOException
    {
        if (!registered || flow.local().getPort() != config.portS() || !flow.remote().getAddress().equals(ueAddress))
        {
            observer.onNote("P-CSCF: 403 to SUBSCRIBE, not registered or not over the SAs", nowMs);
            respond(flow, subscribe, 403, "Forbidden", List.of(), nowMs);
            return;
        }
        if (!"reg".equalsIgnoreCase(subscribe.header("Event")))
        {
            respond(flow, subscribe, 489, "Bad Event", List.of(), nowMs);
            return;
        }
        final String toTag = SipText.tag();
        final String expires = subscribe.header("Expires") == null ? "600000" : subscribe.header("Expires").trim();
        final String self = SipText.literal(config.address());
        respond(flow, subscribe, 200, "OK", List.of("Expires: " + expires,
            "Contact: <sip:" + self + ":" + config.portS() + ";transport=udp>",
            "Record-Route: <sip:" + self + ":" + config.portS() + ";lr>"), toTag, nowMs);
        sendNotify(subscribe, toTag, expires, nowMs);
    }

    private void sendNotify(final SipMessage subscribe, final String toTag, final String expires, final long nowMs)
        throws IOException
    {
        final List<String> contacts = subscribe.headerListValues("Contact");
        final String target = contacts.isEmpty() ? "sip:" + SipText.literal(ueAddress) + ":" +
            negotiated.client().portS() : HeaderValues.uri(contacts.get(0));
        final String self = SipText.literal(config.address());
        final String branch = SipText.branch();
        final String registeredContact = contact == null ? target : HeaderValues.uri(contact);
        final String body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n" +
            "<reginfo version=\"" + notifyCseq + "\" state=\"full\" xmlns=\"urn:ietf:params:xml:ns:reginfo\">\r\n" +
            "<registration aor=\"" + config.subscriber().impu() + "\" id=\"12345\" state=\"active\">\r\n" +
            "<contact id=\"100\" state=\"active\" event=\"registered\">\r\n" +
            "<uri>" + registeredContact + "</uri>\r\n" +
            "<unknown-param name=\"+g.3gpp.smsip\" />\r\n" +
            "<unknown-param name=\"+g.3gpp.icsi-ref\">\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"</unknown-param>\r\n" +
            "<unknown-param name=\"video\" />\r\n" +
            "<unknown-param name=\"+sip.instance\">\"&lt;urn:gsma:imei:35910506-000422-0&gt;\"</unknown-param>\r\n" +
            "<unknown-param name=\"reg-id\">1</unknown-param>\r\n" +
            "</contact>\r\n</registration>\r\n</reginfo>\r\n";
        notifyCseq++;
        final List<String> headers = new ArrayList<>(12);
        headers.add("Via: SIP/2.0/%TRANSPORT% " + self + ":" + config.portS() + ";branch=" + branch);
        headers.add("Max-Forwards: 69");
        headers.add("Call-ID: " + subscribe.callId());
        headers.add("CSeq: " + notifyCseq + " NOTIFY");
        headers.add("To: " + subscribe.header("From"));
        headers.add("From: " + subscribe.header("To") + ";tag=" + toTag);
        headers.add("Contact: <sip:" + self + ":" + config.portS() + ";transport=udp>");
        headers.add("Event: reg");
        headers.add("Subscription-State: active;expires=" + expires);
        headers.add("Content-Type: application/reginfo+xml");
        headers.add("Record-Route: <sip:" + self + ":" + config.portS() + ";lr>");
        final byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        final Transport chosen = SipText.transportFor(config.transport(),
            SipText.message("NOTIFY " + target + " SIP/2.0", headers, bodyBytes).length);
        headers.replaceAll(header -> header.replace("%TRANSPORT%", chosen.name()));
        final byte[] bytes = SipText.message("NOTIFY " + target + " SIP/2.0", headers, bodyBytes);
        final SimFlow flow = transport.send(new SimFlow(chosen, new InetSocketAddress(config.address(), portC),
            new InetSocketAddress(ueAddress, negotiated.client().portS())), bytes);
        transactions.start(branch, "NOTIFY", bytes, flow, nowMs);
        observer.onMessage(true, flow, SipMessageParser.parse(bytes, 0, bytes.length), spi(flow, true), nowMs);
    }

    private void respond(
        final SimFlow flow, final SipMessage request, final int status, final String reason, final List<String> extra,
        final long nowMs) throws IOException
    {
        respond(flow, request, status, reason, extra, status == 401 || status == 200 ? SipText.tag() : null, nowMs);
    }

    private void respond(
        final SimFlow flow, final SipMessage request, final int status, final String reason, final List<String> extra,
        final String toTag, final long nowMs) throws IOException
    {
        final byte[] bytes = SipText.response(request, status, reason, toTag, extra, new byte[0]);
        final boolean overSas = flow.local().getPort() == config.portS();
        // A response over the old SAs (the re-challenge's 401) leaves from the old set's port-c.
        final boolean overReplaced = replaced != null && flow.remote().getPort() == replaced.client().portC();
        final int replyPortC = overReplaced ? replaced.server().portC() : negotiated == null ? portC :
            negotiated.server().portC();
        final SimFlow reply = flow.transport() == Transport.TCP ? flow : new SimFlow(Transport.UDP,
            new InetSocketAddress(flow.local().getAddress(), overSas ? replyPortC : flow.local().getPort()),
            new InetSocketAddress(flow.remote().getAddress(), SipText.topViaPort(request)));
        final SimFlow used = transport.send(reply, bytes);
        responses.put(SipText.topBranch(request) + " " + request.method(), new SimFlowAndBytes(used, bytes));
        observer.onMessage(true, used, SipMessageParser.parse(bytes, 0, bytes.length), spi(used, true), nowMs);
    }

    private long spi(final SimFlow flow, final boolean sent)
    {
        if (negotiated == null)
        {
            return NegotiatedSas.UNPROTECTED;
        }
        final long spi = negotiated.spi(flow.remote().getPort(), flow.local().getPort(), !sent);
        return spi == NegotiatedSas.UNPROTECTED && replaced != null ?
            replaced.spi(flow.remote().getPort(), flow.local().getPort(), !sent) : spi;
    }

    private static long parseNonceCount(final String nc)
    {
        try
        {
            return nc == null ? 1 : Long.parseLong(nc, 16);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
