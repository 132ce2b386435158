package org.esp4j.tun.sip;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.aka.Milenage;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.lifecycle.SaLifecycleState;
import org.esp4j.tun.log.LogLevel;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bridge's two orderings, reproduced without threads or sleeps: the "sniffer's socket" is a queue the test
 * fills, as the kernel fills the raw socket before the application can read what it answers, and the packets go
 * through the daemon's SPD/SAD with a real {@link EspProcessor}, as the outbound agent sends them.
 * <ul>
 * <li>UE: the client answers the 401 before the sniffer thread processed it. Without the drain the SPD has no policy
 * for port-s yet and passes the protected REGISTER in clear; with it, the REGISTER leaves as ESP with spi-s. If the
 * 401 never reached the sniffer, the REGISTER is held and counted, never sent in clear.</li>
 * <li>P-CSCF (passive): the S-CSCF's 401 gives the keys, the application's 401 the Security-Server; its 200 OK to a
 * protected REGISTER the sniffer thread has not processed still establishes the set; its 200 OK to the
 * de-registration still leaves as ESP, the SAs going only when the duty cycle has sent it.</li>
 * </ul>
 * Keys: TS 35.208 test set 1 (the P-CSCF gets the published IK/CK as the S-CSCF's ck/ik; the UE derives them).
 */
class DaemonSipBridgeOrderingTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] K = HEX.parseHex("465b5ce8b199b49faa5f0a2ee238a6bc");
    private static final byte[] OPC = HEX.parseHex("cd63cb71954a9f4e48a5994e37a02baf");
    private static final String NONCE = Base64.getEncoder().encodeToString(
        HEX.parseHex("23553cbe9637a89d218ae64dae47bf35" + "55f328b43577b9b94a9ffac354dfafb3"));
    private static final String IK = "f769bcd751044604127672711c6d3441";
    private static final String CK = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
    private static final InetAddress UE = address("2001::1:d1ae:bb37:d9c9:81d0");
    private static final InetAddress PCSCF = address("2001:0:0:1::2");
    private static final InetAddress SCSCF = address("2001:0:0:2::5");
    private static final long PCSCF_SPI_S = 2821032177L;
    private static final long UE_SPI_C = 565817L;
    private static final int UE_PORT_C = 38003;
    private static final int PCSCF_PORT_S = 50718;
    private static final String CLIENT = "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=565817;" +
        "spi-s=565818;port-c=38003;port-s=39003";
    private static final String SERVER = "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;" +
        "spi-c=3458785863;spi-s=2821032177;port-c=50717;port-s=50718;q=0.1";

    private final long[] nowNs = { 1_000_000_000L };
    private final NanoClock clock = () -> nowNs[0];
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, (type, sa) -> { });
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final EspProcessor processor = new EspProcessor(sad, spd, counters, clock);
    private final List<String> log = new ArrayList<>();
    /** The daemon's log.level for the bridge's log; null: a plain consumer, which takes every line in full. */
    private LogLevel logLevel;
    /** The bridge's summary period (log.summary.s); 0: none. */
    private long summaryPeriodNs;
    /** The sniffer's raw sockets: filled by "the kernel", emptied only by a drain. */
    private final Deque<byte[]> snifferQueue = new ArrayDeque<>();
    private UnsafeBuffer sent;

    private DaemonSipBridge bridge(final Role role, final boolean knowsK)
    {
        final Consumer<String> sink = logLevel == null ? log::add : new LogLevel.Log()
        {
            public void log(final LogLevel level, final String text)
            {
                if (logLevel.logs(level))
                {
                    log.add(text);
                }
            }

            public boolean enabled(final LogLevel level)
            {
                return logLevel.logs(level);
            }
        };
        final DaemonSipBridge bridge = new DaemonSipBridge(role, knowsK ? Milenage.withOpc(K, OPC) : null, sad, spd,
            clock::nanoTime, sink);
        bridge.inboundSource(limit ->
        {
            int taken = 0;
            for (byte[] packet; taken < limit && (packet = snifferQueue.poll()) != null; taken++)
            {
                bridge.onReceived(packet, 0, packet.length);
            }
            return taken;
        });
        return bridge;
    }

    @Test
    void shouldProtectARegisterSentBeforeTheSnifferThreadProcessedThe401()
    {
        final DaemonSipBridge ue = bridge(Role.UE, true);
        assertEquals(EspVerdict.PASS, send(ue, UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600)));

        snifferQueue.add(udp(PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER)));
        assertTrue(ue.activeSas().isEmpty(), "the sniffer thread has not run: no SAs yet");
        final byte[] second = udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600));
        assertEquals(EspVerdict.PASS, processor.outbound(buffer(second), EspProcessor.MAX_HEADROOM, second.length),
            "the hazard: without the bridge's ordering the SPD knows no policy for port-s and passes it in clear");

        assertEquals(EspVerdict.DELIVER, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S,
            register(2, PCSCF_PORT_S, SERVER, 600)), log.toString());
        assertTrue(snifferQueue.isEmpty(), "drained by the outbound path itself");
        assertEquals(PCSCF_SPI_S, espSpi(), "ESP with the P-CSCF's spi-s");
        assertEquals(4, sad.size());
        assertEquals(0, ue.heldWithoutSas());
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    @Test
    void shouldHoldARegisterWithSecurityVerifyWhoseSasNeverCameAndNeverSendItInClear()
    {
        final DaemonSipBridge ue = bridge(Role.UE, true);
        send(ue, UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600));
        final long clearBefore = counters.get(XfrmCounter.Esp4jOutBypass);

        // the 401 never reached the sniffer (a full socket buffer): nothing to drain
        assertEquals(-1, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)),
            "held back by the observer, before the SPD");
        assertEquals(1, ue.heldWithoutSas());
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates), "counted as a protect packet without state");
        assertEquals(clearBefore, counters.get(XfrmCounter.Esp4jOutBypass), "nothing went out in clear");
        assertTrue(log.stream().anyMatch(line -> line.contains("dropped, not sent in clear")), log.toString());

        // the client's retransmission, once the 401 did arrive: protected
        snifferQueue.add(udp(PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER)));
        assertEquals(EspVerdict.DELIVER, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S,
            register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(PCSCF_SPI_S, espSpi());
        assertFalse(log.stream().anyMatch(line -> line.contains(IK) || line.contains(IK.toUpperCase())),
            "keys are never logged");
    }

    @Test
    void shouldKeepThePcscfsAnswersInOrderWithWhatItReceived()
    {
        registerAndDeregisterThroughThePcscf();
    }

    @Test
    void shouldLogOneShortLinePerEventAtInfoPrintingEachSaInFullOnlyWhenInstalled()
    {
        logLevel = LogLevel.INFO;
        registerAndDeregisterThroughThePcscf();
        assertTrue(log.stream().anyMatch(line -> line.startsWith("sip-bridge: SET_ESTABLISHED: ")), log::toString);
        assertEquals(4, log.stream().filter(line -> line.contains("SA_INSTALLED") && line.contains("lifetimeNs=")).count(),
            log::toString);
        for (final String line : log)
        {
            assertFalse(line.contains("contact="), line);
            assertFalse(!line.contains("SA_INSTALLED") && line.contains("lifetimeNs="), line);
            assertFalse(line.contains(IK) || line.contains(CK), "keys are never logged");
        }
    }

    @Test
    void shouldLogNothingPerRegistrationAtWarn()
    {
        logLevel = LogLevel.WARN;
        registerAndDeregisterThroughThePcscf();
        assertEquals(List.of(), log);
    }

    @Test
    void shouldLogTheSecurityClientAsItsAlgorithmsSpisAndPortsAtInfoAndTheWholeHeaderOnlyAtDebug()
    {
        logLevel = LogLevel.INFO;
        registerAndDeregisterThroughThePcscf();
        final List<String> info = log.stream().filter(line -> line.contains("SECURITY_CLIENT_RECORDED")).toList();
        assertEquals(2, info.size(), log::toString); // the REGISTER, then the de-REGISTER's round
        assertTrue(info.get(0).startsWith("sip-bridge: SECURITY_CLIENT_RECORDED: 1 mechanism(s): hmac-sha-1-96/null; " +
            "spi-c 565817 spi-s 565818 port-c 38003 port-s 39003 [impi="), info::toString);
        assertTrue(info.stream().noneMatch(line -> line.contains(CLIENT)), info::toString);

        log.clear();
        logLevel = LogLevel.DEBUG;
        registerAndDeregisterThroughThePcscf();
        assertTrue(log.stream().anyMatch(line -> line.contains("SECURITY_CLIENT_RECORDED") && line.contains(CLIENT)),
            log::toString);
    }

    @Test
    void shouldLogNoKeyNonceOrResponseAtAnyLevel()
    {
        final String res = "a54211d5e3ba50bf"; // TS 35.208 test set 1
        for (final LogLevel level : LogLevel.values())
        {
            log.clear();
            logLevel = level;
            registerAndDeregisterThroughThePcscf();
            for (final String line : log)
            {
                assertFalse(line.contains(IK) || line.contains(CK), "keys: " + line);
                assertFalse(line.contains(NONCE), "the AKA nonce (RAND, AUTN): " + line);
                assertFalse(line.contains(res), "RES: " + line);
            }
        }
    }

    @Test
    void shouldLogOneSummaryLineAtWarnAfterAPeriodInWhichSomethingHappenedAndNoneAfterAQuietOne()
    {
        logLevel = LogLevel.WARN;
        summaryPeriodNs = 60_000_000_000L;
        final DaemonSipBridge pcscf = registerAndDeregisterThroughThePcscf();
        pcscf.poll();
        assertEquals(List.of(), log, "not before the period has passed");

        nowNs[0] += summaryPeriodNs;
        pcscf.poll();
        assertEquals(List.of("sip-bridge: summary of the last 60 s: 1 registrations (sets established), " +
            "1 de-registrations, 4 SAs installed, 4 removed; 0 failures; dropped: 0 held messages " +
            "(TunSipHoldFull, TunSipHoldNotInForce), 0 partial TCP messages; 0 SAs now"), log);

        nowNs[0] += 10 * summaryPeriodNs;
        pcscf.poll();
        assertEquals(1, log.size(), "nothing happened since: no line " + log);

        log.clear();
        logLevel = LogLevel.ERROR;
        registerAndDeregisterThroughThePcscf();
        nowNs[0] += summaryPeriodNs;
        pcscf.poll();
        assertEquals(List.of(), log, "a warn line: not at error");
    }

    private DaemonSipBridge registerAndDeregisterThroughThePcscf()
    {
        final DaemonSipBridge pcscf = bridge(Role.PCSCF, false);
        pcscf.summaryPeriod(summaryPeriodNs);
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600)));
        snifferQueue.add(udp(SCSCF, 5060, PCSCF, 5060, challenge("ck=\"" + CK + "\",ik=\"" + IK + "\"", null)));

        // the application's 401 to the UE: keys from the S-CSCF's copy, Security-Server from this one
        assertEquals(EspVerdict.PASS, send(pcscf, PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER)));
        final List<SaSpec> sas = pcscf.activeSas();
        assertEquals(4, sas.size(), log.toString());
        assertTrue(sas.stream().anyMatch(sa -> sa.spi() == PCSCF_SPI_S && sa.dstPort() == PCSCF_PORT_S));
        assertArrayEquals(HEX.parseHex(IK + "00000000"), sas.get(0).integrityKey(), "IK of the S-CSCF's ck/ik");

        // the protected REGISTER arrived (decapsulated), the sniffer thread has not run; the application answers
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(2, 600)));
        assertEquals(UE_SPI_C, espSpi(), "the 200 OK leaves as ESP with the UE's spi-c");
        assertTrue(pcscf.activeSas().stream().allMatch(sa -> sa.state() == SaLifecycleState.ESTABLISHED),
            "established by the 200 OK: the REGISTER was drained first");

        // de-registration: the 200 OK must still leave protected; the SAs go when the duty cycle has sent it
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(3, PCSCF_PORT_S, SERVER, 0)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)), log.toString());
        assertEquals(UE_SPI_C, espSpi());
        assertEquals(4, sad.size(), "still there while the packet is on its way");
        pcscf.onDutyCycleEnd();
        assertEquals(0, sad.size(), "removed once sent");
        assertEquals(0, spd.size(), "policies too");
        assertTrue(pcscf.activeSas().isEmpty());
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates));
        assertEquals(0, pcscf.errors(), log.toString());
        return pcscf;
    }

    /**
     * A Rel-15 UE offering aes-gcm (alg=null) and aes-gmac: the daemon's SAs are rfc4106 with CK and the Annex I salt
     * (expected key from sip-bridge's src/test/resources/vectors/annex-i-aead-salts.py), and the protected REGISTER
     * leaves as ESP with the P-CSCF's spi-s.
     */
    @Test
    void shouldProtectAnAesGcmRegistrationWithCkAndTheAnnexISalt()
    {
        final String client = "ipsec-3gpp;alg=null;ealg=aes-gcm;prot=esp;mod=trans;spi-c=565817;spi-s=565818;" +
            "port-c=38003;port-s=39003,ipsec-3gpp;alg=aes-gmac;ealg=null;prot=esp;mod=trans;spi-c=565817;" +
            "spi-s=565818;port-c=38003;port-s=39003";
        final String server = "ipsec-3gpp;alg=null;ealg=aes-gcm;prot=esp;mod=trans;spi-c=3458785863;" +
            "spi-s=2821032177;port-c=50717;port-s=50718;q=0.1";
        final DaemonSipBridge ue = bridge(Role.UE, true);
        send(ue, UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600).replace(CLIENT, client));
        snifferQueue.add(udp(PCSCF, 5060, UE, UE_PORT_C, challenge(null, server)));

        assertEquals(EspVerdict.DELIVER, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S,
            register(2, PCSCF_PORT_S, server, 600).replace(CLIENT, client)), log.toString());
        assertEquals(PCSCF_SPI_S, espSpi());
        final org.esp4j.core.sa.SaConfig sa1 = sad.get(PCSCF_SPI_S, PCSCF).config();
        assertEquals(org.esp4j.core.crypto.EncryptionAlgorithm.AES_GCM_16, sa1.encryptionAlgorithm());
        assertEquals(CK + "89273db6", HEX.formatHex(sa1.encryptionKey()), "CK || salt");
        assertEquals(4, sad.size());
    }

    /**
     * The client's timer re-sends the first REGISTER and the copy reaches the TUN after the 401 reached the
     * sniffer (SIPp's 500 ms against a cold daemon): the SAs stay, the P-CSCF's repeated 401 runs no second AKA
     * (no SQN failure), and the protected REGISTER leaves as ESP.
     */
    @Test
    void shouldKeepTheSasWhenTheFirstRegisterIsRetransmittedAcrossThe401()
    {
        final DaemonSipBridge ue = bridge(Role.UE, true);
        final String first = register(1, 5060, null, 600);
        send(ue, UE, UE_PORT_C, PCSCF, 5060, first);
        snifferQueue.add(udp(PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER)));

        assertEquals(EspVerdict.PASS, send(ue, UE, UE_PORT_C, PCSCF, 5060, first), "the copy goes to 5060 in clear");
        assertEquals(4, sad.size(), "the copy did not delete the temporary set");
        snifferQueue.add(udp(PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER))); // the answer to the copy

        assertEquals(EspVerdict.DELIVER, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(PCSCF_SPI_S, espSpi());
        assertEquals(4, sad.size());
        assertTrue(log.stream().anyMatch(line -> line.contains("RETRANSMISSION_IGNORED")), log.toString());
        assertFalse(log.stream().anyMatch(line -> line.contains("AKA_SYNC_FAILURE") || line.contains("SA_REMOVED")),
            log.toString());
    }

    /**
     * With a hold area (as in the daemon), the P-CSCF's 401 is taken, not sent, until the conductor reports the SAs
     * and filters it announces in force, while the outbound path goes on forwarding other traffic; then it goes
     * through the processor again and leaves.
     */
    @Test
    void shouldHoldThePcscfs401UntilItsSasAreInForceWhileOtherTrafficGoesOn()
    {
        final DaemonSipBridge pcscf = holdingBridge(Role.PCSCF, false);
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600)));
        snifferQueue.add(udp(SCSCF, 5060, PCSCF, 5060, challenge("ck=\"" + CK + "\",ik=\"" + IK + "\"", null)));

        assertEquals(EspVerdict.DROP, send(pcscf, PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER)));
        assertEquals(null, processor.dropReason(), "taken into the hold area: not a drop");
        assertEquals(1, holdArea.size());
        assertEquals(0, sad.size(), "the conductor has not run: the outbound thread did not wait for it");
        assertEquals(4, pcscf.activeSas().size(), "the bridge's books have the set");

        assertEquals(EspVerdict.PASS, send(pcscf, PCSCF, 7000, SCSCF, 7000, "not SIP"), "other traffic flows");
        pcscf.releaseHeld(this::reinject);
        assertTrue(reinjected.isEmpty(), "nothing released before the conductor reports");

        conductor.applyAll(true);
        assertEquals(4, sad.size());
        pcscf.releaseHeld(this::reinject);
        assertEquals(List.of(EspVerdict.PASS), reinjected, "the 401 leaves (in clear, on 5060) once in force");
        assertTrue(holdArea.isEmpty());
        assertEquals(1, holdCounters.released().get());
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    /**
     * UE: the protected REGISTER (Security-Verify) comes from the TUN while the SAs the received 401 installs are on
     * their way to the conductor: it waits for them instead of being dropped, and leaves as ESP with spi-s.
     */
    @Test
    void shouldHoldAProtectedRegisterUntilTheSasOfThe401AreInForceAndSendItAsEsp()
    {
        final DaemonSipBridge ue = holdingUeThatReceivedA401();

        assertEquals(EspVerdict.DROP, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(1, holdArea.size(), "held, not dropped: its SAs are under way");
        assertEquals(0, ue.heldWithoutSas());

        conductor.applyAll(true);
        ue.releaseHeld(this::reinject);
        assertEquals(List.of(EspVerdict.DELIVER), reinjected);
        assertEquals(PCSCF_SPI_S, espSpi(), "ESP with the P-CSCF's spi-s");
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    /**
     * Held per flow: while the protected REGISTER waits for its SAs, another UE's first REGISTER (another flow) leaves
     * at once, and a later packet of the waiting flow is held behind it and leaves after it, both as ESP.
     */
    @Test
    void shouldHoldOnlyTheWaitingFlowAndKeepItsPacketsInOrder()
    {
        final DaemonSipBridge ue = holdingUeThatReceivedA401();
        assertEquals(EspVerdict.DROP, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(1, holdArea.size());

        final InetAddress otherUe = address("2001::1:d1ae:bb37:d9c9:81d1");
        assertEquals(EspVerdict.PASS, send(ue, otherUe, UE_PORT_C, PCSCF, 5060,
            register(1, 5060, null, 600).replace("esp4j-ordering", "other-ue")), "another flow is not held");
        assertEquals(EspVerdict.DROP, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, "OPTIONS after"),
            "a later packet of the waiting flow waits behind it");
        assertEquals(2, holdArea.size());

        conductor.applyAll(true);
        ue.releaseHeld(this::reinject);
        assertEquals(List.of(EspVerdict.DELIVER, EspVerdict.DELIVER), reinjected, "both protected, in order");
        assertTrue(holdArea.isEmpty());
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    /**
     * Fail closed while the conductor is between the SPD change and the filter commit: the protected REGISTER's SAs
     * are in the SPD already (the lookup would protect it), but the inbound filter for its flow is not in force yet, so
     * it still waits; it leaves once the change is reported.
     */
    @Test
    void shouldHoldAPacketWhoseSasAreInTheSpdUntilTheirFiltersAreInForce()
    {
        final DaemonSipBridge ue = holdingUeThatReceivedA401();
        ue.drainReceived(16);
        conductor.applyWithoutReporting();
        assertEquals(4, sad.size(), "in the SAD and SPD");

        assertEquals(EspVerdict.DROP, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(null, processor.dropReason(), "taken, not dropped");
        assertEquals(1, holdArea.size(), "not sent before the filters are in force");

        conductor.reportInForce();
        ue.releaseHeld(this::reinject);
        assertEquals(List.of(EspVerdict.DELIVER), reinjected);
        assertEquals(PCSCF_SPI_S, espSpi());
    }

    /**
     * An SA being deleted is never used: the P-CSCF's de-registration 200 OK leaves protected and its SAs go to the
     * conductor for removal; a retransmission of that 200 OK read before the conductor applied the removal (under CPU
     * load it lags the application) is dropped as XfrmOutNoStates, not protected with the dying SA -- which a UE
     * registering again on the same ports and SPIs would take as the answer to its next REGISTER.
     */
    @Test
    void shouldDropAPacketOfAFlowWhoseSasAreBeingRemovedRatherThanProtectItWithThem()
    {
        final DaemonSipBridge pcscf = holdingPcscfThatSentIts401();
        conductor.applyAll(true);
        pcscf.releaseHeld(this::reinject);
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(2, 600)), log.toString());
        conductor.applyAll(true);

        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(3, PCSCF_PORT_S, SERVER, 0)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)));
        pcscf.onDutyCycleEnd(); // sent: its removals go to the conductor
        assertEquals(4, sad.size(), "the conductor has not applied the removal yet");

        assertEquals(-1, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)),
            "the retransmitted 200 OK is dropped, not protected with an SA being deleted");
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates));
        conductor.applyAll(true);
        assertEquals(0, sad.size());
    }

    /**
     * The same rule within one outbound batch (h5's capture under stress-ng: the retransmission left as ESP sequence 3,
     * 2 ms after the first 200 OK): the first 200 OK to the de-REGISTER and its retransmission are read from the TUN
     * in one duty cycle, so the first one's removals still wait for the end of that cycle (the first is being
     * protected with its SAs) and the conductor has been handed nothing. The retransmission is dropped as
     * XfrmOutNoStates all the same; the first leaves as ESP.
     */
    @Test
    void shouldDropARetransmitted200OkToADeRegisterReadInTheSameBatchAsTheFirst()
    {
        final DaemonSipBridge pcscf = registeredHoldingPcscf();
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(3, PCSCF_PORT_S, SERVER, 0)));

        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)), log.toString());
        assertEquals(UE_SPI_C, espSpi(), "the first 200 OK leaves as ESP with the UE's spi-c");
        assertEquals(-1, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)),
            "the retransmission in the same batch is dropped, not protected with an SA being deleted");
        assertEquals(4, sad.size(), "nothing handed to the conductor yet: the SAs are all still in the SAD");
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates));

        pcscf.onDutyCycleEnd(); // the batch is sent: the removals go to the conductor
        conductor.applyAll(true);
        assertEquals(0, sad.size());
        assertTrue(log.stream().anyMatch(line -> line.contains("on a flow whose SAs are being removed")), log::toString);
    }

    /** The same batch through a bridge without a hold area (batches in force when submitted). */
    @Test
    void shouldDropARetransmitted200OkToADeRegisterReadInTheSameBatchWithoutAHoldArea()
    {
        final DaemonSipBridge pcscf = registeredPcscfWithoutHoldArea();

        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(3, PCSCF_PORT_S, SERVER, 0)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)), log.toString());
        assertEquals(-1, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)),
            "the retransmission in the same batch is dropped, not protected with an SA being deleted");
        assertEquals(4, sad.size());
        pcscf.onDutyCycleEnd();
        assertEquals(0, sad.size());
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    /**
     * A deferred removal whose SPI and destination a new SA of another flow takes in the same duty cycle: the UE
     * de-registers from one address and registers again from another, and the P-CSCF offers the same spi-c/spi-s
     * (they are free again). The old SAs to the P-CSCF are not removed (the SAD keys them by SPI and destination: that
     * would delete the new ones), but the old flow's policies still go: none left naming the old address.
     */
    @Test
    void shouldRemoveTheOldFlowsPoliciesWhenANewFlowTakesTheSpiAndDestinationOfADeferredRemoval()
    {
        final DaemonSipBridge pcscf = registeredPcscfWithoutHoldArea();
        assertTrue(policiesOf(UE) > 0, "the registered flow is protected");

        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(3, PCSCF_PORT_S, SERVER, 0)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)), log.toString());
        // same duty cycle: the removals of the de-registration are still deferred when the new 401 installs SAs
        final InetAddress newUe = address("2001::1:d1ae:bb37:d9c9:81d1");
        challengeFrom(pcscf, newUe);
        pcscf.onDutyCycleEnd();

        assertTrue(policiesOf(newUe) > 0, "the new flow is protected: " + spd.list());
        assertEquals(0, policiesOf(UE), "no policy of the dead flow left: " + spd.list());
        assertEquals(newUe, sad.get(PCSCF_SPI_S, PCSCF).config().source(), "the SA to the P-CSCF is the new flow's");
    }

    /**
     * The same with a hold area, the removal parked with its held message: the 200 OK to the de-REGISTER waits (the
     * SAs of the 401 not yet in force) when the UE's 401 from its new address takes the same SPIs. Once released and
     * sent, the old flow's policies go and the new flow keeps its SAs.
     */
    @Test
    void shouldRemoveTheOldFlowsPoliciesWhenANewFlowTakesTheSpiAndDestinationOfAParkedRemoval()
    {
        final DaemonSipBridge pcscf = holdingRegistrationAndDeRegistration();
        final InetAddress newUe = address("2001::1:d1ae:bb37:d9c9:81d1");
        challengeFrom(pcscf, newUe); // while the de-registration's removals are parked with its 200 OK
        pcscf.onDutyCycleEnd();

        for (int cycle = 0; cycle < 3; cycle++) // the 401s' SAs in force, the held messages released and sent
        {
            conductor.applyAll(true);
            pcscf.releaseHeld(this::reinject);
            pcscf.onDutyCycleEnd();
        }
        conductor.applyAll(true);

        assertTrue(policiesOf(newUe) > 0, "the new flow is protected: " + spd.list());
        assertEquals(0, policiesOf(UE), "no policy of the dead flow left: " + spd.list());
        assertEquals(newUe, sad.get(PCSCF_SPI_S, PCSCF).config().source(), "the SA to the P-CSCF is the new flow's");
    }

    /**
     * A P-CSCF daemon (hold area) whose 401's SAs are not in force yet, holding its 200 OKs to the REGISTER and to the
     * de-REGISTER (the latter's removals parked with it).
     */
    private DaemonSipBridge holdingRegistrationAndDeRegistration()
    {
        final DaemonSipBridge pcscf = holdingPcscfThatSentIts401(); // its SAs not in force: the flow waits for them
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(EspVerdict.DROP, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(2, 600)), "taken");
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(3, PCSCF_PORT_S, SERVER, 0)));
        assertEquals(EspVerdict.DROP, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)), "taken");
        return pcscf;
    }

    /** A P-CSCF daemon without a hold area whose UE is registered (batches in force when submitted). */
    private DaemonSipBridge registeredPcscfWithoutHoldArea()
    {
        final DaemonSipBridge pcscf = bridge(Role.PCSCF, false);
        challengeFrom(pcscf, UE);
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(2, 600)), log.toString());
        pcscf.onDutyCycleEnd();
        return pcscf;
    }

    /** The first REGISTER from {@code ue}, the S-CSCF's 401 with the keys, and the P-CSCF's 401 with its SPIs. */
    private void challengeFrom(final DaemonSipBridge pcscf, final InetAddress ue)
    {
        snifferQueue.add(udp(ue, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600)));
        snifferQueue.add(udp(SCSCF, 5060, PCSCF, 5060, challenge("ck=\"" + CK + "\",ik=\"" + IK + "\"", null)));
        send(pcscf, PCSCF, 5060, ue, UE_PORT_C, challenge(null, SERVER));
    }

    private long policiesOf(final InetAddress ue)
    {
        return spd.list().stream().filter(policy -> ue.equals(policy.selector().sourceAddress()) ||
            ue.equals(policy.selector().destinationAddress())).count();
    }

    /**
     * The same batch, but from the hold area: the 200 OK to the REGISTER, the 200 OK to the de-REGISTER and its
     * retransmission were all held (the SAs of the 401 not yet in force) and are released in one duty cycle. The
     * retransmission, replayed after the message that removes its flow's SAs, is dropped, not protected with them.
     */
    @Test
    void shouldDropARetransmitted200OkToADeRegisterReleasedFromTheHoldAreaAfterTheFirst()
    {
        final DaemonSipBridge pcscf = holdingRegistrationAndDeRegistration();
        assertEquals(EspVerdict.DROP, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(3, 0)), "taken");
        pcscf.onDutyCycleEnd();
        assertEquals(0, counters.get(XfrmCounter.XfrmOutNoStates), "all taken, none dropped yet");

        conductor.applyAll(true);
        reinjected.clear();
        pcscf.releaseHeld(this::reinject); // one duty cycle: the 401 and the three 200 OKs, in the order held
        assertEquals(List.of(EspVerdict.PASS, EspVerdict.DELIVER, EspVerdict.DELIVER, EspVerdict.DROP), reinjected,
            log.toString());
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates), "the replayed retransmission, as XfrmOutNoStates");
        assertEquals(4, sad.size(), "the removals wait for the end of the duty cycle");

        pcscf.onDutyCycleEnd();
        conductor.applyAll(true);
        assertEquals(0, sad.size());
    }

    /**
     * h6's edge (a released held packet was exempt from the check against the changes under way on its flow): the
     * UE's protected REGISTER waits for the SAs of the 401 (ticket 1); meanwhile the client gives up on it and starts
     * a new unprotected round on 5060 (another flow, so not held behind it), which deletes the temporary set: that
     * removal goes to the conductor as ticket 2 at the end of the duty cycle. Ticket 1 is reported in force before the
     * conductor has applied ticket 2 (the next batch): the released REGISTER must be dropped as XfrmOutNoStates, not
     * protected with the SAs being deleted.
     */
    @Test
    void shouldDropAReleasedHeldPacketWhoseFlowsSasALaterChangeRemovesBeforeTheConductorAppliedIt()
    {
        final DaemonSipBridge ue = holdingUeThatReceivedA401();
        assertEquals(EspVerdict.DROP, send(ue, UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(1, holdArea.size(), "held: the SAs of the 401 are under way");

        assertEquals(EspVerdict.PASS, send(ue, UE, UE_PORT_C, PCSCF, 5060, register(3, 5060, null, 600)),
            "a new unprotected round, in clear on 5060 as the first REGISTER");
        ue.onDutyCycleEnd(); // its removal of the temporary set goes to the conductor
        assertTrue(log.stream().anyMatch(line -> line.contains("superseded by an unprotected REGISTER")), log::toString);

        conductor.applyFirst(true); // the 401's SAs in force; the removal is the conductor's next batch
        assertEquals(4, sad.size(), "the removal is not applied yet");
        ue.releaseHeld(this::reinject);
        assertEquals(List.of(EspVerdict.DROP), reinjected, "not protected with an SA being deleted");
        assertEquals(XfrmCounter.XfrmOutNoStates, processor.dropReason());
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates));

        conductor.applyAll(true);
        assertEquals(0, sad.size());
    }

    /** A P-CSCF daemon (hold area) whose UE is registered: SAs and filters in force, nothing held. */
    private DaemonSipBridge registeredHoldingPcscf()
    {
        final DaemonSipBridge pcscf = holdingPcscfThatSentIts401();
        conductor.applyAll(true);
        pcscf.releaseHeld(this::reinject);
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, PCSCF_PORT_S, register(2, PCSCF_PORT_S, SERVER, 600)));
        assertEquals(EspVerdict.DELIVER, send(pcscf, PCSCF, PCSCF_PORT_S, UE, UE_PORT_C, ok(2, 600)), log.toString());
        pcscf.onDutyCycleEnd();
        conductor.applyAll(true);
        assertEquals(4, sad.size());
        return pcscf;
    }

    /**
     * Issue 14's latent bug: a change reported not in force used to make the bridge lose track of the SAs it had
     * installed, which stayed in the SAD for good. Now the announcing 401 is dropped (never sent) but the SAs stay on
     * the bridge's books, and go with their set: 0 SAs and 0 policies once it expires.
     */
    @Test
    void shouldKeepTrackOfSasReportedNotInForceAndRemoveThemWithTheirSet()
    {
        final DaemonSipBridge pcscf = holdingPcscfThatSentIts401();

        conductor.applyAll(false); // applied, but nft refused the filter: not in force
        pcscf.releaseHeld(this::reinject);
        assertTrue(reinjected.isEmpty(), "the 401 that announced them never leaves");
        assertEquals(1, holdCounters.notInForce().get());
        assertEquals(4, sad.size(), "the SAs are in the SAD");
        assertEquals(4, pcscf.activeSas().size(), "and on the bridge's books");

        nowNs[0] += java.util.concurrent.TimeUnit.HOURS.toNanos(1); // reg-await-auth runs out: the set expires
        pcscf.poll();
        conductor.applyAll(true);
        assertTrue(pcscf.activeSas().isEmpty(), log.toString());
        assertEquals(0, sad.size(), "no SA left behind");
        assertEquals(0, spd.size(), "no policy left behind");
    }

    /** A holding P-CSCF bridge that received the UE's REGISTER and the S-CSCF's 401 (ck/ik) and sent its own 401. */
    /** A holding UE bridge whose first REGISTER left and whose 401 (with keys to install) the sniffer has queued. */
    private DaemonSipBridge holdingUeThatReceivedA401()
    {
        final DaemonSipBridge ue = holdingBridge(Role.UE, true);
        send(ue, UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600));
        conductor.applyAll(true);
        ue.releaseHeld(this::reinject);
        reinjected.clear();
        snifferQueue.add(udp(PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER)));
        return ue;
    }

    private DaemonSipBridge holdingPcscfThatSentIts401()
    {
        final DaemonSipBridge pcscf = holdingBridge(Role.PCSCF, false);
        snifferQueue.add(udp(UE, UE_PORT_C, PCSCF, 5060, register(1, 5060, null, 600)));
        snifferQueue.add(udp(SCSCF, 5060, PCSCF, 5060, challenge("ck=\"" + CK + "\",ik=\"" + IK + "\"", null)));
        send(pcscf, PCSCF, 5060, UE, UE_PORT_C, challenge(null, SERVER));
        return pcscf;
    }

    /** The daemon's conductor, by hand: changes wait until the test applies them and reports their outcome. */
    private static final class ManualConductor implements DaemonSipBridge.ChangeApplier
    {
        private final List<Runnable> changes = new ArrayList<>();
        private final List<java.util.function.Consumer<RuntimeException>> outcomes = new ArrayList<>();

        public void submit(final Runnable change, final java.util.function.Consumer<RuntimeException> done)
        {
            changes.add(change);
            outcomes.add(done);
        }

        public void schedule(final String key, final long delayNs, final Runnable change)
        {
            change.run(); // no linger here
        }

        public void cancel(final String key)
        {
        }

        /** The changes run (SAD and SPD changed), the host's filter not yet committed: nothing reported. */
        void applyWithoutReporting()
        {
            changes.forEach(Runnable::run);
            changes.clear();
        }

        /** The filter committed: every change applied so far is reported in force. */
        void reportInForce()
        {
            outcomes.forEach(done -> done.accept(null));
            outcomes.clear();
        }

        /** The conductor's first queued batch only, reported; the rest wait for its next duty cycle. */
        void applyFirst(final boolean inForce)
        {
            changes.remove(0).run();
            outcomes.remove(0).accept(inForce ? null : new IllegalStateException("nft refused"));
        }

        void applyAll(final boolean inForce)
        {
            for (int i = 0; i < changes.size(); i++)
            {
                changes.get(i).run();
                outcomes.get(i).accept(inForce ? null : new IllegalStateException("nft refused"));
            }
            changes.clear();
            outcomes.clear();
        }
    }

    private final ManualConductor conductor = new ManualConductor();
    private final org.agrona.concurrent.status.CountersManager counterValues = new org.agrona.concurrent.status
        .CountersManager(new UnsafeBuffer(new byte[16 * 1024]), new UnsafeBuffer(new byte[4 * 1024]));
    private final HoldArea.Counters holdCounters = new HoldArea.Counters(counterValues.newCounter("held"),
        counterValues.newCounter("released"), counterValues.newCounter("full"), counterValues.newCounter("notInForce"));
    private HoldArea holdArea;
    private DaemonSipBridge holding;
    private final List<Integer> reinjected = new ArrayList<>();

    private DaemonSipBridge holdingBridge(final Role role, final boolean knowsK)
    {
        final DaemonSipBridge bridge = new DaemonSipBridge(role, knowsK ? Milenage.withOpc(K, OPC) : null, null, sad,
            spd, clock::nanoTime, log::add, 0, conductor);
        holdArea = new HoldArea(clock, 10_000_000_000L, holdCounters, bridge::onHeldDropped, HoldArea.Wake.NONE);
        bridge.holdArea(holdArea);
        bridge.inboundSource(limit ->
        {
            int taken = 0;
            for (byte[] packet; taken < limit && (packet = snifferQueue.poll()) != null; taken++)
            {
                bridge.onReceived(packet, 0, packet.length);
            }
            return taken;
        });
        holding = bridge;
        return bridge;
    }

    /** The outbound agent's path for a released packet: the processor (with the bridge) again. */
    private void reinject(final org.agrona.DirectBuffer packet, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        packet.getBytes(offset, copy);
        sent = buffer(copy);
        processor.outboundObserver(holding); // as the outbound agent: a released packet meets the bridge again
        try
        {
            reinjected.add(processor.outbound(sent, EspProcessor.MAX_HEADROOM, length));
        }
        finally
        {
            processor.outboundObserver(null);
        }
    }

    /**
     * What the outbound agent does with a packet from the TUN: the processor, with the bridge as its observer around
     * the SPD lookup; -1 when the observer held it back (dropped by the processor as XfrmOutNoStates).
     */
    private int send(final DaemonSipBridge bridge, final InetAddress src, final int sport, final InetAddress dst,
        final int dport, final String sip)
    {
        final byte[] packet = udp(src, sport, dst, dport, sip);
        sent = buffer(packet);
        final long heldBefore = bridge.heldWithoutSas();
        processor.outboundObserver(bridge);
        final int verdict;
        try
        {
            verdict = processor.outbound(sent, EspProcessor.MAX_HEADROOM, packet.length);
        }
        finally
        {
            processor.outboundObserver(null); // a bare processor.outbound in a test sees no bridge
        }
        if (bridge.heldWithoutSas() != heldBefore)
        {
            assertEquals(EspVerdict.DROP, verdict);
            assertEquals(XfrmCounter.XfrmOutNoStates, processor.dropReason());
            return -1;
        }
        return verdict;
    }

    private long espSpi()
    {
        final int at = processor.resultOffset();
        assertEquals(50, sent.getByte(at + 6) & 0xFF, "next header ESP");
        return sent.getInt(at + 40, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    private static UnsafeBuffer buffer(final byte[] packet)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(
            new byte[EspProcessor.MAX_HEADROOM + packet.length + EspProcessor.MAX_TAILROOM]);
        buffer.putBytes(EspProcessor.MAX_HEADROOM, packet);
        return buffer;
    }

    private static String register(final int cseq, final int port, final String verify, final int expires)
    {
        return "REGISTER sip:ims.example.net SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP [2001::1:d1ae:bb37:d9c9:81d0]:38003;branch=z9hG4bKt" + cseq + "\r\n" +
            "Route: <sip:[2001:0:0:1::2]:" + port + ";lr>\r\n" +
            "From: <sip:001010123456789@ims.example.net>;tag=ue1\r\n" +
            "To: <sip:001010123456789@ims.example.net>\r\n" +
            "Call-ID: esp4j-ordering\r\n" +
            "CSeq: " + cseq + " REGISTER\r\n" +
            "Contact: <sip:001010123456789@[2001::1:d1ae:bb37:d9c9:81d0]:39003>;expires=" + expires + "\r\n" +
            "Expires: " + expires + "\r\n" +
            "Require: sec-agree\r\nProxy-Require: sec-agree\r\n" +
            "Security-Client: " + CLIENT + "\r\n" +
            (verify != null ? "Security-Verify: " + verify + "\r\n" : "") +
            "Authorization: Digest username=\"001010123456789@ims.example.net\",realm=\"ims.example.net\"," +
            "nonce=\"" + (verify != null ? NONCE : "") + "\",uri=\"sip:ims.example.net\",response=\"\"\r\n" +
            "Content-Length: 0\r\n\r\n";
    }

    private static String challenge(final String keys, final String server)
    {
        return "SIP/2.0 401 Unauthorized\r\n" +
            "Via: SIP/2.0/UDP [2001::1:d1ae:bb37:d9c9:81d0]:38003;branch=z9hG4bKt1\r\n" +
            "From: <sip:001010123456789@ims.example.net>;tag=ue1\r\n" +
            "To: <sip:001010123456789@ims.example.net>;tag=s1\r\n" +
            "Call-ID: esp4j-ordering\r\n" +
            "CSeq: 1 REGISTER\r\n" +
            "WWW-Authenticate: Digest realm=\"ims.example.net\",nonce=\"" + NONCE + "\",qop=\"auth\"," +
            "algorithm=AKAv1-MD5" + (keys != null ? "," + keys : "") + "\r\n" +
            (server != null ? "Security-Server: " + server + "\r\n" : "") +
            "Content-Length: 0\r\n\r\n";
    }

    private static String ok(final int cseq, final int expires)
    {
        return "SIP/2.0 200 OK\r\n" +
            "Via: SIP/2.0/UDP [2001::1:d1ae:bb37:d9c9:81d0]:38003;branch=z9hG4bKt" + cseq + "\r\n" +
            "From: <sip:001010123456789@ims.example.net>;tag=ue1\r\n" +
            "To: <sip:001010123456789@ims.example.net>;tag=s1\r\n" +
            "Call-ID: esp4j-ordering\r\n" +
            "CSeq: " + cseq + " REGISTER\r\n" +
            "Contact: <sip:001010123456789@[2001::1:d1ae:bb37:d9c9:81d0]:39003>;expires=" + expires + "\r\n" +
            "Content-Length: 0\r\n\r\n";
    }

    private static byte[] udp(final InetAddress src, final int sport, final InetAddress dst, final int dport,
        final String sip)
    {
        final byte[] payload = sip.getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer packet = ByteBuffer.allocate(48 + payload.length);
        packet.putInt(0x6000_0000).putShort((short)(8 + payload.length)).put((byte)17).put((byte)64);
        packet.put(src.getAddress()).put(dst.getAddress());
        packet.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payload.length)).putShort((short)1);
        return packet.put(payload).array();
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
