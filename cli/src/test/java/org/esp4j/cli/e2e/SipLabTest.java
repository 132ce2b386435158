package org.esp4j.cli.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.BiConsumer;

import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.PCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SCSCF;

/**
 * What the SIP end-to-end tests built on {@link SipBridgeEndToEndTest}'s fixture share: its work directory,
 * namespaces and daemons (removed after each test), a UE namespace and a P-CSCF namespace joined by the veth with
 * the S-CSCF's address on the P-CSCF's loopback, and the two daemons of a lab.
 */
abstract class SipLabTest
{
    /** The namespaces, work directory and daemons of the SIP bridge's end-to-end test, reused as they are. */
    final SipBridgeEndToEndTest fixture = new SipBridgeEndToEndTest();
    /** The fixture's lab, run by this test: its work directory, namespaces and counters files. */
    @RegisterExtension
    final E2eLab e2e = fixture.lab;

    /** The two namespaces and the daemons' control sockets. */
    record Lab(Netns ueNs, Netns pcNs, Path ueSocket, Path pcSocket)
    {
    }

    @BeforeEach
    void setUp()
    {
        fixture.setUp();
    }

    /** Namespaces {@code esp4j-NAMEue-PID} and {@code esp4j-NAMEpc-PID}, linked, the S-CSCF on the P-CSCF's lo. */
    Lab lab(final String name) throws IOException
    {
        final Netns ueNs = e2e.netns("esp4j-" + name + "ue");
        final Netns pcNs = e2e.netns("esp4j-" + name + "pc");
        SipBridgeEndToEndTest.link(ueNs, pcNs);
        pcNs.ip().check("-6", "addr", "add", SCSCF + "/128", "dev", "lo", "nodad");
        return new Lab(ueNs, pcNs, fixture.work.resolve("ue.sock"), fixture.work.resolve("pc.sock"));
    }

    /** The P-CSCF daemon ({@code --sip-bridge pcscf}, steering {@code steer}), once ready. */
    Process pcscfDaemon(final Lab lab, final String steer) throws Exception
    {
        final Process daemon = fixture.startDaemon(lab.pcNs(), "pc", lab.pcSocket(), steer, false, "--sip-bridge", "pcscf");
        SipBridgeEndToEndTest.awaitReady(lab.pcNs(), daemon);
        return daemon;
    }

    /**
     * Both daemons, started together and awaited: the P-CSCF's ({@code --sip-bridge pcscf}, steering {@code steer})
     * and the UE's ({@code --sip-bridge ue} with the subscriber's K/OPc, steering the P-CSCF).
     *
     * @return the P-CSCF daemon, then the UE daemon.
     */
    Process[] daemons(final Lab lab, final String steer, final String k, final String opc) throws Exception
    {
        final Process pcDaemon = fixture.startDaemon(lab.pcNs(), "pc", lab.pcSocket(), steer, false, "--sip-bridge", "pcscf");
        final Process ueDaemon = fixture.startDaemon(lab.ueNs(), "ue", lab.ueSocket(), PCSCF, false,
            "--sip-bridge", "ue", "--k", k, "--opc", opc);
        SipBridgeEndToEndTest.awaitReady(lab.pcNs(), pcDaemon);
        SipBridgeEndToEndTest.awaitReady(lab.ueNs(), ueDaemon);
        return new Process[]{ pcDaemon, ueDaemon };
    }

    /** Hand each IPv6 packet of a capture (at least IPv6 + 8 bytes) to {@code each}, in capture order. */
    static void eachIpv6(final Path pcap, final BiConsumer<PcapFrame, ByteBuffer> each) throws IOException
    {
        try (PcapReader reader = new PcapReader(pcap))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                final ByteBuffer ip = SipBridgeEndToEndTest.ipv6(frame);
                if (ip != null)
                {
                    each.accept(frame, ip);
                }
            }
        }
    }
}
