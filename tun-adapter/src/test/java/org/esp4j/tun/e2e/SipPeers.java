package org.esp4j.tun.e2e;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A SIP UE and a SIP P-CSCF that know nothing of IPsec, for the SIP-bridge end-to-end test, run inside the test's
 * network namespaces: {@code SipPeers pcscf ADDR} answers a REGISTER on 5060 with a 401 carrying an AKA challenge
 * and a Security-Server; {@code SipPeers ue UE PCSCF} sends the unprotected REGISTER, waits for the 401, then sends
 * the protected REGISTER from its port-c to the P-CSCF's port-s, as an IMS client does (TS 24.229 §5.1.1.2).
 * <p>
 * The AKA challenge is TS 35.208 test set 1 (K 465b5ce8..., OPc cd63cb71..., RAND 23553cbe..., SQN ff9bb4d0b607,
 * AMF b9b9): AUTN = (SQN xor AK) || AMF || MAC-A = 55f328b43577 b9b9 4a9ffac354dfafb3, worked out from the published
 * values, so the bridge's Milenage is checked against the spec, not against itself.
 */
public final class SipPeers
{
    static final String K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    static final String OPC = "cd63cb71954a9f4e48a5994e37a02baf";
    private static final String RAND = "23553cbe9637a89d218ae64dae47bf35";
    private static final String AUTN = "55f328b43577b9b94a9ffac354dfafb3";
    static final long PCSCF_SPI_S = 2821032177L;
    static final long PCSCF_SPI_C = 3458785863L;
    static final int UE_PORT_C = 38003;
    static final int UE_PORT_S = 39003;
    static final int PCSCF_PORT_C = 50717;
    static final int PCSCF_PORT_S = 50718;
    private static final int TIMEOUT_MS = 10_000;

    private SipPeers()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if ("pcscf".equals(args[0]))
        {
            pcscf(InetAddress.getByName(args[1]));
        }
        else
        {
            ue(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]));
        }
    }

    private static void pcscf(final InetAddress address) throws Exception
    {
        try (DatagramSocket sip = new DatagramSocket(new InetSocketAddress(address, 5060)))
        {
            sip.setSoTimeout(60_000);
            System.out.println("PCSCF-READY");
            System.out.flush();
            final DatagramPacket request = new DatagramPacket(new byte[8192], 8192);
            sip.receive(request);
            final String register = new String(request.getData(), 0, request.getLength(), StandardCharsets.US_ASCII);
            final String nonce = Base64.getEncoder().encodeToString(hex(RAND + AUTN));
            final String response = "SIP/2.0 401 Unauthorized\r\n" +
                header(register, "Via") +
                header(register, "From") +
                header(register, "To").replace("\r\n", ";tag=pcscf1\r\n") +
                header(register, "Call-ID") +
                header(register, "CSeq") +
                "WWW-Authenticate: Digest realm=\"ims.example.net\",nonce=\"" + nonce +
                "\",qop=\"auth\",algorithm=AKAv1-MD5\r\n" +
                "Security-Server: ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=" + PCSCF_SPI_C +
                ";spi-s=" + PCSCF_SPI_S + ";port-c=" + PCSCF_PORT_C + ";port-s=" + PCSCF_PORT_S + ";q=0.1\r\n" +
                "Content-Length: 0\r\n\r\n";
            final byte[] bytes = response.getBytes(StandardCharsets.US_ASCII);
            sip.send(new DatagramPacket(bytes, bytes.length, request.getSocketAddress()));
            System.out.println("PCSCF-SENT-401");
            System.out.flush();
        }
    }

    private static void ue(final InetAddress ue, final InetAddress pcscf) throws Exception
    {
        final String host = "[" + pcscf.getHostAddress() + "]";
        final String self = "[" + ue.getHostAddress() + "]";
        final String client = "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=565817;spi-s=565818;" +
            "port-c=" + UE_PORT_C + ";port-s=" + UE_PORT_S;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ue, UE_PORT_C)))
        {
            socket.setSoTimeout(TIMEOUT_MS);
            final String first = register(1, self, host, 5060, "Security-Client: " + client + "\r\n" +
                "Authorization: Digest username=\"001010123456789@ims.example.net\",realm=\"ims.example.net\"," +
                "nonce=\"\",uri=\"sip:ims.example.net\",response=\"\",algorithm=AKAv1-MD5\r\n");
            send(socket, first, pcscf, 5060);
            final DatagramPacket answer = new DatagramPacket(new byte[8192], 8192);
            socket.receive(answer);
            final String challenge = new String(answer.getData(), 0, answer.getLength(), StandardCharsets.US_ASCII);
            if (!challenge.startsWith("SIP/2.0 401"))
            {
                throw new IllegalStateException("expected 401, got " + challenge);
            }
            System.out.println("UE-GOT-401");
            // The client answers at once, as a real one does; the daemon must have keyed the SAs by then or the
            // REGISTER goes through the TUN unprotected -- give the sniffer the few ms a SIP stack would take anyway.
            Thread.sleep(300);
            final String serverLine = header(challenge, "Security-Server").substring("Security-Server: ".length());
            final String second = register(2, self, host, PCSCF_PORT_S, "Security-Client: " + client + "\r\n" +
                "Security-Verify: " + serverLine +
                "Authorization: Digest username=\"001010123456789@ims.example.net\",realm=\"ims.example.net\"," +
                "nonce=\"" + Base64.getEncoder().encodeToString(hex(RAND + AUTN)) + "\",uri=\"sip:ims.example.net\"," +
                "response=\"00000000000000000000000000000000\",algorithm=AKAv1-MD5,qop=auth,nc=00000001," +
                "cnonce=\"abcdef\"\r\n");
            for (int i = 0; i < 3; i++)
            {
                send(socket, second, pcscf, PCSCF_PORT_S);
                Thread.sleep(200);
            }
            System.out.println("UE-DONE");
        }
    }

    private static String register(
        final int cseq, final String self, final String host, final int port, final String extraHeaders)
    {
        return "REGISTER sip:ims.example.net SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP " + self + ":" + UE_PORT_C + ";branch=z9hG4bKesp4j" + cseq + "\r\n" +
            "Max-Forwards: 70\r\n" +
            "Route: <sip:" + host + ":" + port + ";lr>\r\n" +
            "From: <sip:001010123456789@ims.example.net>;tag=ue1\r\n" +
            "To: <sip:001010123456789@ims.example.net>\r\n" +
            "Call-ID: esp4j-sip-bridge-e2e\r\n" +
            "CSeq: " + cseq + " REGISTER\r\n" +
            "Contact: <sip:001010123456789@" + self + ":" + UE_PORT_S + ">;expires=600000\r\n" +
            "Expires: 600000\r\n" +
            "Supported: path,sec-agree\r\n" +
            "Require: sec-agree\r\n" +
            "Proxy-Require: sec-agree\r\n" +
            extraHeaders +
            "Content-Length: 0\r\n\r\n";
    }

    private static void send(final DatagramSocket socket, final String message, final InetAddress to, final int port)
        throws Exception
    {
        final byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        socket.send(new DatagramPacket(bytes, bytes.length, new InetSocketAddress(to, port)));
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

    private static byte[] hex(final String text)
    {
        final byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
