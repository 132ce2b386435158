package org.esp4j.sip.lifecycle;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.aka.AkaAuthenticationCentre;
import org.esp4j.sip.aka.AkaNonce;
import org.esp4j.sip.aka.AuthenticationVector;
import org.esp4j.sip.aka.DigestAka;
import org.esp4j.sip.aka.Milenage;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.secagree.SecurityHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.esp4j.sip.lifecycle.ImsHarness.count;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A lab P-CSCF that knows the subscriber's K (no ck/ik from the S-CSCF): keys come from RAND, and the digest
 * response of the protected REGISTER is checked, for AKAv1-MD5 and AKAv2-MD5.
 */
class PcscfWithSubscriberKeyTest
{
    private static final byte[] K = Hex.decode("K", "9e5944aea94b81165c82fbf9f32db751");
    private static final byte[] OPC = Hex.decode("OPc", "a64a507ae1a2a98bb88eb4210135dc87");

    @ParameterizedTest
    @EnumSource(DigestAka.Version.class)
    void shouldDeriveKeysFromRandAndVerifyTheDigestResponse(final DigestAka.Version version)
    {
        final ImsHarness ims = new ImsHarness(LifecycleConfig.builder(Role.PCSCF).akaAlgorithm(Milenage.withOpc(K, OPC)));
        final AuthenticationVector vector = new AkaAuthenticationCentre(Milenage.withOpc(K, OPC), 7, new byte[]{ (byte)0x80, 0 })
            .nextVector(Hex.decode("RAND", "ce83dbc54ac0274a157c17f80d017bd6"));
        final String nonce = AkaNonce.encode(vector.rand(), vector.autn(), new byte[0]);
        final ImsHarness.Ue ue = ImsHarness.ue(40, "hmac-md5-96");
        ims.initialRegister(ue);

        final String challenge = ImsHarness.response(ue, 401, "Unauthorized", "WWW-Authenticate: Digest realm=\"ims.example.org\"," +
            "nonce=\"" + nonce + "\",algorithm=" + version.token() + ",qop=\"auth\"\r\n");
        final List<LifecycleEvent> events = ims.feed(ImsHarness.SCSCF, 5060, ImsHarness.PCSCF, 5060, challenge);
        final byte[] rewritten = ImsHarness.first(events, LifecycleEvent.Type.MESSAGE_REWRITTEN).message();
        final SipMessage toUe = SipMessageParser.parse(rewritten, 0, rewritten.length);
        ue.lastChallenge = rewritten;
        ue.securityServer = SecurityHeaders.fromMessage(toUe, "Security-Server");
        assertArrayEquals(vector.ik(), ims.sink.installed().get(0).integrityKey(), "hmac-md5-96 key = IK = f4(RAND)");
        ims.forwardChallenge(ue);

        final byte[] password = DigestAka.password(version, vector.xres(), vector.ik(), vector.ck());
        final String response = DigestAka.response(ue.impi, "ims.example.org", password, "REGISTER", "sip:ims.example.org",
            nonce, "00000001", "Y25vbmNl", "auth");
        final String authorization = "Digest username=\"" + ue.impi + "\",realm=\"ims.example.org\",nonce=\"" + nonce +
            "\",uri=\"sip:ims.example.org\",response=\"" + response + "\",algorithm=" + version.token() +
            ",cnonce=\"Y25vbmNl\",qop=auth,nc=00000001";
        final String register = ImsHarness.register(ue, 600, ue.securityClient(), SecurityHeaders.format(ue.securityServer), authorization);
        final List<LifecycleEvent> verified = ims.feed(ue.address, ue.activePortC, ImsHarness.PCSCF, ims.pcscfPortS(ue), register);

        assertEquals(1, count(verified, LifecycleEvent.Type.DIGEST_VERIFIED), verified.toString());
        assertEquals(0, count(verified, LifecycleEvent.Type.DIGEST_MISMATCH));
    }
}
