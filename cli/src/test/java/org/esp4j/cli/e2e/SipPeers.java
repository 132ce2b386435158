package org.esp4j.cli.e2e;

import org.esp4j.core.text.Hex;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * SIP peers that know nothing of IPsec, for the SIP-bridge end-to-end tests, run inside the tests' network
 * namespaces; each prints what it did ({@code *-READY}, {@code *-DONE}, ...) for the test to wait on.
 * <ul>
 * <li>{@code pcscf ADDR}: answers a REGISTER on 5060 with a 401 carrying an AKA challenge and a Security-Server, and
 * stops there (the UE daemon needs K to key its SAs).</li>
 * <li>{@code ue UE PCSCF}: sends the unprotected REGISTER, waits for the 401, then at once sends the protected
 * REGISTER three times from its port-c to the P-CSCF's port-s, as an IMS client does (TS 24.229 §5.1.1.2).</li>
 * <li>{@code pcscf-proxy PCSCF SCSCF}: a P-CSCF in front of an S-CSCF (both in this process, the S-CSCF on its own
 * address). The S-CSCF answers the first REGISTER with a 401 whose WWW-Authenticate carries the challenge and, as
 * TS 33.203 §6.1 has it, {@code ck}/{@code ik} for the P-CSCF; the P-CSCF strips them, adds its own Security-Server
 * and forwards the 401 to the UE on 5060 (TS 24.229 §5.2.2). It takes the protected REGISTERs on port-s, forwards
 * them to the S-CSCF and returns the S-CSCF's 200 OKs to the UE from port-s. It chooses its SPIs and ports itself,
 * as a P-CSCF application does: a P-CSCF daemon only watches. It serves any number of UEs, and answers a client's
 * retransmission with the answer it already gave (RFC 3261 server transactions), so it survives a lossy path.
 * {@code pcscf-proxy-n PCSCF SCSCF N} serves N registrations (of one UE after the other, or of several UEs).</li>
 * <li>{@code ue-register UE PCSCF GOFILE}: registers (unprotected REGISTER, 401, protected REGISTER answered at once,
 * 200 OK), prints {@code UE-REGISTERED}, waits until GOFILE exists, then de-registers ({@code Expires: 0}) over the
 * same SAs and waits for that 200 OK.</li>
 * </ul>
 * The AKA challenge is TS 35.208 test set 1 (K 465b5ce8..., OPc cd63cb71..., RAND 23553cbe..., SQN ff9bb4d0b607,
 * AMF b9b9): AUTN = (SQN xor AK) || AMF || MAC-A = 55f328b43577 b9b9 4a9ffac354dfafb3, worked out from the published
 * values, and the S-CSCF's ck/ik are the published CK b40ba9a3... and IK f769bcd7..., so the UE bridge's Milenage and
 * the P-CSCF bridge's use of ck/ik are checked against the spec, not against each other.
 */
public final class SipPeers
{
    static final String K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    static final String OPC = "cd63cb71954a9f4e48a5994e37a02baf";
    /**
     * With {@code -Desp4j.sippeers.vector=sipp} the S-CSCF challenges with the vector of examples/sipp (K and OP
     * without the bytes SIPp's keyword parser cannot take; values printed by examples/sipp/milenage-vector.py).
     */
    private static final boolean SIPP_VECTOR = "sipp".equals(System.getProperty("esp4j.sippeers.vector"));
    private static final String RAND = SIPP_VECTOR ? "c3d4e5f6a7b8c9dae1f2a3b4c5d6e7f8" : "23553cbe9637a89d218ae64dae47bf35";
    private static final String AUTN = SIPP_VECTOR ? "1b074a2d2064b9b9e7bb353e82c57de9" : "55f328b43577b9b94a9ffac354dfafb3";
    private static final long FIRST_SQN = 0xff9bb4d0b607L;
    /** Challenges the S-CSCF made so far (one process, one thread). */
    private static int challenges;
    /** The nonce of the last 401 the UE received. */
    private static String lastNonce;
    /** TS 35.208 test set 1, f3 and f4 of RAND: what the HSS gives the S-CSCF and the S-CSCF the P-CSCF. */
    static final String CK = SIPP_VECTOR ? "1999f277c2a3ca57153ca94b5163f32e" : "b40ba9a3c58b2a05bbf0d987b21bf8cb";
    static final String IK = SIPP_VECTOR ? "920ead5423e653b13993308bb553cacd" : "f769bcd751044604127672711c6d3441";
    /** Protected REGISTERs the pcscf-proxy serves ({@code -Desp4j.sippeers.registers}, default 2). */
    private static final int PROTECTED_REGISTERS = Integer.getInteger("esp4j.sippeers.registers", 2);
    static final long PCSCF_SPI_S = 2821032177L;
    static final long PCSCF_SPI_C = 3458785863L;
    static final long UE_SPI_C = 565817L;
    static final long UE_SPI_S = 565818L;
    static final int UE_PORT_C = 38003;
    static final int UE_PORT_S = 39003;
    static final int PCSCF_PORT_C = 50717;
    static final int PCSCF_PORT_S = 50718;
    private static final int TIMEOUT_MS = 10_000;
    private static final int PCSCF_TIMEOUT_MS = 60_000;
    /**
     * The one mechanism both sides offer ({@code -Desp4j.sippeers.mechanism}, default hmac-sha-1-96 with null
     * encryption; {@code alg=null;ealg=aes-gcm} and {@code alg=aes-gmac;ealg=null} for the Rel-15 transforms).
     */
    private static final String MECHANISM = System.getProperty("esp4j.sippeers.mechanism", "alg=hmac-sha-1-96;ealg=null");
    /**
     * The P-CSCF application's SPIs per UE address ({@code -Desp4j.sippeers.spis=ADDR=SPIC/SPIS,...}): fixed, as an
     * application that does not draw them does; a UE not listed gets {@link #PCSCF_SPI_C}/{@link #PCSCF_SPI_S}. Its
     * port-c and port-s are always 50717 and 50718.
     */
    private static final String SPIS_BY_UE = System.getProperty("esp4j.sippeers.spis", "");
    private static final String SECURITY_SERVER = securityServer(PCSCF_SPI_C, PCSCF_SPI_S);
    private static final String SECURITY_CLIENT = "ipsec-3gpp;" + MECHANISM + ";prot=esp;mod=trans;" +
        "spi-c=" + UE_SPI_C + ";spi-s=" + UE_SPI_S + ";port-c=" + UE_PORT_C + ";port-s=" + UE_PORT_S;

    private SipPeers()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        switch (args[0])
        {
            case "pcscf" -> pcscf(InetAddress.getByName(args[1]));
            case "pcscf-proxy" -> pcscfProxy(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]), 1, false);
            case "pcscf-proxy-n" -> pcscfProxy(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Integer.parseInt(args[3]), false);
            case "pcscf-proxy-loop" -> pcscfProxy(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Integer.parseInt(args[3]), true);
            case "ue-register-loop" -> ueRegisterLoop(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Integer.parseInt(args[3]), Path.of(args[4]));
            case "ue" -> ue(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]));
            case "ue-register" -> ueRegister(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Path.of(args[3]));
            default -> throw new IllegalArgumentException("unknown peer " + args[0]);
        }
    }

    private static void pcscf(final InetAddress address) throws Exception
    {
        try (DatagramSocket sip = new DatagramSocket(new InetSocketAddress(address, 5060)))
        {
            sip.setSoTimeout(PCSCF_TIMEOUT_MS);
            say("PCSCF-READY");
            final DatagramPacket request = receive(sip);
            final String register = text(request);
            final String response = "SIP/2.0 401 Unauthorized\r\n" +
                header(register, "Via") +
                header(register, "From") +
                header(register, "To").replace("\r\n", ";tag=pcscf1\r\n") +
                header(register, "Call-ID") +
                header(register, "CSeq") +
                "WWW-Authenticate: Digest realm=\"ims.example.net\",nonce=\"" + nonce() +
                "\",qop=\"auth\",algorithm=AKAv1-MD5\r\n" +
                "Security-Server: " + SECURITY_SERVER + "\r\n" +
                "Content-Length: 0\r\n\r\n";
            send(sip, response, request.getSocketAddress());
            say("PCSCF-SENT-401");
        }
    }

    /**
     * The P-CSCF application in front of the S-CSCF, until it has answered {@code registrations} times
     * {@link #PROTECTED_REGISTERS} protected REGISTERs (REGISTER, 401, then protected REGISTERs each answered through
     * the S-CSCF). It listens on 5060 and port-s at once and keeps the answer of each request (by Call-ID, CSeq and
     * Via branch), as an RFC 3261 server transaction does: a client's retransmission -- its answer was lost, or it
     * crossed it -- gets the same answer again, on 5060 (the same 401, so the UE runs no second AKA) as on port-s,
     * and it keeps answering them after the last registration (Timer J) until it is stopped. With {@code hostile}
     * (the injection test) each registration is REGISTER and de-REGISTER, the 200 OK to the de-REGISTER is sent twice
     * (a retransmission, after the SAs went), and any datagram on port-s that is not SIP (a forged
     * {@code forged <nanoTime>}) is reported as {@code PCSCF-FORGED <nanoTime>}, also for a while after the last
     * registration.
     */
    private static void pcscfProxy(final InetAddress pcscf, final InetAddress scscf, final int registrations,
        final boolean hostile) throws Exception
    {
        try (DatagramSocket sip = new DatagramSocket(new InetSocketAddress(pcscf, 5060));
            DatagramSocket portS = new DatagramSocket(new InetSocketAddress(pcscf, PCSCF_PORT_S));
            DatagramSocket portC = new DatagramSocket(new InetSocketAddress(pcscf, PCSCF_PORT_C));
            DatagramSocket sCscf = new DatagramSocket(new InetSocketAddress(scscf, 5060)))
        {
            for (final DatagramSocket socket : new DatagramSocket[]{ portC, sCscf })
            {
                socket.setSoTimeout(PCSCF_TIMEOUT_MS);
            }
            say("PCSCF-READY");
            final int protectedRegisters = hostile ? 2 : PROTECTED_REGISTERS;
            final Map<String, String> answers = new HashMap<>();
            final Map<String, Integer> served = new HashMap<>();
            int registered = 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PCSCF_TIMEOUT_MS);
            // after the last registration it lingers: 2 s for the injection test's forged datagrams, else 60 s for
            // retransmissions (or until stopped)
            while (registered < registrations || System.nanoTime() - deadline < 0)
            {
                if (registered < registrations && System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException("no request for " + PCSCF_TIMEOUT_MS + " ms");
                }
                final DatagramPacket first = poll(sip);
                if (first != null)
                {
                    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PCSCF_TIMEOUT_MS);
                    final String register = text(first);
                    final String key = "5060 " + transaction(register);
                    String challenge = answers.get(key);
                    if (challenge != null)
                    {
                        say("PCSCF-RESENT-401");
                    }
                    else
                    {
                        challenge = viaScscf(sip, sCscf, register);
                        if (!challenge.startsWith("SIP/2.0 401") || !challenge.contains("ik=\""))
                        {
                            throw new IllegalStateException("expected the S-CSCF's 401 with ck/ik, got " + challenge);
                        }
                        challenge = toUe(challenge, first.getAddress());
                        answers.put(key, challenge);
                        say("PCSCF-SENT-401 " + first.getAddress().getHostAddress());
                    }
                    send(sip, challenge, first.getSocketAddress());
                }
                // the injection test's forged datagrams (one a millisecond) are taken many per turn: one per turn of
                // this loop, which also waits up to 10 ms on 5060, would queue the protected REGISTER behind a growing
                // backlog; a bound per turn keeps 5060 served while the flood lasts
                DatagramPacket request = poll(portS);
                for (int forged = 0; forged < 256 && request != null && text(request).startsWith("forged "); forged++)
                {
                    say("PCSCF-FORGED " + text(request).substring("forged ".length()).trim());
                    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PCSCF_TIMEOUT_MS);
                    request = poll(portS);
                }
                if (request == null)
                {
                    continue;
                }
                deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PCSCF_TIMEOUT_MS);
                final String register = text(request);
                if (register.startsWith("forged "))
                {
                    say("PCSCF-FORGED " + register.substring("forged ".length()).trim());
                    continue;
                }
                final String key = "port-s " + transaction(register);
                String ok = answers.get(key);
                if (ok != null)
                {
                    send(portS, ok, request.getSocketAddress()); // a client's retransmission: the same answer
                    say("PCSCF-RESENT-200");
                    continue;
                }
                say("PCSCF-PROTECTED-REGISTER " + header(register, "CSeq").trim() + " " +
                    header(register, "Expires").trim() + " from " + request.getAddress().getHostAddress());
                ok = viaScscf(sip, sCscf, register);
                answers.put(key, ok);
                send(portS, ok, request.getSocketAddress());
                say("PCSCF-SENT-" + ok.substring(0, ok.indexOf("\r\n")));
                final String callId = header(register, "Call-ID").trim();
                if (served.merge(callId, 1, Integer::sum) == protectedRegisters)
                {
                    registered++;
                    served.remove(callId);
                    if (hostile)
                    {
                        Thread.sleep(50); // the SAs are gone by now
                        send(portS, ok, request.getSocketAddress());
                        say("PCSCF-RETRANSMITTED-200");
                        // the next registration reuses Call-ID and CSeqs: new transactions
                        answers.keySet().removeIf(transaction -> transaction.contains(callId));
                    }
                }
                if (registered == registrations)
                {
                    say("PCSCF-DONE");
                    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(hostile ? 2000 : PCSCF_TIMEOUT_MS);
                }
            }
        }
    }

    private static String securityServer(final long spiC, final long spiS)
    {
        return "ipsec-3gpp;" + MECHANISM + ";prot=esp;mod=trans;spi-c=" + spiC + ";spi-s=" + spiS + ";port-c=" +
            PCSCF_PORT_C + ";port-s=" + PCSCF_PORT_S + ";q=0.1";
    }

    /** The application's Security-Server for a UE: its fixed SPIs for that address, the fixed ports. */
    private static String securityServer(final InetAddress ue)
    {
        for (final String entry : SPIS_BY_UE.split(","))
        {
            final int equals = entry.lastIndexOf('=');
            if (equals > 0 && ue.equals(address(entry.substring(0, equals))))
            {
                final String[] spis = entry.substring(equals + 1).split("/");
                return securityServer(Long.parseLong(spis[0]), Long.parseLong(spis[1]));
            }
        }
        return SECURITY_SERVER;
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalArgumentException(text, ex);
        }
    }

    /** An RFC 3261 transaction's key: Call-ID, CSeq and the top Via's branch. */
    private static String transaction(final String request)
    {
        final String via = header(request, "Via");
        final int branch = via.indexOf("branch=");
        return header(request, "Call-ID").trim() + " " + header(request, "CSeq").trim() + " " +
            (branch < 0 ? "" : via.substring(branch).split("[;,\\s]")[0]);
    }

    /** A datagram if one arrives within 10 ms, else null. */
    private static DatagramPacket poll(final DatagramSocket socket) throws Exception
    {
        socket.setSoTimeout(10);
        try
        {
            return receive(socket);
        }
        catch (final java.net.SocketTimeoutException ex)
        {
            return null;
        }
    }

    /** @return the S-CSCF's 401 as the P-CSCF passes it on: without ck/ik, with its Security-Server for the UE. */
    private static String toUe(final String challenge, final InetAddress ue)
    {
        return challenge.replaceAll(",(ck|ik)=\"[0-9a-fA-F]*\"", "")
            .replace("Content-Length:", "Security-Server: " + securityServer(ue) + "\r\nContent-Length:");
    }

    /**
     * {@code UE-READY}, then once the file {@code go} exists {@code registrations} times: REGISTER, 401
     * ({@code UE-401-AT <nanoTime>} once it is here), protected REGISTER, 200 OK, de-REGISTER, 200 OK; then
     * {@code UE-DONE}.
     */
    private static void ueRegisterLoop(final InetAddress ue, final InetAddress pcscf, final int registrations,
        final Path go) throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ue, UE_PORT_C)))
        {
            socket.setSoTimeout(TIMEOUT_MS);
            say("UE-READY");
            awaitGo(go);
            final InetSocketAddress portS = new InetSocketAddress(pcscf, PCSCF_PORT_S);
            for (int registration = 0; registration < registrations; registration++)
            {
                final String serverLine = challenge(socket, ue, pcscf);
                say("UE-401-AT " + System.nanoTime());
                send(socket, protectedRegister(2, ue, pcscf, serverLine, 600000), portS);
                expectOk(socket, 2);
                send(socket, protectedRegister(3, ue, pcscf, serverLine, 0), portS);
                expectOk(socket, 3);
            }
            say("UE-DONE");
        }
    }

    /** The P-CSCF forwards a REGISTER to the S-CSCF (sec-agree headers removed) and returns its answer. */
    private static String viaScscf(final DatagramSocket sip, final DatagramSocket sCscf, final String register)
        throws Exception
    {
        final StringBuilder forwarded = new StringBuilder();
        for (final String line : register.split("\r\n", -1))
        {
            final String lower = line.toLowerCase();
            if (!lower.startsWith("security-") && !lower.startsWith("require:") && !lower.startsWith("proxy-require:"))
            {
                forwarded.append(line).append("\r\n");
            }
        }
        send(sip, forwarded.substring(0, forwarded.length() - 2), sCscf.getLocalSocketAddress());
        final DatagramPacket atScscf = receive(sCscf);
        send(sCscf, scscf(text(atScscf)), atScscf.getSocketAddress());
        DatagramPacket answer = receive(sip);
        while (!answer.getSocketAddress().equals(sCscf.getLocalSocketAddress()))
        {
            answer = receive(sip); // a client's retransmission of the first REGISTER on 5060: the 401 answers it
        }
        return text(answer);
    }

    /** The S-CSCF: a 401 with the challenge and ck/ik to the first REGISTER, a 200 OK to the others. */
    private static String scscf(final String register)
    {
        final String common = header(register, "Via") + header(register, "From") +
            header(register, "To").replace("\r\n", ";tag=scscf1\r\n") + header(register, "Call-ID") +
            header(register, "CSeq");
        if (header(register, "CSeq").contains(" 1 "))
        {
            return "SIP/2.0 401 Unauthorized\r\n" + common +
                "WWW-Authenticate: Digest realm=\"ims.example.net\",nonce=\"" + freshNonce() +
                "\",qop=\"auth\",algorithm=AKAv1-MD5,ck=\"" + CK + "\",ik=\"" + IK + "\"\r\n" +
                "Content-Length: 0\r\n\r\n";
        }
        return "SIP/2.0 200 OK\r\n" + common + header(register, "Contact") +
            "P-Associated-URI: <sip:001010123456789@ims.example.net>\r\n" +
            "Content-Length: 0\r\n\r\n";
    }

    private static void ue(final InetAddress ue, final InetAddress pcscf) throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ue, UE_PORT_C)))
        {
            socket.setSoTimeout(TIMEOUT_MS);
            final String serverLine = challenge(socket, ue, pcscf);
            // Answered at once, as a real client does: the daemon's SIP bridge must have keyed the SAs by the time
            // this reaches its TUN (it drains what the host received before it looks at what it sends).
            final String second = protectedRegister(2, ue, pcscf, serverLine, 600000);
            for (int i = 0; i < 3; i++)
            {
                send(socket, second, new InetSocketAddress(pcscf, PCSCF_PORT_S));
                Thread.sleep(200);
            }
            say("UE-DONE");
        }
    }

    private static void ueRegister(final InetAddress ue, final InetAddress pcscf, final Path go) throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ue, UE_PORT_C)))
        {
            socket.setSoTimeout(TIMEOUT_MS);
            final InetSocketAddress portS = new InetSocketAddress(pcscf, PCSCF_PORT_S);
            final String serverLine = challenge(socket, ue, pcscf);
            send(socket, protectedRegister(2, ue, pcscf, serverLine, 600000), portS);
            expectOk(socket, 2);
            say("UE-REGISTERED");
            awaitGo(go);
            send(socket, protectedRegister(3, ue, pcscf, serverLine, 0), portS);
            expectOk(socket, 3);
            say("UE-DONE");
        }
    }

    /** Wait (at most 60 s) until the test creates the file {@code go}. */
    private static void awaitGo(final Path go) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(go))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the test never said go");
            }
            Thread.sleep(20);
        }
    }

    /** The unprotected REGISTER to 5060 and its 401; @return the 401's Security-Server value. */
    private static String challenge(final DatagramSocket socket, final InetAddress ue, final InetAddress pcscf)
        throws Exception
    {
        send(socket, register(1, ue, pcscf, 5060, 600000, "Security-Client: " + SECURITY_CLIENT + "\r\n" +
            "Authorization: Digest username=\"001010123456789@ims.example.net\",realm=\"ims.example.net\"," +
            "nonce=\"\",uri=\"sip:ims.example.net\",response=\"\",algorithm=AKAv1-MD5\r\n"),
            new InetSocketAddress(pcscf, 5060));
        final String challenge = text(receive(socket));
        if (!challenge.startsWith("SIP/2.0 401") || challenge.contains("ck=") || challenge.contains("ik="))
        {
            throw new IllegalStateException("expected a 401 without ck/ik, got " + challenge);
        }
        final java.util.regex.Matcher nonce = java.util.regex.Pattern.compile("nonce=\"([^\"]*)\"").matcher(challenge);
        lastNonce = nonce.find() ? nonce.group(1) : null; // the protected REGISTER answers this challenge
        say("UE-GOT-401");
        return header(challenge, "Security-Server").substring("Security-Server: ".length());
    }

    private static String protectedRegister(
        final int cseq, final InetAddress ue, final InetAddress pcscf, final String serverLine, final int expires)
    {
        return register(cseq, ue, pcscf, PCSCF_PORT_S, expires, "Security-Client: " + SECURITY_CLIENT + "\r\n" +
            "Security-Verify: " + serverLine +
            "Authorization: Digest username=\"001010123456789@ims.example.net\",realm=\"ims.example.net\"," +
            "nonce=\"" + (lastNonce != null ? lastNonce : nonce()) + "\",uri=\"sip:ims.example.net\"," +
            "response=\"00000000000000000000000000000000\",algorithm=AKAv1-MD5,qop=auth,nc=00000001," +
            "cnonce=\"abcdef\"\r\n");
    }

    private static void expectOk(final DatagramSocket socket, final int cseq) throws Exception
    {
        final String answer = text(receive(socket));
        if (!answer.startsWith("SIP/2.0 200") || !header(answer, "CSeq").contains(" " + cseq + " REGISTER"))
        {
            throw new IllegalStateException("expected 200 OK to CSeq " + cseq + ", got " + answer);
        }
        say("UE-GOT-200 CSeq " + cseq);
    }

    private static String register(final int cseq, final InetAddress ue, final InetAddress pcscf, final int port,
        final int expires, final String extraHeaders)
    {
        final String self = "[" + ue.getHostAddress() + "]";
        return "REGISTER sip:ims.example.net SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP " + self + ":" + UE_PORT_C + ";branch=z9hG4bKesp4j" + cseq + "\r\n" +
            "Max-Forwards: 70\r\n" +
            "Route: <sip:[" + pcscf.getHostAddress() + "]:" + port + ";lr>\r\n" +
            "From: <sip:001010123456789@ims.example.net>;tag=ue1\r\n" +
            "To: <sip:001010123456789@ims.example.net>\r\n" +
            "Call-ID: esp4j-sip-bridge-e2e-" + Integer.toHexString(java.util.Arrays.hashCode(ue.getAddress())) + "\r\n" +
            "CSeq: " + cseq + " REGISTER\r\n" +
            "Contact: <sip:001010123456789@" + self + ":" + UE_PORT_S + ">;expires=" + expires + "\r\n" +
            "Expires: " + expires + "\r\n" +
            "Supported: path,sec-agree\r\n" +
            "Require: sec-agree\r\n" +
            "Proxy-Require: sec-agree\r\n" +
            extraHeaders +
            "Content-Length: 0\r\n\r\n";
    }

    /**
     * The S-CSCF's nonce: the published test set for the first challenge, then the same RAND (so the same CK/IK) with
     * SQN ff9bb4d0b607 + n, as an HSS would make them, so a UE checking SQN freshness accepts each registration's.
     */
    private static String freshNonce()
    {
        final int n = challenges++;
        if (n == 0)
        {
            return nonce();
        }
        final byte[] rand = Hex.decode(RAND);
        final org.esp4j.sip.aka.AuthenticationVector vector = new org.esp4j.sip.aka.AkaAuthenticationCentre(
            org.esp4j.sip.aka.Milenage.withOpc(Hex.decode(K), Hex.decode(OPC)), FIRST_SQN + n, Hex.decode("b9b9"))
            .vector(rand, FIRST_SQN + n);
        final byte[] nonce = new byte[32];
        System.arraycopy(rand, 0, nonce, 0, 16);
        System.arraycopy(vector.autn(), 0, nonce, 16, 16);
        return Base64.getEncoder().encodeToString(nonce);
    }

    private static String nonce()
    {
        return Base64.getEncoder().encodeToString(Hex.decode(RAND + AUTN));
    }

    private static DatagramPacket receive(final DatagramSocket socket) throws Exception
    {
        final DatagramPacket packet = new DatagramPacket(new byte[8192], 8192);
        socket.receive(packet);
        return packet;
    }

    private static String text(final DatagramPacket packet)
    {
        return new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII);
    }

    private static void send(final DatagramSocket socket, final String message, final SocketAddress to)
        throws Exception
    {
        final byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        socket.send(new DatagramPacket(bytes, bytes.length, to));
    }

    private static void say(final String line)
    {
        System.out.println(line);
        System.out.flush();
    }

    private static String header(final String message, final String name)
    {
        for (final String line : message.split("\r\n"))
        {
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1))
            {
                return line + "\r\n";
            }
        }
        throw new IllegalStateException("no " + name + " in " + message);
    }
}
