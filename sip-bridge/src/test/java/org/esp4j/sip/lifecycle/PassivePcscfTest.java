package org.esp4j.sip.lifecycle;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.esp4j.sip.lifecycle.ImsHarness.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A passive P-CSCF bridge (the daemon's: it watches, it cannot forward a rewritten 401): the S-CSCF's 401 only
 * gives the keys ({@code ck}/{@code ik}); the SAs follow the Security-Server the P-CSCF application puts into its
 * own 401 to the UE, keyed with the S-CSCF's IK.
 */
class PassivePcscfTest
{
    private static final long APP_SPI_C = 7001;
    private static final long APP_SPI_S = 7002;
    private static final int APP_PORT_C = 40001;
    private static final int APP_PORT_S = 40002;
    private static final String VERIFY = "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=" + APP_SPI_C +
        ";spi-s=" + APP_SPI_S + ";port-c=" + APP_PORT_C + ";port-s=" + APP_PORT_S + ";q=0.1";

    private final ImsHarness ims = new ImsHarness(LifecycleConfig.builder(Role.PCSCF)
        .passive(true)
        .spiPool(new SpiPool(5000, 5999))
        .portPool(new PortPool(6000, 6999)));

    @Test
    void shouldKeyTheApplicationsSecurityServerWithTheScscfKeysAndAllocateNothing()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(60, "hmac-sha-1-96");
        ims.initialRegister(ue);
        assertTrue(contains(ims.bridge.protectedPorts(), ue.portC) && contains(ims.bridge.protectedPorts(), ue.portS),
            "the UE's announced ports are watched before any SA exists");

        final List<LifecycleEvent> scscf = ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        assertEquals(1, count(scscf, LifecycleEvent.Type.NETWORK_KEYS_LEARNT), scscf.toString());
        assertEquals(0, count(scscf, LifecycleEvent.Type.MESSAGE_REWRITTEN), "a passive bridge rewrites nothing");
        assertEquals(0, ims.sink.size(), "the P-CSCF application has not chosen yet");
        assertEquals(0, ims.config.spiPool().inUseCount());

        final List<LifecycleEvent> toUe = ims.feed(ImsHarness.PCSCF, 5060, ue.address, 5062, appChallenge(ue));
        assertEquals(4, count(toUe, LifecycleEvent.Type.SA_INSTALLED), toUe.toString());
        assertEquals(0, count(toUe, LifecycleEvent.Type.MESSAGE_REWRITTEN));
        final SaSpec sa1 = ims.sink.installed().get(0);
        assertEquals(APP_SPI_S, sa1.spi(), "the application's spi-s, not one from the pool");
        assertEquals(ue.portC, sa1.srcPort());
        assertEquals(APP_PORT_S, sa1.dstPort());
        assertArrayEquals(Arrays.copyOf(ImsHarness.ik(ue), 20), sa1.integrityKey(), "IK of the S-CSCF's 401 || 32 zero bits");
        assertTrue(contains(ims.bridge.protectedPorts(), APP_PORT_C) && contains(ims.bridge.protectedPorts(), APP_PORT_S));

        final String verify = VERIFY;
        ims.feed(ue.address, ue.portC, ImsHarness.PCSCF, APP_PORT_S, ImsHarness.register(ue, 600, ue.securityClient(),
            verify, ImsHarness.authorizationWithoutResponse(ue)));
        final List<LifecycleEvent> ok = ims.feed(ImsHarness.PCSCF, APP_PORT_S, ue.address, ue.portC, ImsHarness.response(ue,
            200, "OK", "Contact: <sip:" + ImsHarness.user(ue) + "@" + ue.address.getHostAddress() + ":" + ue.portS + ">;expires=600\r\n"));
        assertEquals(1, count(ok, LifecycleEvent.Type.SET_ESTABLISHED), ok.toString());

        ims.feed(ue.address, ue.portC, ImsHarness.PCSCF, APP_PORT_S, ImsHarness.register(ue, 0, ue.securityClient(),
            verify, ImsHarness.authorizationWithoutResponse(ue)));
        final List<LifecycleEvent> gone = ims.feed(ImsHarness.PCSCF, APP_PORT_S, ue.address, ue.portC, ImsHarness.response(ue,
            200, "OK", "Contact: <sip:" + ImsHarness.user(ue) + "@" + ue.address.getHostAddress() + ":" + ue.portS + ">;expires=0\r\n"));
        assertEquals(4, count(gone, LifecycleEvent.Type.SA_REMOVED), gone.toString());
        assertEquals(0, ims.sink.size());
        assertEquals(0, ims.config.spiPool().inUseCount());
        assertEquals(0, ims.config.portPool().inUseCount());
        assertEquals(0, ims.bridge.protectedPorts().length);
    }

    @Test
    void shouldKeepTheSetWhenTheRegisterIsRetransmittedAndTheApplicationRepeatsIts401()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(62, "hmac-sha-1-96");
        final String initial = ImsHarness.register(ue, 600, ue.securityClient(), null, ImsHarness.authorizationWithoutResponse(ue));
        ims.feed(ue.address, 5062, ImsHarness.PCSCF, 5060, initial);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        ims.feed(ue.address, 5062, ImsHarness.PCSCF, 5060, initial); // crosses the S-CSCF's 401
        assertEquals(4, count(ims.feed(ImsHarness.PCSCF, 5060, ue.address, 5062, appChallenge(ue)), LifecycleEvent.Type.SA_INSTALLED));

        final List<LifecycleEvent> copy = ims.feed(ue.address, 5062, ImsHarness.PCSCF, 5060, initial);
        assertEquals(1, count(copy, LifecycleEvent.Type.RETRANSMISSION_IGNORED), copy.toString());
        final List<LifecycleEvent> repeated = ims.feed(ImsHarness.PCSCF, 5060, ue.address, 5062, appChallenge(ue));
        assertEquals(0, count(copy, LifecycleEvent.Type.SA_REMOVED) + count(repeated, LifecycleEvent.Type.SA_REMOVED) +
            count(repeated, LifecycleEvent.Type.SA_INSTALLED) + count(repeated, LifecycleEvent.Type.REQUEST_REJECTED), repeated.toString());
        assertEquals(4, ims.sink.size());

        final List<LifecycleEvent> ok = protectedRegisterAnswered(ue);
        assertEquals(1, count(ok, LifecycleEvent.Type.SET_ESTABLISHED), ok.toString());
    }

    /** The protected REGISTER over the application's set and its 200 OK. */
    private List<LifecycleEvent> protectedRegisterAnswered(final ImsHarness.Ue ue)
    {
        ims.feed(ue.address, ue.portC, ImsHarness.PCSCF, APP_PORT_S, ImsHarness.register(ue, 600, ue.securityClient(),
            VERIFY, ImsHarness.authorizationWithoutResponse(ue)));
        return ims.feed(ImsHarness.PCSCF, APP_PORT_S, ue.address, ue.portC, ImsHarness.response(ue,
            200, "OK", "Contact: <sip:" + ImsHarness.user(ue) + "@" + ue.address.getHostAddress() + ":" + ue.portS + ">;expires=600\r\n"));
    }

    @Test
    void shouldServeTwoUesWhoseApplicationUsesFixedPortsInsideThePoolAndFixedSpis()
    {
        // The application's port-c/port-s 50717/50718 and its SPIs lie inside the bridge's own pools.
        final ImsHarness pooled = new ImsHarness(LifecycleConfig.builder(Role.PCSCF).passive(true)
            .spiPool(new SpiPool(7000, 7999)).portPool(new PortPool(20000, 59999)));
        final ImsHarness.Ue first = ImsHarness.ue(70, "hmac-sha-1-96");
        final ImsHarness.Ue second = ImsHarness.ue(71, "hmac-sha-1-96");

        assertEquals(4, register(pooled, first, 7001, 7002));
        assertEquals(4, register(pooled, second, 7003, 7004));
        assertEquals(8, pooled.sink.size());
        assertEquals(0, pooled.bridge.flowConflicts());

        // The first UE starts over with a new Call-ID; the application hands it the same SPIs and ports again.
        final ImsHarness.Ue restarted = new ImsHarness.Ue(first.address, first.impi, "restart-" + first.callId);
        restarted.offeredMechanisms = first.offeredMechanisms;
        restarted.newRound(first.spiC, first.portC);
        assertEquals(4, register(pooled, restarted, 7001, 7002));
        assertEquals(8, pooled.sink.size(), "the old registration's set replaced, the second UE's kept");
        assertEquals(0, pooled.bridge.flowConflicts());
    }

    @Test
    void shouldReportAFlowConflictAndInstallNothingWhenAnotherLiveRegistrationUsesTheFlow()
    {
        final ImsHarness pooled = new ImsHarness(LifecycleConfig.builder(Role.PCSCF).passive(true)
            .spiPool(new SpiPool(7000, 7999)).portPool(new PortPool(20000, 59999)));
        final ImsHarness.Ue first = ImsHarness.ue(72, "hmac-sha-1-96");
        assertEquals(4, register(pooled, first, 7001, 7002));

        // Another subscriber on the same UE address and ports (a second client on the host, same port-c/port-s).
        final ImsHarness.Ue other = new ImsHarness.Ue(first.address, "intruder@ims.example.org", "other-" + first.callId);
        other.offeredMechanisms = first.offeredMechanisms;
        other.newRound(first.spiC + 2, first.portC);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(pooled.initialRegister(other));
        events.addAll(pooled.challengeFromScscf(other, ImsHarness.ck(other), ImsHarness.ik(other)));
        events.addAll(pooled.feed(ImsHarness.PCSCF, 5060, other.address, 5062, challenge(other, 7005, 7006)));

        assertEquals(1, count(events, LifecycleEvent.Type.FLOW_CONFLICT), events.toString());
        assertTrue(ImsHarness.first(events, LifecycleEvent.Type.FLOW_CONFLICT).detail().contains("already in use by"));
        assertEquals(0, count(events, LifecycleEvent.Type.SA_INSTALLED), "no half-installed set");
        assertEquals(0, count(events, LifecycleEvent.Type.REQUEST_REJECTED), "the application answered, not the bridge");
        assertEquals(4, pooled.sink.size(), "the first registration keeps its SAs");
        assertEquals(1, pooled.bridge.flowConflicts());
    }

    /** Initial REGISTER, S-CSCF 401, the application's 401 with fixed ports and the given SPIs: SAs installed. */
    private static long register(final ImsHarness pooled, final ImsHarness.Ue ue, final long spiC, final long spiS)
    {
        pooled.initialRegister(ue);
        pooled.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        final List<LifecycleEvent> events = pooled.feed(ImsHarness.PCSCF, 5060, ue.address, 5062, challenge(ue, spiC, spiS));
        assertEquals(0, count(events, LifecycleEvent.Type.REQUEST_REJECTED) + count(events, LifecycleEvent.Type.FLOW_CONFLICT),
            events.toString());
        return count(events, LifecycleEvent.Type.SA_INSTALLED);
    }

    private static String challenge(final ImsHarness.Ue ue, final long spiC, final long spiS)
    {
        return ImsHarness.response(ue, 401, "Unauthorized", "WWW-Authenticate: Digest realm=\"ims.example.org\"," +
            "nonce=\"" + ImsHarness.nonce(ue) + "\",algorithm=AKAv1-MD5,qop=\"auth\"\r\n" +
            "Security-Server: ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=" + spiC +
            ";spi-s=" + spiS + ";port-c=50717;port-s=50718;q=0.1\r\n");
    }

    @Test
    void shouldCreateNoSasWhenTheApplicationsChallengeHasNoSecurityServer()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(61, "hmac-sha-1-96");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));

        final String bare = ImsHarness.response(ue, 401, "Unauthorized", "WWW-Authenticate: Digest realm=\"ims.example.org\"," +
            "nonce=\"" + ImsHarness.nonce(ue) + "\",algorithm=AKAv1-MD5,qop=\"auth\"\r\n");
        final List<LifecycleEvent> events = ims.feed(ImsHarness.PCSCF, 5060, ue.address, 5062, bare);

        assertEquals(1, count(events, LifecycleEvent.Type.WARNING), events.toString());
        assertEquals(0, ims.sink.size());
    }

    @Test
    void shouldNotTakeKeysFromAChallengeWithAnotherNonce()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(62, "hmac-sha-1-96");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));

        final String other = appChallenge(ue).replace(ImsHarness.nonce(ue), "b3RoZXJub25jZQ==");
        final List<LifecycleEvent> events = ims.feed(ImsHarness.PCSCF, 5060, ue.address, 5062, other);

        assertTrue(ims.sink.installed().stream().noneMatch(SaSpec::hasKeys), "no keys are known for that challenge");
    }

    /** The P-CSCF application's 401 to the UE: its own Security-Server, the S-CSCF's nonce, ck/ik stripped. */
    private static String appChallenge(final ImsHarness.Ue ue)
    {
        return ImsHarness.response(ue, 401, "Unauthorized", "WWW-Authenticate: Digest realm=\"ims.example.org\"," +
            "nonce=\"" + ImsHarness.nonce(ue) + "\",algorithm=AKAv1-MD5,qop=\"auth\"\r\n" +
            "Security-Server: ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;prot=esp;mod=trans;spi-c=" + APP_SPI_C +
            ";spi-s=" + APP_SPI_S + ";port-c=" + APP_PORT_C + ";port-s=" + APP_PORT_S + ";q=0.1\r\n");
    }

    private static boolean contains(final int[] ports, final int port)
    {
        return Arrays.stream(ports).anyMatch(p -> p == port);
    }
}
