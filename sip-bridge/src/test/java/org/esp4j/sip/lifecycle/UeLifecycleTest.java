package org.esp4j.sip.lifecycle;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.sip.aka.AkaAuthenticationCentre;
import org.esp4j.sip.aka.AkaNonce;
import org.esp4j.sip.aka.AuthenticationVector;
import org.esp4j.sip.aka.DigestAka;
import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.aka.Milenage;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;

import static org.esp4j.sip.lifecycle.ImsHarness.count;
import static org.esp4j.sip.lifecycle.ImsHarness.first;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The UE role: the UE's K is known, so the bridge verifies AUTN, derives the keys and writes the Authorization.
 */
class UeLifecycleTest
{
    private static final byte[] K = Hex.decode("K", "465b5ce8b199b49faa5f0a2ee238a6bc");
    private static final byte[] OP = Hex.decode("OP", "cdc202d5123e20f62b6d676ac72cb318");
    private static final byte[] AMF = Hex.decode("AMF", "8000");

    private final ImsHarness ims = new ImsHarness(LifecycleConfig.builder(Role.UE)
        .akaAlgorithm(Milenage.withOp(K, OP))
        .cnonceSupplier(() -> "Y25vbmNl"));
    private final AkaAuthenticationCentre hss = new AkaAuthenticationCentre(Milenage.withOp(K, OP), 100, AMF);
    private final ImsHarness.Ue ue = ImsHarness.ue(1, "hmac-sha-1-96/null,hmac-md5-96/null");

    @Test
    void shouldTakeTheSecurityServerOfferWithTheHighestQThatItSupports()
    {
        ims.initialRegister(ue);
        final String server =
            "ipsec-3gpp;q=0.1;alg=hmac-md5-96;ealg=null;spi-c=7001;spi-s=7002;port-c=5065;port-s=5064," +
            "ipsec-3gpp;q=0.9;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=7003;spi-s=7004;port-c=5065;port-s=5064," +
            "ipsec-3gpp;q=0.5;alg=hmac-sha-1-96;ealg=null;spi-c=7005;spi-s=7006;port-c=5065;port-s=5064";

        final List<LifecycleEvent> events = challenge(hss.nextVector(rand(1)), server);

        assertEquals(4, ims.sink.size());
        final SaSpec sa1 = ims.sink.installed().get(0);
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, sa1.integrityAlgorithm(), "q=0.9 needs aes-cbc, not offered by the UE");
        assertEquals(7006, sa1.spi());
        assertEquals(PolicyDirection.OUT, sa1.direction());
        assertTrue(first(events, LifecycleEvent.Type.MECHANISM_CHOSEN).detail().contains("q=0.5"));
    }

    @Test
    void shouldIgnoreRetransmittedRegisterCrossingThe401AndNotRerunAkaForTheRepeated401()
    {
        final String initial = ImsHarness.register(ue, 600, ue.securityClient(), null, ImsHarness.authorizationWithoutResponse(ue));
        ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, initial);
        // The client's timer fires before the 401 arrives (a cold daemon takes 0.3-1 s): the copy crosses it.
        assertEquals(1, count(ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, initial),
            LifecycleEvent.Type.RETRANSMISSION_IGNORED));
        final List<LifecycleEvent> challenged = challenge(hss.nextVector(rand(7)), serverHeader());
        assertEquals(1, count(challenged, LifecycleEvent.Type.AKA_SUCCESS));
        assertEquals(4, ims.sink.size());

        final List<LifecycleEvent> again = ims.feed(ue.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, initial);
        assertEquals(1, count(again, LifecycleEvent.Type.RETRANSMISSION_IGNORED), again.toString());
        assertEquals(0, count(again, LifecycleEvent.Type.SA_REMOVED), "the temporary set survives the copy");
        final List<LifecycleEvent> repeated = ims.feedBytes(ImsHarness.PCSCF, ImsHarness.SIP_PORT, ue.address, 5062, ue.lastChallenge);
        assertEquals(0, count(repeated, LifecycleEvent.Type.AKA_SUCCESS) + count(repeated, LifecycleEvent.Type.AKA_SYNC_FAILURE) +
            count(repeated, LifecycleEvent.Type.SA_INSTALLED) + count(repeated, LifecycleEvent.Type.SA_REMOVED), repeated.toString());
        assertEquals(4, ims.sink.size());

        ims.forwardChallenge(ue);
        ims.protectedRegister(ue, 600, ue.securityClient(), serverHeader());
        assertEquals(1, count(ims.finalResponse(ue, 200, "OK", 600), LifecycleEvent.Type.SET_ESTABLISHED));
    }

    @Test
    void shouldNegotiateAesGcmWithAlgNullAndKeyItWithCkAndTheAnnexISalt()
    {
        final AuthenticationVector vector = hss.nextVector(rand(8));
        final SaSpec sa1 = rel15Challenge(2, vector,
            "ipsec-3gpp;q=0.3;alg=aes-gmac;ealg=null;spi-c=7011;spi-s=7012;port-c=5065;port-s=5064," +
            "ipsec-3gpp;q=0.7;alg=null;ealg=aes-gcm;spi-c=7013;spi-s=7014;port-c=5065;port-s=5064");

        assertEquals(org.esp4j.core.crypto.EncryptionAlgorithm.AES_GCM_16, sa1.encryptionAlgorithm(), "q=0.7 wins");
        assertEquals(7014, sa1.spi());
        assertArrayEquals(keyAndSalt(vector.ck(), org.esp4j.core.crypto.EncryptionAlgorithm.AES_GCM_16, vector),
            sa1.encryptionKey(), "CK || 32-bit salt");
        assertEquals("null/aes-gcm", sa1.algorithmsText());
    }

    @Test
    void shouldNegotiateAesGmacWithEalgNullAndKeyItWithIkAndTheAnnexISalt()
    {
        final AuthenticationVector vector = hss.nextVector(rand(9));
        final SaSpec sa1 = rel15Challenge(3, vector,
            "ipsec-3gpp;q=0.5;alg=aes-gmac;ealg=null;spi-c=7021;spi-s=7022;port-c=5065;port-s=5064");

        assertEquals(org.esp4j.core.crypto.EncryptionAlgorithm.AES_GMAC, sa1.encryptionAlgorithm());
        assertEquals(IntegrityAlgorithm.NONE, sa1.integrityAlgorithm());
        assertArrayEquals(keyAndSalt(vector.ik(), org.esp4j.core.crypto.EncryptionAlgorithm.AES_GMAC, vector),
            sa1.encryptionKey(), "IK || 32-bit salt");
        assertEquals("aes-gmac/null", sa1.algorithmsText());
    }

    /** A Rel-15 UE (offering aes-gcm and aes-gmac) registers and is challenged with this Security-Server: SA1. */
    private SaSpec rel15Challenge(final int index, final AuthenticationVector vector, final String securityServer)
    {
        final ImsHarness.Ue rel15 = ImsHarness.ue(index, "null/aes-gcm,aes-gmac/null");
        final String text = ImsHarness.register(rel15, 600, rel15.securityClient(), null, ImsHarness.authorizationWithoutResponse(rel15));
        ims.feed(rel15.address, 5062, ImsHarness.PCSCF, ImsHarness.SIP_PORT, text);
        final String nonce = AkaNonce.encode(vector.rand(), vector.autn(), new byte[0]);
        ims.feed(ImsHarness.PCSCF, ImsHarness.SIP_PORT, rel15.address, 5062, ImsHarness.response(rel15, 401, "Unauthorized",
            "WWW-Authenticate: Digest realm=\"ims.example.org\",nonce=\"" + nonce + "\",algorithm=AKAv1-MD5\r\n" +
            "Security-Server: " + securityServer + "\r\n"));
        assertEquals(4, ims.sink.size());
        return ims.sink.installed().get(0);
    }

    private static byte[] keyAndSalt(final byte[] aesKey, final org.esp4j.core.crypto.EncryptionAlgorithm ealg,
        final AuthenticationVector vector)
    {
        final byte[] expected = java.util.Arrays.copyOf(aesKey, 20);
        System.arraycopy(org.esp4j.sip.aka.EspKeys.salt(ealg, vector.ck(), vector.ik()), 0, expected, 16, 4);
        return expected;
    }

    @Test
    void shouldDeriveKeysAndAuthorizationFromTheChallenge()
    {
        ims.initialRegister(ue);
        final AuthenticationVector vector = hss.nextVector(rand(2));

        final List<LifecycleEvent> events = challenge(vector, serverHeader());

        assertEquals(1, count(events, LifecycleEvent.Type.AKA_SUCCESS));
        final SaSpec sa = ims.sink.installed().get(0);
        assertArrayEquals(java.util.Arrays.copyOf(vector.ik(), 20), sa.integrityKey());
        final String authorization = first(events, LifecycleEvent.Type.AUTHORIZATION_COMPUTED).authorization();
        final DigestParams credentials = DigestParams.parse("Authorization", authorization);
        assertEquals(ue.impi, credentials.get("username"));
        assertTrue(DigestAka.verify(credentials, "REGISTER", vector.xres()), "response made with RES as password");
        assertFalse(authorization.contains("auts"));
    }

    @Test
    void shouldNotCreateSasAndShouldAnswerWithEmptyPasswordOnMacFailure()
    {
        ims.initialRegister(ue);
        final AuthenticationVector vector = hss.nextVector(rand(3));
        final byte[] forged = vector.autn();
        forged[15] ^= 1;

        final List<LifecycleEvent> events = challenge(new AuthenticationVector(vector.rand(), forged, vector.xres(), vector.ck(), vector.ik()), serverHeader());

        assertEquals(1, count(events, LifecycleEvent.Type.AKA_MAC_FAILURE));
        assertEquals(0, ims.sink.size());
        final DigestParams credentials = DigestParams.parse("Authorization",
            first(events, LifecycleEvent.Type.AUTHORIZATION_COMPUTED).authorization());
        assertTrue(DigestAka.verify(credentials, "REGISTER", new byte[0]), "RFC 3310 §3.4: empty password");
        assertEquals(null, credentials.get("auts"));
    }

    @Test
    void shouldResynchroniseWhenSqnIsStale()
    {
        ims.initialRegister(ue);
        challenge(hss.nextVector(rand(4)), serverHeader());
        ims.forwardChallenge(ue);
        ims.protectedRegister(ue, 600, ue.securityClient(), serverHeader());
        ims.finalResponse(ue, 200, "OK", 600);
        assertEquals(4, ims.sink.size());

        // A network that lost its SQN state re-uses an old one.
        final AkaAuthenticationCentre staleHss = new AkaAuthenticationCentre(Milenage.withOp(K, OP), 5, AMF);
        ue.newRound(ue.spiC + 2, ue.portC + 2);
        ims.protectedRegister(ue, 600, ue.securityClient(), serverHeader());
        final byte[] staleRand = rand(5);
        final List<LifecycleEvent> events = challenge(staleHss.nextVector(staleRand), serverHeader2());

        final LifecycleEvent sync = first(events, LifecycleEvent.Type.AKA_SYNC_FAILURE);
        assertTrue(sync.detail().contains("auts="));
        assertEquals(4, ims.sink.size(), "no new set on a synchronisation failure; the established one stays");
        final DigestParams credentials = DigestParams.parse("Authorization",
            first(events, LifecycleEvent.Type.AUTHORIZATION_COMPUTED).authorization());
        assertTrue(DigestAka.verify(credentials, "REGISTER", new byte[0]), "RFC 3310 §3.3: empty password");
        final byte[] auts = Base64.getDecoder().decode(credentials.get("auts"));

        assertTrue(staleHss.resynchronise(staleRand, auts), "MAC-S verifies at the network");
        assertEquals(101, staleHss.nextSqn(), "continues after SQN_MS = 100");
        ims.protectedRegister(ue, 600, ue.securityClient(), serverHeader());
        final List<LifecycleEvent> retry = challenge(staleHss.nextVector(rand(6)), serverHeader2());
        assertEquals(1, count(retry, LifecycleEvent.Type.AKA_SUCCESS));
        assertEquals(8, ims.sink.size(), "established set plus the new temporary set");
    }

    private String serverHeader()
    {
        return "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=7001;spi-s=7002;port-c=5065;port-s=5064";
    }

    private String serverHeader2()
    {
        return "ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=7011;spi-s=7012;port-c=5067;port-s=5064";
    }

    private List<LifecycleEvent> challenge(final AuthenticationVector vector, final String securityServer)
    {
        final String nonce = AkaNonce.encode(vector.rand(), vector.autn(), new byte[0]);
        final String text = ImsHarness.response(ue, 401, "Unauthorized",
            "WWW-Authenticate: Digest realm=\"ims.example.org\",nonce=\"" + nonce + "\",algorithm=AKAv1-MD5,qop=\"auth\"\r\n" +
            "Security-Server: " + securityServer + "\r\n");
        ue.lastChallenge = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ue.securityServer = org.esp4j.sip.secagree.SecurityHeaders.parse("Security-Server", securityServer);
        return ue.activePortC == 0 ?
            ims.feed(ImsHarness.PCSCF, ImsHarness.SIP_PORT, ue.address, 5062, text) :
            ims.feed(ImsHarness.PCSCF, 5064, ue.address, ue.activePortC, text);
    }

    private static byte[] rand(final int seed)
    {
        final byte[] rand = new byte[16];
        for (int i = 0; i < 16; i++)
        {
            rand[i] = (byte)(seed * 31 + i * 7);
        }
        return rand;
    }
}
