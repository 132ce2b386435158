package org.esp4j.tun.sip;

import org.agrona.concurrent.NanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.tun.RootAssumptions;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sniffer on real raw sockets (root): what the host receives reaches the bridge through its drains.
 */
class SipSnifferTest
{
    private static final long DEADLINE_NS = 10_000_000_000L;
    private static final int MESSAGES = 3;

    private final NanoClock clock = System::nanoTime;
    private final SecurityAssociationDatabase sad =
        new SecurityAssociationDatabase(XfrmCounters.inMemory(), clock, (type, sa) -> { });
    private final List<String> log = new CopyOnWriteArrayList<>();

    @Test
    void shouldHandEveryQueuedMessageToTheBridgeAcrossDrainsCutAtTheirLimit() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final DaemonSipBridge bridge = new DaemonSipBridge(
            Role.PCSCF, null, sad, new SecurityPolicyDatabase(), clock::nanoTime, log::add);
        try (SipSniffer sniffer = new SipSniffer(bridge);
            DatagramSocket ue = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0)))
        {
            final String callIdBase = "esp4j-sniffer-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            for (int i = 0; i < MESSAGES; i++)
            {
                final byte[] register = register(callIdBase + "-" + i, ue.getLocalPort()).getBytes(
                    StandardCharsets.US_ASCII);
                ue.send(new DatagramPacket(register, register.length, InetAddress.getByName("::1"),
                    DaemonSipBridge.SIP_PORT));
            }

            // one packet per socket and drain: what one drain leaves queued, the next takes
            final long deadline = System.nanoTime() + DEADLINE_NS;
            while (recorded(callIdBase) < MESSAGES && System.nanoTime() < deadline)
            {
                bridge.drainReceived(1);
            }
            assertEquals(MESSAGES, recorded(callIdBase), log.toString());
            assertTrue(log.stream().noneMatch(line -> line.contains("PARSE_ERROR")), log.toString());
        }
    }

    private long recorded(final String callIdBase)
    {
        return log.stream().filter(line -> line.contains("SECURITY_CLIENT_RECORDED") && line.contains(callIdBase))
            .count();
    }

    private static String register(final String callId, final int port)
    {
        return "REGISTER sip:ims.example.net SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP [::1]:" + port + ";branch=z9hG4bK" + callId + "\r\n" +
            "From: <sip:001010123456789@ims.example.net>;tag=ue1\r\n" +
            "To: <sip:001010123456789@ims.example.net>\r\n" +
            "Call-ID: " + callId + "\r\n" +
            "CSeq: 1 REGISTER\r\n" +
            "Contact: <sip:001010123456789@[::1]:" + port + ">;expires=600\r\n" +
            "Expires: 600\r\n" +
            "Require: sec-agree\r\nProxy-Require: sec-agree\r\n" +
            "Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=565817;" +
            "spi-s=565818;port-c=38003;port-s=39003\r\n" +
            "Content-Length: 0\r\n\r\n";
    }
}
