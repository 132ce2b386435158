package org.esp4j.sip.lifecycle;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.esp4j.sip.secagree.SecurityMechanism;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.esp4j.sip.lifecycle.ImsHarness.count;
import static org.esp4j.sip.lifecycle.ImsHarness.first;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcscfLifecycleTest
{
    private final ImsHarness ims = new ImsHarness(LifecycleConfig.builder(Role.PCSCF)
        .protectedServerPort(5064)
        .spiPool(new SpiPool(5000, 5999))
        .portPool(new PortPool(6000, 6999)));

    @Test
    void shouldChooseAesGcmByLocalPreferenceAndWriteAnnexHTokensInTheSecurityServer()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(41, "hmac-sha-1-96/aes-cbc,aes-gmac/null,null/aes-gcm");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));

        assertEquals(1, ue.securityServer.size());
        assertTrue(ue.securityServer.get(0).format().startsWith("ipsec-3gpp;alg=null;ealg=aes-gcm;"),
            ue.securityServer.get(0).format());
        final SaSpec sa1 = ims.sink.installed().get(0);
        assertEquals(EncryptionAlgorithm.AES_GCM_16, sa1.encryptionAlgorithm());
        final byte[] expected = java.util.Arrays.copyOf(ImsHarness.ck(ue), 20);
        System.arraycopy(org.esp4j.sip.aka.EspKeys.salt(EncryptionAlgorithm.AES_GCM_16,
            ImsHarness.ck(ue), ImsHarness.ik(ue)), 0, expected, 16, 4);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, sa1.encryptionKey(), "CK of the S-CSCF's 401 || salt");
    }

    @Test
    void shouldKeepTheChallengeAndItsSetWhenTheUeRetransmitsAcrossThe401()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(40, "hmac-sha-1-96/aes-cbc");
        final String initial = ImsHarness.register(ue, 600, ue.securityClient(), null, ImsHarness.authorizationWithoutResponse(ue));
        ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, initial);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        final List<LifecycleEvent> crossing = ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, initial);
        ims.forwardChallenge(ue);
        final List<LifecycleEvent> late = ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, initial);
        final List<LifecycleEvent> resent = ims.forwardChallenge(ue);

        assertEquals(2, count(crossing, LifecycleEvent.Type.RETRANSMISSION_IGNORED) + count(late, LifecycleEvent.Type.RETRANSMISSION_IGNORED));
        assertEquals(0, count(late, LifecycleEvent.Type.SA_REMOVED) + count(resent, LifecycleEvent.Type.SA_INSTALLED), resent.toString());
        assertEquals(4, ims.sink.size());
        assertEquals(2, ims.config.spiPool().inUseCount(), "one spi-c/spi-s pair, not a second allocation");
        ims.protectedRegister(ue, 600, ue.securityClient(), org.esp4j.sip.secagree.SecurityHeaders.format(ue.securityServer));
        assertEquals(1, count(ims.finalResponse(ue, 200, "OK", 600), LifecycleEvent.Type.SET_ESTABLISHED));
    }

    @Test
    void shouldCreateTemporarySetOnChallengeAndEstablishItOnOk()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(1, "hmac-sha-1-96/aes-cbc,hmac-md5-96/null");

        final List<LifecycleEvent> offer = ims.initialRegister(ue);
        assertEquals(1, count(offer, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED));
        assertEquals(0, ims.sink.size());

        final List<LifecycleEvent> challenge = ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        assertEquals(4, count(challenge, LifecycleEvent.Type.SA_INSTALLED));
        assertEquals(1, count(challenge, LifecycleEvent.Type.TEMPORARY_SET_CREATED));
        final SipMessage rewritten = SipMessageParser.parse(ue.lastChallenge, 0, ue.lastChallenge.length);
        final String authenticate = rewritten.header("WWW-Authenticate");
        assertFalse(authenticate.contains("ck="), authenticate);
        assertFalse(authenticate.contains("ik="), authenticate);
        final SecurityMechanism server = SecurityHeaders.fromMessage(rewritten, "Security-Server").get(0);
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, server.alg(), "local preference puts sha-1 with aes first");
        assertEquals(EncryptionAlgorithm.AES_CBC, server.ealg());
        assertEquals(5064, server.portS());
        assertTrue(server.spiC() >= 5000 && server.spiC() <= 5999);

        for (final SaSpec sa : ims.sink.installed())
        {
            assertEquals(SaLifecycleState.TEMPORARY, sa.state());
            assertEquals(LifecycleConfig.DEFAULT_REG_AWAIT_AUTH_NS, sa.lifetimeNs());
        }
        final SaSpec sa1 = ims.sink.installed().get(0);
        assertEquals("SA1", sa1.label());
        assertEquals(PolicyDirection.IN, sa1.direction());
        assertEquals(server.spiS(), sa1.spi());
        assertEquals(ue.portC, sa1.srcPort());
        assertEquals(5064, sa1.dstPort());
        assertArrayEquals(java.util.Arrays.copyOf(ImsHarness.ik(ue), 20), sa1.integrityKey(), "Annex I: IK || 32 zero bits");
        assertArrayEquals(ImsHarness.ck(ue), sa1.encryptionKey(), "Annex I: aes-cbc key = CK");

        ims.forwardChallenge(ue);
        ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.securityServer));
        final List<LifecycleEvent> ok = ims.finalResponse(ue, 200, "OK", 600);

        assertEquals(1, count(ok, LifecycleEvent.Type.SET_ESTABLISHED));
        assertEquals(4, ims.sink.size());
        for (final SaSpec sa : ims.sink.installed())
        {
            assertEquals(SaLifecycleState.ESTABLISHED, sa.state());
            assertEquals(TimeUnit.SECONDS.toNanos(630), sa.lifetimeNs(), "registration expiry + 30 s");
        }
        assertEquals(ue.impi, first(ok, LifecycleEvent.Type.SET_ESTABLISHED).identity().impi());
        assertEquals(ue.callId, first(ok, LifecycleEvent.Type.SET_ESTABLISHED).identity().callId());
    }

    @Test
    void shouldChooseHmacMd5WhenTheUeOffersOnlyThat()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(2, "hmac-md5-96");
        ims.registerFully(ue, 600);

        assertEquals(4, ims.sink.size());
        for (final SaSpec sa : ims.sink.installed())
        {
            assertEquals("hmac-md5-96", sa.integrityAlgorithmName());
            assertEquals("null", sa.encryptionAlgorithmName());
            assertEquals(16, sa.integrityKey().length);
            assertEquals(0, sa.encryptionKey().length);
        }
        assertNull(ue.securityServer.get(0).ealg(), "no ealg offered, none answered");
    }

    @Test
    void shouldKeepOldSetUntilNewSetCarriesTrafficOnChallengedReRegistration()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(3, "hmac-md5-96");
        ims.registerFully(ue, 600);
        final List<SaSpec> firstSet = ims.sink.installed();
        final long firstPortC = ue.securityServer.get(0).portC();

        ue.newRound(ue.spiC + 2, ue.portC + 2);
        ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.establishedServer));
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        assertEquals(8, ims.sink.size(), "old set plus the new temporary set");
        final SecurityMechanism newServer = ue.securityServer.get(0);
        assertTrue(newServer.portC() != firstPortC, "new port-c");
        assertEquals(5064, newServer.portS(), "same port-s");

        ims.forwardChallenge(ue);
        ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.securityServer));
        final List<LifecycleEvent> ok = ims.finalResponse(ue, 200, "OK", 600);
        assertEquals(1, count(ok, LifecycleEvent.Type.SET_MARKED_OLD));
        assertEquals(8, ims.sink.size(), "the old set keeps working until the new one carries traffic");

        final List<LifecycleEvent> traffic = ims.subscribe(ue);
        assertEquals(1, count(traffic, LifecycleEvent.Type.SET_DELETED));
        assertEquals(4, ims.sink.size());
        for (final SaSpec sa : ims.sink.installed())
        {
            assertEquals(SaLifecycleState.ESTABLISHED, sa.state());
            assertFalse(firstSet.stream().anyMatch(old -> old.spi() == sa.spi() && old.dst().equals(sa.dst())));
        }
    }

    @Test
    void shouldKeepItsProtectedPortsEqualToItsSasAndOpenRoundsThroughEveryStep()
    {
        final ImsHarness.Ue one = ImsHarness.ue(21, "hmac-sha-1-96");
        final ImsHarness.Ue two = ImsHarness.ue(22, "hmac-md5-96");
        two.newRound(two.spiC, 32000); // ports of its own (every harness UE starts on 31000)
        ims.registerFully(one, 600);
        assertProtectedPorts(one.portC, one.portS);

        ims.initialRegister(two);
        assertProtectedPorts(one.portC, one.portS, two.portC, two.portS);
        ims.challengeFromScscf(two, ImsHarness.ck(two), ImsHarness.ik(two));
        assertProtectedPorts(one.portC, one.portS, two.portC, two.portS);

        final int oldPortC = one.portC;
        final int oldPortS = one.portS;
        challengedReRegistration(one);
        ims.finalResponse(one, 200, "OK", 600);
        assertProtectedPorts(oldPortC, oldPortS, one.portC, one.portS, two.portC, two.portS);
        ims.subscribe(one); // the new set carries traffic: the old one goes
        assertProtectedPorts(one.portC, one.portS, two.portC, two.portS);
        assertFalse(contains(ims.bridge.protectedPorts(), oldPortC), "the old round's port-c is named by nothing");

        ims.clockNs.addAndGet(2 * LifecycleConfig.DEFAULT_REG_AWAIT_AUTH_NS);
        ims.bridge.expire(); // two never answered its 401: its set and its round go
        assertProtectedPorts(one.portC, one.portS);

        ims.deregister(one);
        assertEquals(0, ims.sink.size());
        assertArrayEquals(new int[0], ims.bridge.protectedPorts());
    }

    /** A re-registration round on new ports over the established set, up to its final response (not sent). */
    private void challengedReRegistration(final ImsHarness.Ue ue)
    {
        ue.newRound(ue.spiC + 2, ue.portC + 2);
        ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.establishedServer));
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        ims.forwardChallenge(ue);
        ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.securityServer));
    }

    /** The ports of every SA in the sink, and the given round ports: nothing else, ascending. */
    private void assertProtectedPorts(final int... roundPorts)
    {
        final java.util.TreeSet<Integer> expected = new java.util.TreeSet<>();
        for (final SaSpec sa : ims.sink.installed())
        {
            expected.add(sa.srcPort());
            expected.add(sa.dstPort());
        }
        for (final int port : roundPorts)
        {
            expected.add(port);
        }
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ims.bridge.protectedPorts(),
            "SAs " + ims.sink.installed());
    }

    private static boolean contains(final int[] ports, final int port)
    {
        return java.util.Arrays.stream(ports).anyMatch(p -> p == port);
    }

    @Test
    void shouldExtendLifetimeOnUnchallengedReRegistration()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(4, "hmac-md5-96");
        ims.registerFully(ue, 600);
        ims.clockNs.addAndGet(TimeUnit.SECONDS.toNanos(500));

        ims.protectedRegister(ue, 1200, ue.securityClient(), SecurityHeaders.format(ue.establishedServer));
        final List<LifecycleEvent> ok = ims.finalResponse(ue, 200, "OK", 1200);

        assertEquals(1, count(ok, LifecycleEvent.Type.LIFETIME_EXTENDED));
        assertEquals(4, ims.sink.size());
        ims.sink.installed().forEach(sa -> assertEquals(TimeUnit.SECONDS.toNanos(1230), sa.lifetimeNs()));

        ims.clockNs.addAndGet(TimeUnit.SECONDS.toNanos(700));
        assertTrue(ims.bridge.expire().isEmpty(), "extended beyond the first expiry");
        ims.clockNs.addAndGet(TimeUnit.SECONDS.toNanos(600));
        assertEquals(1, count(ims.bridge.expire(), LifecycleEvent.Type.SET_DELETED));
        assertEquals(0, ims.sink.size());
    }

    @Test
    void shouldDeleteSetOnlyWhenTheDeRegistrationFinalResponseIsSent()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(5, "hmac-md5-96");
        ims.registerFully(ue, 600);

        final List<LifecycleEvent> request = ims.protectedRegister(ue, 0, ue.securityClient(), SecurityHeaders.format(ue.establishedServer));
        assertEquals(0, count(request, LifecycleEvent.Type.SA_REMOVED));
        assertEquals(4, ims.sink.size(), "the response must still go out protected");

        final List<LifecycleEvent> ok = ims.finalResponse(ue, 200, "OK", 0);
        assertEquals(4, count(ok, LifecycleEvent.Type.SA_REMOVED));
        assertEquals(1, count(ok, LifecycleEvent.Type.DEREGISTERED));
        assertEquals(0, ims.sink.size());
        assertEquals(0, ims.config.spiPool().inUseCount());
        assertEquals(0, ims.config.portPool().inUseCount(), "port-c returned; port-s 5064 lies outside the pool");
        assertEquals(0, ims.bridge.registrationCount());
    }

    @Test
    void shouldDeleteTheSetsOfADeRegistrationWhose200OkWasLostOnce64T1HavePassed()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(8, "hmac-md5-96");
        ims.registerFully(ue, 600);
        ims.protectedRegister(ue, 0, ue.securityClient(), SecurityHeaders.format(ue.establishedServer));

        ims.clockNs.addAndGet(SaLifecycleEngine.DEREGISTER_TRANSACTION_TIMEOUT_NS - 1);
        assertTrue(ims.bridge.expire().isEmpty(), "Timer F has not fired yet");
        assertEquals(4, ims.sink.size());

        ims.clockNs.addAndGet(1);
        final List<LifecycleEvent> expired = ims.bridge.expire();
        assertEquals(4, count(expired, LifecycleEvent.Type.SA_REMOVED));
        assertTrue(first(expired, LifecycleEvent.Type.DEREGISTERED).detail().contains("Timer F"),
            first(expired, LifecycleEvent.Type.DEREGISTERED).detail());
        assertEquals(List.of(0, 0, 0, 0), List.of(ims.sink.size(), ims.config.spiPool().inUseCount(),
            ims.config.portPool().inUseCount(), ims.bridge.registrationCount()), "SAs, SPIs, ports, registrations left");
    }

    @Test
    void shouldKeepTheSetsWhenANewerRegisterFollowedAnUnansweredDeRegistration()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(9, "hmac-md5-96");
        ims.registerFully(ue, 600);
        ims.protectedRegister(ue, 0, ue.securityClient(), SecurityHeaders.format(ue.establishedServer));
        ims.protectedRegister(ue, 600, null, SecurityHeaders.format(ue.establishedServer));
        ims.finalResponse(ue, 200, "OK", 600);

        ims.clockNs.addAndGet(SaLifecycleEngine.DEREGISTER_TRANSACTION_TIMEOUT_NS);
        assertEquals(0, count(ims.bridge.expire(), LifecycleEvent.Type.SA_REMOVED), "the UE moved on: it re-registered");
        assertEquals(4, ims.sink.size());
        assertEquals(1, ims.bridge.registrationCount());
    }

    @Test
    void shouldDeleteTemporarySetOnAuthenticationFailure()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(6, "hmac-md5-96");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        ims.forwardChallenge(ue);
        ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.securityServer));
        assertEquals(4, ims.sink.size());

        final List<LifecycleEvent> forbidden = ims.finalResponse(ue, 403, "Forbidden", 0);

        assertEquals(4, count(forbidden, LifecycleEvent.Type.SA_REMOVED));
        assertTrue(first(forbidden, LifecycleEvent.Type.SET_DELETED).detail().contains("403"));
        assertEquals(0, ims.sink.size());
        assertEquals(0, ims.config.spiPool().inUseCount());
        assertEquals(0, ims.bridge.registrationCount());
    }

    @Test
    void shouldKeepEstablishedSetWhenReRegistrationFailsAuthentication()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(7, "hmac-md5-96");
        ims.registerFully(ue, 600);
        final List<SaSpec> established = ims.sink.installed();
        challengedReRegistration(ue);

        ims.finalResponse(ue, 403, "Forbidden", 0);

        assertEquals(established.size(), ims.sink.size());
        for (int i = 0; i < established.size(); i++)
        {
            assertEquals(established.get(i).spi(), ims.sink.installed().get(i).spi());
        }
    }

    @Test
    void shouldExpireTemporarySetAfterRegAwaitAuth()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(8, "hmac-md5-96");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        ims.clockNs.addAndGet(LifecycleConfig.DEFAULT_REG_AWAIT_AUTH_NS - 1);
        assertTrue(ims.bridge.expire().isEmpty());

        ims.clockNs.addAndGet(1);
        final List<LifecycleEvent> expired = ims.bridge.expire();

        assertTrue(first(expired, LifecycleEvent.Type.SET_DELETED).detail().contains("reg-await-auth"));
        assertEquals(0, ims.sink.size());
    }

    @Test
    void shouldRejectProtectedRegisterWhoseSecurityVerifyDiffersFromSecurityServer()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(9, "hmac-sha-1-96/aes-cbc,hmac-md5-96/null");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        ims.forwardChallenge(ue);
        final SecurityMechanism sent = ue.securityServer.get(0);
        final SecurityMechanism weaker = SecurityMechanism.ipsec3gpp(
            IntegrityAlgorithm.HMAC_MD5_96, null, sent.spiC(), sent.spiS(), sent.portC(), sent.portS());

        final List<LifecycleEvent> events = ims.protectedRegister(ue, 600, ue.securityClient(), weaker.format());

        final LifecycleEvent rejected = first(events, LifecycleEvent.Type.REQUEST_REJECTED);
        assertEquals(494, rejected.statusCode());
        assertTrue(rejected.detail().contains("Security-Verify"), rejected.detail());
        assertEquals(0, ims.sink.size(), "the temporary set is deleted");
    }

    @Test
    void shouldRejectProtectedRegisterWhoseSecurityClientDiffersFromTheFirst()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(10, "hmac-sha-1-96/aes-cbc,hmac-md5-96/null");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        ims.forwardChallenge(ue);
        ue.offeredMechanisms = "hmac-md5-96/null";

        final List<LifecycleEvent> events = ims.protectedRegister(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.securityServer));

        final LifecycleEvent rejected = first(events, LifecycleEvent.Type.REQUEST_REJECTED);
        assertEquals(494, rejected.statusCode());
        assertTrue(rejected.detail().contains("Security-Client"), rejected.detail());
        assertEquals(0, ims.sink.size());
    }

    @Test
    void shouldRejectReRegistrationOverEstablishedSetWithoutMatchingSecurityVerify()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(11, "hmac-md5-96");
        ims.registerFully(ue, 600);

        final List<LifecycleEvent> events = ims.protectedRegister(ue, 600, ue.securityClient(), null);

        assertEquals(494, first(events, LifecycleEvent.Type.REQUEST_REJECTED).statusCode());
        assertEquals(4, ims.sink.size(), "the established set is not touched");
    }

    @Test
    void shouldRefuseCleanlyWhenSpiPoolIsExhausted()
    {
        final ImsHarness small = new ImsHarness(LifecycleConfig.builder(Role.PCSCF)
            .spiPool(new SpiPool(256, 257))
            .portPool(new PortPool(6000, 6999)));
        final ImsHarness.Ue first = ImsHarness.ue(1, "hmac-md5-96");
        final ImsHarness.Ue second = ImsHarness.ue(2, "hmac-md5-96");
        small.registerFully(first, 600);
        assertEquals(4, small.sink.size());

        small.initialRegister(second);
        final List<LifecycleEvent> events = small.challengeFromScscf(second, ImsHarness.ck(second), ImsHarness.ik(second));

        final LifecycleEvent rejected = first(events, LifecycleEvent.Type.REQUEST_REJECTED);
        assertEquals(503, rejected.statusCode());
        assertTrue(rejected.detail().contains("spi pool"), rejected.detail());
        assertEquals(0, count(events, LifecycleEvent.Type.MESSAGE_REWRITTEN));
        assertEquals(4, small.sink.size(), "nothing installed for the refused UE");
        assertEquals(2, small.config.spiPool().inUseCount(), "no SPI leaked by the refusal");
    }

    @Test
    void shouldRefuseCleanlyWhenPortPoolIsExhausted()
    {
        final ImsHarness small = new ImsHarness(LifecycleConfig.builder(Role.PCSCF)
            .spiPool(new SpiPool(256, 9999))
            .portPool(new PortPool(6000, 6000)));
        final ImsHarness.Ue first = ImsHarness.ue(1, "hmac-md5-96");
        final ImsHarness.Ue second = ImsHarness.ue(2, "hmac-md5-96");
        small.registerFully(first, 600);
        small.initialRegister(second);

        final List<LifecycleEvent> events = small.challengeFromScscf(second, ImsHarness.ck(second), ImsHarness.ik(second));

        assertEquals(503, first(events, LifecycleEvent.Type.REQUEST_REJECTED).statusCode());
        assertEquals(2, small.config.spiPool().inUseCount(), "the SPIs taken before the port failed are returned");
    }

    @Test
    void shouldNeverAllocateReservedOrInUseSpis()
    {
        final ImsHarness.Ue a = ImsHarness.ue(20, "hmac-md5-96");
        final ImsHarness.Ue b = ImsHarness.ue(21, "hmac-md5-96");
        ims.registerFully(a, 600);
        ims.registerFully(b, 600);

        final SecurityMechanism sa = a.establishedServer.get(0);
        final SecurityMechanism sb = b.establishedServer.get(0);
        final java.util.Set<Long> spis = new java.util.HashSet<>(List.of(sa.spiC(), sa.spiS(), sb.spiC(), sb.spiS()));
        assertEquals(4, spis.size());
        spis.forEach(spi -> assertTrue(spi > 255));
        assertTrue(sa.portC() != sb.portC());
    }

    @Test
    void shouldLeaveNoSaBehindAfterTenThousandUesRegisterAndDeRegister()
    {
        final ImsHarness many = new ImsHarness(LifecycleConfig.builder(Role.PCSCF));
        final ImsHarness.Ue[] ues = new ImsHarness.Ue[10_000];
        for (int i = 0; i < ues.length; i++)
        {
            ues[i] = ImsHarness.ue(i + 1, "hmac-sha-1-96/aes-cbc,hmac-md5-96/null");
            many.registerFully(ues[i], 3600);
        }
        assertEquals(40_000, many.sink.size());
        assertEquals(10_000, many.bridge.registrationCount());
        assertEquals(20_000, many.config.spiPool().inUseCount());

        for (final ImsHarness.Ue ue : ues)
        {
            many.deregister(ue);
        }

        assertEquals(0, many.sink.size());
        assertEquals(40_000, many.sink.installCount());
        assertEquals(40_000, many.sink.removeCount());
        assertEquals(0, many.bridge.registrationCount());
        assertEquals(0, many.bridge.activeSas().size());
        assertEquals(0, many.config.spiPool().inUseCount());
        assertEquals(0, many.config.portPool().inUseCount());
        assertEquals(0, many.allEvents.stream().filter(e -> e.type() == LifecycleEvent.Type.REQUEST_REJECTED).count());
    }
    @Test
    void shouldRejectAUeThatOffersReservedOrDuplicateSpis()
    {
        final ImsHarness.Ue reserved = ImsHarness.ue(30, "hmac-md5-96");
        reserved.spiC = 200;
        ims.initialRegister(reserved);
        final List<LifecycleEvent> first = ims.challengeFromScscf(reserved, ImsHarness.ck(reserved), ImsHarness.ik(reserved));
        assertTrue(first(first, LifecycleEvent.Type.REQUEST_REJECTED).detail().contains("reserved"));

        final ImsHarness.Ue duplicate = ImsHarness.ue(31, "hmac-md5-96");
        duplicate.spiS = duplicate.spiC;
        ims.initialRegister(duplicate);
        final List<LifecycleEvent> second = ims.challengeFromScscf(duplicate, ImsHarness.ck(duplicate), ImsHarness.ik(duplicate));
        assertTrue(first(second, LifecycleEvent.Type.REQUEST_REJECTED).detail().contains("twice"));

        assertEquals(0, ims.sink.size());
        assertEquals(0, ims.config.spiPool().inUseCount(), "allocated SPIs are returned");
    }

    @Test
    void shouldRejectAMalformedSecurityClientNamingTheParameter()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(32, "hmac-md5-96");
        final String text = ImsHarness.register(ue, 600,
            "ipsec-3gpp;alg=hmac-md5-96;spi-c=99999999999;spi-s=2;port-c=3;port-s=4", null, ImsHarness.authorizationWithoutResponse(ue));

        final List<LifecycleEvent> events = ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, text);

        final LifecycleEvent rejected = first(events, LifecycleEvent.Type.REQUEST_REJECTED);
        assertEquals(400, rejected.statusCode());
        assertTrue(rejected.detail().startsWith("Security-Client: spi-c:"), rejected.detail());
        assertEquals(0, ims.bridge.registrationCount());
    }

    @Test
    void shouldReportGarbageAsParseErrorNotException()
    {
        final List<LifecycleEvent> events = ims.feed(ImsHarness.SCSCF, 1, ImsHarness.PCSCF, 2, "not sip at all\r\n\r\n");

        assertEquals(LifecycleEvent.Type.PARSE_ERROR, events.get(0).type());
    }
    @Test
    void shouldReplaceTheSetsOfAUeThatRegistersAgainWithANewCallId()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(50, "hmac-md5-96");
        ims.registerFully(ue, 600);
        final ImsHarness.Ue restarted = new ImsHarness.Ue(ue.address, ue.impi, "restarted-" + ue.callId);
        restarted.offeredMechanisms = ue.offeredMechanisms;
        restarted.newRound(ue.spiC, ue.portC);

        final List<LifecycleEvent> events = ims.registerFully(restarted, 600);

        assertTrue(first(events, LifecycleEvent.Type.DEREGISTERED).detail().contains("superseded"));
        assertEquals(0, count(events, LifecycleEvent.Type.REQUEST_REJECTED));
        assertEquals(4, ims.sink.size());
        assertEquals(1, ims.bridge.registrationCount());
    }

    @Test
    void shouldKeepAnUnansweredRegisterUntilRegAwaitAuthThenForgetIt()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(51, "hmac-md5-96");
        ims.initialRegister(ue);
        ims.bridge.expire();
        assertEquals(1, ims.bridge.registrationCount(), "the 401 may still come");

        ims.clockNs.addAndGet(LifecycleConfig.DEFAULT_REG_AWAIT_AUTH_NS);
        ims.bridge.expire();

        assertEquals(0, ims.bridge.registrationCount());
    }
    @Test
    void shouldAnswerARetransmittedScscfChallengeWithTheSameSecurityServer()
    {
        final ImsHarness.Ue ue = ImsHarness.ue(52, "hmac-md5-96");
        ims.initialRegister(ue);
        ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));
        final List<SecurityMechanism> firstServer = ue.securityServer;

        final List<LifecycleEvent> again = ims.challengeFromScscf(ue, ImsHarness.ck(ue), ImsHarness.ik(ue));

        assertEquals(0, count(again, LifecycleEvent.Type.SA_INSTALLED));
        assertEquals(firstServer, ue.securityServer);
        assertEquals(4, ims.sink.size());
        assertEquals(2, ims.config.spiPool().inUseCount());
    }
}
