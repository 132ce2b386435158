package org.esp4j.sip.lifecycle;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a {@link SipBridge} through IMS registrations with hand-built messages: UEs, a P-CSCF at 10.255.0.1
 * (unprotected port 5060) and an S-CSCF at 10.255.0.2. A manual clock keeps lifetime tests from sleeping.
 */
final class ImsHarness
{
    static final InetAddress PCSCF = address("10.255.0.1");
    static final InetAddress SCSCF = address("10.255.0.2");
    static final int SIP_PORT = 5060;

    final AtomicLong clockNs = new AtomicLong(1_000_000_000L);
    final InMemorySaSink sink = new InMemorySaSink();
    final List<LifecycleEvent> allEvents = new ArrayList<>();
    final SipBridge bridge;
    final LifecycleConfig config;

    ImsHarness(final LifecycleConfig.Builder builder)
    {
        config = builder.nanoClock(clockNs::get).build();
        bridge = new SipBridge(config, sink, allEvents::add);
    }

    /**
     * One simulated UE: its identity, the sec-agree parameters it offers now, and what it learnt.
     */
    static final class Ue
    {
        final InetAddress address;
        final String impi;
        final String callId;
        long cseq;
        String offeredMechanisms;
        long spiC;
        long spiS;
        int portC;
        int portS;
        /** Client port of the set the next protected request travels over, 0 when none. */
        int activePortC;
        int activePortS;
        List<SecurityMechanism> securityServer = List.of();
        List<SecurityMechanism> establishedServer = List.of();
        byte[] lastChallenge;

        Ue(final InetAddress address, final String impi, final String callId)
        {
            this.address = address;
            this.impi = impi;
            this.callId = callId;
        }

        String securityClient()
        {
            final StringBuilder sb = new StringBuilder();
            for (final String mechanism : offeredMechanisms.split(","))
            {
                final String[] algs = mechanism.split("/");
                if (sb.length() > 0)
                {
                    sb.append(',');
                }
                sb.append("ipsec-3gpp;alg=").append(algs[0]);
                if (algs.length > 1)
                {
                    sb.append(";ealg=").append(algs[1]);
                }
                sb.append(";prot=esp;mod=trans;spi-c=").append(spiC).append(";spi-s=").append(spiS)
                    .append(";port-c=").append(portC).append(";port-s=").append(portS);
            }
            return sb.toString();
        }

        void newRound(final long newSpiC, final int newPortC)
        {
            spiC = newSpiC;
            spiS = newSpiC + 1;
            portC = newPortC;
            portS = newPortC + 1;
        }
    }

    static Ue ue(final int index, final String mechanisms)
    {
        final InetAddress address = address("10." + ((index >> 16) & 0xFF) + "." + ((index >> 8) & 0xFF) + "." + (index & 0xFF));
        final Ue ue = new Ue(address, "user" + index + "@ims.example.org", "call-" + index + "@" + address.getHostAddress());
        ue.offeredMechanisms = mechanisms;
        ue.newRound(100_000L + 4L * index, 31000);
        return ue;
    }

    /** UE to P-CSCF:5060, unprotected, with Security-Client. */
    List<LifecycleEvent> initialRegister(final Ue ue)
    {
        final String text = register(ue, 600, ue.securityClient(), null, authorizationWithoutResponse(ue));
        return feed(ue.address, 5062, PCSCF, SIP_PORT, text);
    }

    /** UE to P-CSCF over the active set (port-c to port-s), with Security-Client and Security-Verify. */
    List<LifecycleEvent> protectedRegister(final Ue ue, final int expires, final String client, final String verify)
    {
        final String text = register(ue, expires, client, verify, authorizationWithoutResponse(ue));
        return feed(ue.address, ue.activePortC, PCSCF, pcscfPortS(ue), text);
    }

    /** S-CSCF's 401 towards the P-CSCF with ck and ik; remembers the rewritten message. */
    List<LifecycleEvent> challengeFromScscf(final Ue ue, final byte[] ck, final byte[] ik)
    {
        final String text = response(ue, 401, "Unauthorized",
            "WWW-Authenticate: Digest realm=\"ims.example.org\",nonce=\"" + nonce(ue) + "\",algorithm=AKAv1-MD5,qop=\"auth\"," +
            "ck=\"" + Hex.encode(ck) + "\",ik=\"" + Hex.encode(ik) + "\"\r\n");
        final List<LifecycleEvent> events = feed(SCSCF, SIP_PORT, PCSCF, SIP_PORT, text);
        for (final LifecycleEvent event : events)
        {
            if (event.type() == LifecycleEvent.Type.MESSAGE_REWRITTEN)
            {
                ue.lastChallenge = event.message();
                final SipMessage rewritten = SipMessageParser.parse(ue.lastChallenge, 0, ue.lastChallenge.length);
                ue.securityServer = SecurityHeaders.fromMessage(rewritten, "Security-Server");
            }
        }
        return events;
    }

    /** The P-CSCF forwards the rewritten 401 to the UE, over the active set if there is one. */
    List<LifecycleEvent> forwardChallenge(final Ue ue)
    {
        final List<LifecycleEvent> events = ue.activePortC == 0 ?
            feedBytes(PCSCF, SIP_PORT, ue.address, 5062, ue.lastChallenge) :
            feedBytes(PCSCF, pcscfPortS(ue), ue.address, ue.activePortC, ue.lastChallenge);
        // The UE now talks over the new temporary set.
        ue.activePortC = ue.portC;
        ue.activePortS = ue.portS;
        return events;
    }

    /** A final response from the P-CSCF to the UE, over the active set or unprotected. */
    List<LifecycleEvent> finalResponse(final Ue ue, final int code, final String reason, final int expires)
    {
        final String extra = code < 300 ?
            "Contact: <sip:" + user(ue) + "@" + ue.address.getHostAddress() + ":" + ue.portS + ">;expires=" + expires + "\r\n" : "";
        final String text = response(ue, code, reason, extra);
        final List<LifecycleEvent> events = ue.activePortC == 0 ?
            feed(PCSCF, SIP_PORT, ue.address, 5062, text) :
            feed(PCSCF, pcscfPortS(ue), ue.address, ue.activePortC, text);
        if (code < 300 && expires > 0)
        {
            ue.establishedServer = ue.securityServer;
        }
        return events;
    }

    /** Any request from the UE over the active set (e.g. a SUBSCRIBE), from port-c to the P-CSCF's port-s. */
    List<LifecycleEvent> subscribe(final Ue ue)
    {
        final String text = "SUBSCRIBE sip:" + ue.impi + " SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP " + ue.address.getHostAddress() + ":" + ue.activePortS + ";branch=z9hG4bKs" + ue.cseq + "\r\n" +
            "Call-ID: sub-" + ue.callId + "\r\nCSeq: 1 SUBSCRIBE\r\nFrom: <sip:" + ue.impi + ">;tag=s\r\nTo: <sip:" + ue.impi + ">\r\n" +
            "Event: reg\r\nContent-Length: 0\r\n\r\n";
        return feed(ue.address, ue.activePortC, PCSCF, pcscfPortS(ue), text);
    }

    /** Initial registration through to the 200 OK; returns all events. */
    List<LifecycleEvent> registerFully(final Ue ue, final int expires)
    {
        final List<LifecycleEvent> events = new ArrayList<>(initialRegister(ue));
        events.addAll(challengeFromScscf(ue, ck(ue), ik(ue)));
        events.addAll(forwardChallenge(ue));
        events.addAll(protectedRegister(ue, expires, ue.securityClient(), SecurityHeaders.format(ue.securityServer)));
        events.addAll(finalResponse(ue, 200, "OK", expires));
        return events;
    }

    /** De-registration over the established set through to its 200 OK. */
    List<LifecycleEvent> deregister(final Ue ue)
    {
        final List<LifecycleEvent> events = new ArrayList<>(
            protectedRegister(ue, 0, ue.securityClient(), SecurityHeaders.format(ue.establishedServer)));
        events.addAll(finalResponse(ue, 200, "OK", 0));
        return events;
    }

    static byte[] ck(final Ue ue)
    {
        return filled(16, (byte)(0xC0 + (ue.cseq & 0x0F)));
    }

    static byte[] ik(final Ue ue)
    {
        return filled(16, (byte)(0x10 + (ue.cseq & 0x0F)));
    }

    int pcscfPortS(final Ue ue)
    {
        return config.protectedServerPort();
    }

    List<LifecycleEvent> feed(final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort, final String text)
    {
        return feedBytes(src, srcPort, dst, dstPort, text.getBytes(StandardCharsets.UTF_8));
    }

    List<LifecycleEvent> feedBytes(final InetAddress src, final int srcPort, final InetAddress dst, final int dstPort, final byte[] bytes)
    {
        return bridge.onMessage(Transport.UDP, src, srcPort, dst, dstPort, bytes, 0, bytes.length);
    }

    static String register(final Ue ue, final int expires, final String client, final String verify, final String authorization)
    {
        ue.cseq++;
        return "REGISTER sip:ims.example.org SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP " + ue.address.getHostAddress() + ":" + ue.portS + ";branch=z9hG4bK" + ue.cseq + "\r\n" +
            "Max-Forwards: 70\r\n" +
            "From: <sip:" + ue.impi + ">;tag=f" + ue.cseq + "\r\n" +
            "To: <sip:" + ue.impi + ">\r\n" +
            "Call-ID: " + ue.callId + "\r\n" +
            "CSeq: " + ue.cseq + " REGISTER\r\n" +
            "Contact: <sip:" + user(ue) + "@" + ue.address.getHostAddress() + ":" + ue.portS + ">;expires=" + expires + "\r\n" +
            "Authorization: " + authorization + "\r\n" +
            (client != null ? "Security-Client: " + client + "\r\n" : "") +
            (verify != null ? "Security-Verify: " + verify + "\r\n" : "") +
            "Require: sec-agree\r\nProxy-Require: sec-agree\r\n" +
            "Content-Length: 0\r\n\r\n";
    }

    static String response(final Ue ue, final int code, final String reason, final String extraHeaders)
    {
        return "SIP/2.0 " + code + " " + reason + "\r\n" +
            "Via: SIP/2.0/UDP " + ue.address.getHostAddress() + ":" + ue.portS + ";branch=z9hG4bK" + ue.cseq + "\r\n" +
            "From: <sip:" + ue.impi + ">;tag=f" + ue.cseq + "\r\n" +
            "To: <sip:" + ue.impi + ">;tag=t1\r\n" +
            "Call-ID: " + ue.callId + "\r\n" +
            "CSeq: " + ue.cseq + " REGISTER\r\n" +
            extraHeaders +
            "Content-Length: 0\r\n\r\n";
    }

    static String authorizationWithoutResponse(final Ue ue)
    {
        return "Digest username=\"" + ue.impi + "\",realm=\"ims.example.org\",nonce=\"\",uri=\"sip:ims.example.org\",response=\"\"";
    }

    static String nonce(final Ue ue)
    {
        final byte[] bytes = new byte[32];
        bytes[0] = (byte)ue.cseq;
        return java.util.Base64.getEncoder().encodeToString(bytes);
    }

    static String user(final Ue ue)
    {
        return ue.impi.substring(0, ue.impi.indexOf('@'));
    }

    static byte[] filled(final int length, final byte value)
    {
        final byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, value);
        return bytes;
    }

    static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static long count(final List<LifecycleEvent> events, final LifecycleEvent.Type type)
    {
        return events.stream().filter(event -> event.type() == type).count();
    }

    static LifecycleEvent first(final List<LifecycleEvent> events, final LifecycleEvent.Type type)
    {
        return events.stream().filter(event -> event.type() == type).findFirst()
            .orElseThrow(() -> new AssertionError("no " + type + " in " + events));
    }
}
