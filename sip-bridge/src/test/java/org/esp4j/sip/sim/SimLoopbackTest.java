package org.esp4j.sip.sim;

import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The UE simulator against the P-CSCF simulator in one JVM: over real loopback sockets (TCP for the REGISTERs, which
 * are over 1,300 bytes, UDP for the rest, as in the seed), and over an in-memory wire where a test can tamper with
 * a message to see the P-CSCF's 403 and 494. The AKA is checked end to end: the P-CSCF's challenge is made from
 * TS 35.208 test set 1's K/OPc/SQN/AMF and the UE's USIM must accept it and produce the RES the P-CSCF expects.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimLoopbackTest
{
    private static final long T0 = 1_000_000;

    @Test
    void shouldRegisterSubscribeReregisterAndDeregisterOverLoopbackSockets() throws Exception
    {
        final InetAddress loopback = InetAddress.getByName("::1");
        final int[] ports = freePorts(5);
        final PcscfSimConfig pcscfConfig = PcscfSimConfig.seed(loopback).withPorts(ports[0], ports[1], ports[2]);
        final UeSimConfig ueConfig = UeSimConfig.seed(loopback, loopback).withPorts(ports[0], ports[3], ports[4])
            .withProcedure(1, true);
        final SimLadder ueLadder = new SimLadder("UE", null);
        final SimLadder pcscfLadder = new SimLadder("P-CSCF", null);
        final Sims sims = runOverSockets(loopback, pcscfConfig, ueConfig, pcscfLadder, ueLadder, new int[]{ ports[1] },
            new int[]{ ports[3] });
        assertEquals(UeSim.State.DONE, sims.ue.state(), sims.ue.failure() + "\n" + ueLadder.notes());
        assertEquals(2, sims.pcscf.registrations(), "registration and one re-registration");
        assertEquals(1, sims.pcscf.deregistrations());

        final long pcscfSpiS = PcscfSimConfig.SEED_SPI_S;
        final long ueSpiC = UeSimConfig.SEED_SPI_C;
        final long ueSpiS = UeSimConfig.SEED_SPI_S;
        final int pcPort = ports[0];
        final int pcPortC = ports[1];
        final int pcPortS = ports[2];
        final int uePortC = ports[3];
        final int uePortS = ports[4];
        final List<String> expected = List.of(
            // under 1,300 bytes with ::1 (over it with the seed's addresses: TCP there), so UDP, from port-c
            "sent UDP " + uePortC + "->" + pcPort + " REGISTER -1",
            "got UDP " + pcPort + "->" + uePortS + " 401 Unauthorized -1",
            "sent TCP " + uePortC + "->" + pcPortS + " REGISTER " + pcscfSpiS,
            "got TCP " + pcPortS + "->" + uePortC + " 200 OK " + ueSpiC,
            "sent UDP " + uePortC + "->" + pcPortS + " SUBSCRIBE " + pcscfSpiS,
            "got UDP " + pcPortC + "->" + uePortS + " 200 OK " + ueSpiS,
            "got UDP " + pcPortC + "->" + uePortS + " NOTIFY " + ueSpiS,
            "sent UDP " + uePortC + "->" + pcPortS + " 200 OK " + pcscfSpiS,
            "sent TCP " + uePortC + "->" + pcPortS + " REGISTER " + pcscfSpiS,
            "got TCP " + pcPortS + "->" + uePortC + " 200 OK " + ueSpiC,
            "sent TCP " + uePortC + "->" + pcPortS + " REGISTER " + pcscfSpiS,
            "got TCP " + pcPortS + "->" + uePortC + " 200 OK " + ueSpiC);
        assertEquals(expected, ladder(ueLadder, ports), "the seed's ladder: transports, ports and the SA of each message");
        assertEquals(12, pcscfLadder.lines().size(), "the P-CSCF saw the same 12 messages");
        assertTrue(ueLadder.notes().contains("UE: registered over hmac-md5-96/null SAs"), ueLadder.notes().toString());
    }

    @Test
    void shouldRechallengeReregistrationAndMoveToTheNewSasOverLoopbackSockets() throws Exception
    {
        final InetAddress loopback = InetAddress.getByName("::1");
        final int[] ports = freePorts(7);
        final PcscfSimConfig pcscfConfig = PcscfSimConfig.seed(loopback).withPorts(ports[0], ports[1], ports[2])
            .withRechallenge(ports[6]);
        final UeSimConfig ueConfig = UeSimConfig.seed(loopback, loopback).withPorts(ports[0], ports[3], ports[4])
            .withProcedure(1, true).withRenewal(ports[5]);
        final SimLadder ueLadder = new SimLadder("UE", null);
        final SimLadder pcscfLadder = new SimLadder("P-CSCF", null);
        final Sims sims = runOverSockets(loopback, pcscfConfig, ueConfig, pcscfLadder, ueLadder,
            new int[]{ ports[1], ports[6] }, new int[]{ ports[3], ports[5] });
        final PcscfSim pcscf = sims.pcscf;
        final UeSim ue = sims.ue;
        assertEquals(UeSim.State.DONE, ue.state(), ue.failure() + "\n" + ueLadder.notes());
        assertEquals(2, pcscf.registrations(), "registration and one re-registration");
        assertEquals(1, pcscf.deregistrations());

        final long oldPcscfSpiS = PcscfSimConfig.SEED_SPI_S;
        final long oldUeSpiC = UeSimConfig.SEED_SPI_C;
        final long ueSpiS = UeSimConfig.SEED_SPI_S;
        final long newPcscfSpiS = PcscfSimConfig.SEED_SPI_S + 2;
        final long newUeSpiC = UeSimConfig.SEED_SPI_C + 2;
        final int pcPort = ports[0];
        final int pcPortC = ports[1];
        final int pcPortS = ports[2];
        final int oldUePortC = ports[3];
        final int uePortS = ports[4];
        final int newUePortC = ports[5];
        final List<String> expected = List.of(
            "sent UDP " + oldUePortC + "->" + pcPort + " REGISTER -1",
            "got UDP " + pcPort + "->" + uePortS + " 401 Unauthorized -1",
            "sent TCP " + oldUePortC + "->" + pcPortS + " REGISTER " + oldPcscfSpiS,
            "got TCP " + pcPortS + "->" + oldUePortC + " 200 OK " + oldUeSpiC,
            "sent UDP " + oldUePortC + "->" + pcPortS + " SUBSCRIBE " + oldPcscfSpiS,
            "got UDP " + pcPortC + "->" + uePortS + " 200 OK " + ueSpiS,
            "got UDP " + pcPortC + "->" + uePortS + " NOTIFY " + ueSpiS,
            "sent UDP " + oldUePortC + "->" + pcPortS + " 200 OK " + oldPcscfSpiS,
            // TS 33.203 7.4: the re-REGISTER and its 401 over the old set
            "sent TCP " + oldUePortC + "->" + pcPortS + " REGISTER " + oldPcscfSpiS,
            "got TCP " + pcPortS + "->" + oldUePortC + " 401 Unauthorized " + oldUeSpiC,
            // the authenticated re-REGISTER over the new temporary set, then the de-REGISTER over the new set
            "sent TCP " + newUePortC + "->" + pcPortS + " REGISTER " + newPcscfSpiS,
            "got TCP " + pcPortS + "->" + newUePortC + " 200 OK " + newUeSpiC,
            "sent TCP " + newUePortC + "->" + pcPortS + " REGISTER " + newPcscfSpiS,
            "got TCP " + pcPortS + "->" + newUePortC + " 200 OK " + newUeSpiC);
        assertEquals(expected, ladder(ueLadder, ports), "transports, ports and the SA of each message");
        assertEquals(14, pcscfLadder.lines().size(), "the P-CSCF saw the same 14 messages");

        final SecurityMechanismPair client = new SecurityMechanismPair(ue.negotiated());
        assertEquals(List.of(newUeSpiC, UeSimConfig.SEED_SPI_S + 2, (long)newUePortC, (long)uePortS), client.ue());
        assertEquals(List.of(PcscfSimConfig.SEED_SPI_C + 2, newPcscfSpiS, (long)ports[6], (long)pcPortS),
            client.pcscf(), "new P-CSCF SPIs and a port-c other than the replaced set's");
        final SecurityMechanismPair pcscfSide = new SecurityMechanismPair(pcscf.negotiated());
        assertEquals(client.ue(), pcscfSide.ue(), "both sims hold the same new set");
        assertEquals(client.pcscf(), pcscfSide.pcscf(), "both sims hold the same new set");
        assertTrue(pcscfLadder.notes().stream().anyMatch(note -> note.startsWith(
            "P-CSCF: new SAs established (spi-c " + (PcscfSimConfig.SEED_SPI_C + 2) + " spi-s " + newPcscfSpiS +
            "), old ones removed (spi-c " + PcscfSimConfig.SEED_SPI_C + " spi-s " + oldPcscfSpiS + ")")),
            pcscfLadder.notes().toString());
    }

    private record Sims(PcscfSim pcscf, UeSim ue)
    {
    }

    /** Both sims over loopback sockets until the UE is done; each listens on its port-c(s) (UDP) and port-s. */
    private static Sims runOverSockets(
        final InetAddress loopback, final PcscfSimConfig pcscfConfig, final UeSimConfig ueConfig,
        final SimLadder pcscfLadder, final SimLadder ueLadder, final int[] pcscfPortsC, final int[] uePortsC)
        throws IOException
    {
        try (SocketSimTransport pcscfSockets = new SocketSimTransport(loopback);
            SocketSimTransport ueSockets = new SocketSimTransport(loopback))
        {
            pcscfSockets.listen(pcscfConfig.port(), true).listen(pcscfConfig.portS(), true);
            for (final int port : pcscfPortsC)
            {
                pcscfSockets.listen(port, false);
            }
            for (final int port : uePortsC)
            {
                ueSockets.listen(port, false);
            }
            ueSockets.listen(ueConfig.portS(), true);
            final PcscfSim pcscf = new PcscfSim(pcscfConfig, pcscfSockets, pcscfLadder);
            final UeSim ue = new UeSim(ueConfig, ueSockets, ueLadder);
            ue.start(now());
            final SocketSimTransport.Handler toUe = handler((flow, message) -> ue.onMessage(flow, message, now()));
            final SocketSimTransport.Handler toPcscf = handler((flow, message) -> pcscf.onMessage(flow, message, now()));
            final long deadline = now() + 30_000;
            while (!ue.isFinished() && now() < deadline)
            {
                pcscfSockets.poll(1, toPcscf);
                ueSockets.poll(1, toUe);
                ue.doWork(now());
                pcscf.doWork(now());
            }
            return new Sims(pcscf, ue);
        }
    }

    private record SecurityMechanismPair(NegotiatedSas sas)
    {
        List<Long> ue()
        {
            return List.of(sas.client().spiC(), sas.client().spiS(), (long)sas.client().portC(),
                (long)sas.client().portS());
        }

        List<Long> pcscf()
        {
            return List.of(sas.server().spiC(), sas.server().spiS(), (long)sas.server().portC(),
                (long)sas.server().portS());
        }
    }

    /** One line per message of the UE's ladder: direction, transport, the test's ports (others blank) and SPI. */
    private static List<String> ladder(final SimLadder ueLadder, final int[] ports)
    {
        final List<Integer> known = java.util.Arrays.stream(ports).boxed().toList();
        final List<String> actual = new ArrayList<>();
        for (final SimLadder.Line line : ueLadder.lines())
        {
            final int src = line.sent() ? line.flow().local().getPort() : line.flow().remote().getPort();
            final int dst = line.sent() ? line.flow().remote().getPort() : line.flow().local().getPort();
            actual.add((line.sent() ? "sent " : "got ") + line.flow().transport() + " " +
                (known.contains(src) ? src : "") + "->" + (known.contains(dst) ? dst : "") +
                " " + line.summary() + " " + line.spi());
        }
        return actual;
    }

    @Test
    void shouldFailTheUeWhenTheNotifyItsSubscribeCallsForNeverComes() throws Exception
    {
        // a farm's P-CSCF whose connection to this UE's port-s failed: without Timer N the UE waits for ever
        final Wire wire = new Wire(UnaryOperator.identity());
        wire.loseNotify = true;
        wire.run();
        assertEquals(UeSim.State.SUBSCRIBING, wire.ue.state());
        wire.ue.doWork(T0 + ClientTransactions.TIMER_F_MS - 1);
        assertEquals(UeSim.State.SUBSCRIBING, wire.ue.state(), "Timer N has not fired yet");
        wire.ue.doWork(T0 + ClientTransactions.TIMER_F_MS);
        assertEquals(UeSim.State.FAILED, wire.ue.state());
        assertEquals("no NOTIFY within 64*T1 (32000 ms) of the SUBSCRIBE (RFC 6665 Timer N)", wire.ue.failure());
    }

    @Test
    void shouldAnswer494WhenSecurityVerifyDiffersFromTheSecurityServerSent() throws Exception
    {
        final Wire wire = new Wire(bytes -> replace(bytes, "Security-Verify: ipsec-3gpp;alg=hmac-md5-96",
            "Security-Verify: ipsec-3gpp;alg=hmac-sha-1-96"));
        wire.run();
        assertEquals(UeSim.State.FAILED, wire.ue.state());
        assertTrue(wire.ue.failure().startsWith("REGISTER answered 494 Security Agreement Required"), wire.ue.failure());
        assertEquals(0, wire.pcscf.registrations());
    }

    @Test
    void shouldAnswer403WhenTheDigestResponseIsNotMadeWithXres() throws Exception
    {
        final Wire wire = new Wire(bytes -> replace(bytes, ",response=\"", ",response=\"0"));
        wire.run();
        assertEquals(UeSim.State.FAILED, wire.ue.state());
        assertTrue(wire.ue.failure().startsWith("REGISTER answered 403 Forbidden"), wire.ue.failure());
        assertTrue(wire.pcscfLadder.notes().stream().anyMatch(note -> note.contains("does not match XRES")));
    }

    @Test
    void shouldChooseTheMechanismTheUeAsksForAndFailWhenThePcscfAcceptsNone() throws Exception
    {
        final Wire sha1 = new Wire(UnaryOperator.identity());
        sha1.ueConfig = sha1.ueConfig.withAlgorithms(List.of(IntegrityAlgorithm.HMAC_SHA1_96),
            org.esp4j.core.crypto.EncryptionAlgorithm.AES_CBC);
        sha1.run();
        assertEquals(UeSim.State.DONE, sha1.ue.state(), sha1.ue.failure());
        assertEquals("hmac-sha-1-96/aes-cbc", sha1.ue.negotiated().algorithms());

        final Wire none = new Wire(UnaryOperator.identity());
        none.pcscfConfig = none.pcscfConfig.withAlgorithms(List.of(IntegrityAlgorithm.HMAC_MD5_96),
            List.of(org.esp4j.core.crypto.EncryptionAlgorithm.AES_CBC));
        none.run();
        assertTrue(none.ue.failure().startsWith("REGISTER answered 494"), none.ue.failure());
    }

    @Test
    void shouldNegotiateRel15AesGcmWithAlgNullAndAesGmacWithEalgNull() throws Exception
    {
        assertRel15("--ealg aes-gcm", SimAlgorithms.parse(null, "aes-gcm"), "alg=null;ealg=aes-gcm", "null/aes-gcm");
        assertRel15("--alg aes-gmac", SimAlgorithms.parse("aes-gmac", null), "alg=aes-gmac;ealg=null", "aes-gmac/null");
    }

    private static void assertRel15(
        final String option, final SimAlgorithms algorithms, final String parameters, final String negotiated)
        throws Exception
    {
        final List<String> protectedRegisters = new ArrayList<>();
        final Wire wire = new Wire(bytes ->
        {
            final String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.startsWith("REGISTER "))
            {
                protectedRegisters.add(text);
            }
            return bytes;
        });
        wire.ueConfig = wire.ueConfig.withAlgorithms(List.of(algorithms.alg()), algorithms.ealg());
        wire.pcscfConfig = wire.pcscfConfig.withAlgorithms(List.of(algorithms.alg()), List.of(algorithms.ealg()));
        wire.run();
        assertEquals(UeSim.State.DONE, wire.ue.state(), option + ": " + wire.ue.failure());
        assertEquals(negotiated, wire.ue.negotiated().algorithms(), option);
        assertEquals(1, protectedRegisters.size(), option);
        final String register = protectedRegisters.get(0);
        assertTrue(register.contains("Security-Client: ipsec-3gpp;" + parameters + ";"), register);
        assertTrue(register.contains("Security-Verify: ipsec-3gpp;" + parameters + ";"), register);

        final Wire seedPcscf = new Wire(UnaryOperator.identity());
        seedPcscf.ueConfig = wire.ueConfig;
        seedPcscf.run();
        assertTrue(seedPcscf.ue.failure().startsWith("REGISTER answered 494"),
            option + " against the seed's P-CSCF (hmac-*, null/aes-cbc): " + seedPcscf.ue.failure());
    }

    /** Both sims on an in-memory wire; the UE's protected REGISTERs pass through a tamper function. */
    private static final class Wire implements SimTransport
    {
        private final UnaryOperator<byte[]> tamper;
        private final ArrayDeque<Object[]> queue = new ArrayDeque<>();
        private final InetAddress ueAddress;
        private final InetAddress pcscfAddress;
        UeSimConfig ueConfig;
        PcscfSimConfig pcscfConfig;
        UeSim ue;
        PcscfSim pcscf;
        boolean loseNotify;
        final SimLadder pcscfLadder = new SimLadder("P-CSCF", null);

        Wire(final UnaryOperator<byte[]> tamper) throws IOException
        {
            this.tamper = tamper;
            ueAddress = InetAddress.getByName("2001::1:d1ae:bb37:d9c9:81d0");
            pcscfAddress = InetAddress.getByName("2001:0:0:1::2");
            ueConfig = UeSimConfig.seed(ueAddress, pcscfAddress);
            pcscfConfig = PcscfSimConfig.seed(pcscfAddress);
        }

        void run() throws IOException
        {
            ue = new UeSim(ueConfig, this, new SimLadder("UE", null));
            pcscf = new PcscfSim(pcscfConfig, this, pcscfLadder);
            ue.start(T0);
            for (int hops = 0; !queue.isEmpty() && hops < 50; hops++)
            {
                final Object[] next = queue.poll();
                final SimFlow flow = (SimFlow)next[0];
                byte[] bytes = (byte[])next[1];
                final SimFlow arrived = new SimFlow(flow.transport(), flow.remote(), flow.local());
                if (flow.local().getAddress().equals(ueAddress))
                {
                    if (flow.remote().getPort() == pcscfConfig.portS())
                    {
                        bytes = tamper.apply(bytes);
                    }
                    pcscf.onMessage(arrived, SipMessageParser.parse(bytes, 0, bytes.length), T0);
                }
                else if (!loseNotify || !new String(bytes, 0, 7, java.nio.charset.StandardCharsets.US_ASCII).equals("NOTIFY "))
                {
                    ue.onMessage(arrived, SipMessageParser.parse(bytes, 0, bytes.length), T0);
                }
            }
        }

        public SimFlow send(final SimFlow flow, final byte[] message)
        {
            final SimFlow used = flow.local().getPort() != 0 ? flow :
                new SimFlow(flow.transport(), new InetSocketAddress(flow.local().getAddress(), 42368), flow.remote());
            queue.add(new Object[]{ used, message });
            return used;
        }
    }

    private interface Delivery
    {
        void deliver(SimFlow flow, SipMessage message) throws IOException;
    }

    private static SocketSimTransport.Handler handler(final Delivery delivery)
    {
        return new SocketSimTransport.Handler()
        {
            public void onMessage(final SimFlow flow, final SipMessage message) throws IOException
            {
                delivery.deliver(flow, message);
            }

            public void onBadInput(final SimFlow flow, final String reason)
            {
                throw new AssertionError(flow + ": " + reason);
            }
        };
    }

    private static byte[] replace(final byte[] bytes, final String from, final String to)
    {
        final String text = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(text.contains(from), text);
        return text.replace(from, to).getBytes(StandardCharsets.UTF_8);
    }

    static int[] freePorts(final int count) throws IOException
    {
        final int[] ports = new int[count];
        final List<AutoCloseable> held = new ArrayList<>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                while (true)
                {
                    final ServerSocket tcp = new ServerSocket(0);
                    held.add(tcp);
                    try
                    {
                        held.add(new DatagramSocket(tcp.getLocalPort()));
                        ports[i] = tcp.getLocalPort();
                        break;
                    }
                    catch (final IOException taken)
                    {
                        // the UDP port is in use: try another
                    }
                }
            }
        }
        finally
        {
            for (final AutoCloseable closeable : held)
            {
                try
                {
                    closeable.close();
                }
                catch (final Exception ignore)
                {
                    // released
                }
            }
        }
        return ports;
    }

    private static long now()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }
}
