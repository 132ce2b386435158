package org.esp4j.sip.lifecycle;

import org.esp4j.core.text.Hex;
import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.AkaKeys;
import org.esp4j.sip.aka.AkaNonce;
import org.esp4j.sip.aka.AkaOutcome;
import org.esp4j.sip.aka.AkaUsim;
import org.esp4j.sip.aka.DigestAka;
import org.esp4j.sip.aka.DigestParams;
import org.esp4j.sip.aka.SqnWindow;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipParseException;

import java.util.Base64;
import java.util.function.Consumer;

/**
 * The AKA side of a challenge (RFC 3310, RFC 4169, TS 33.203 §6.1): where CK, IK and RES come from (the S-CSCF's
 * {@code ck}/{@code ik}, or the configured K), the UE's check of AUTN with the Authorization it answers with, and
 * the check of a digest response against RES.
 */
final class AkaChallengeHandler
{
    private final LifecycleConfig config;
    private final Role role;
    private final AkaUsim usim;
    /** With a keyring: one USIM (SQN window) per subscriber, as many as the keyring knows and registered. */
    private final java.util.Map<String, AkaUsim> usims = new java.util.HashMap<>();
    private final Consumer<LifecycleEvent> events;

    AkaChallengeHandler(final LifecycleConfig config, final Consumer<LifecycleEvent> events)
    {
        this.config = config;
        this.role = config.role();
        this.events = events;
        this.usim = role == Role.UE && config.akaAlgorithm() != null ?
            new AkaUsim(config.akaAlgorithm(), new SqnWindow(0, config.sqnWindowSize()), amf -> true) : null;
    }

    /**
     * Find CK, IK and RES for a challenge: from the network's ck/ik parameters, else from the configured K.
     *
     * @return the keys, some possibly null when unknown; null when a UE's AKA check failed and the SAs must not be
     * created.
     */
    Registration.Challenge keysFor(
        final Registration registration,
        final Registration.PendingRegister pending,
        final DigestParams challenge,
        final boolean networkKeys)
    {
        if (challenge == null)
        {
            return new Registration.Challenge(null, null, null, null, null, null);
        }
        final String realm = challenge.get("realm");
        final String nonce = challenge.get("nonce");
        final DigestAka.Version version = DigestAka.Version.fromToken(challenge.get("algorithm"));
        byte[] ck = null;
        byte[] ik = null;
        byte[] res = null;
        if (networkKeys)
        {
            try
            {
                ck = Hex.decode("ck", challenge.get("ck"), 16);
                ik = Hex.decode("ik", challenge.get("ik"), 16);
            }
            catch (final IllegalArgumentException ex)
            {
                emit(LifecycleEvent.of(LifecycleEvent.Type.WARNING, registration.identity(), null,
                    "WWW-Authenticate " + ex.getMessage() + "; keys unknown"));
                ck = null;
                ik = null;
            }
        }
        final AkaAlgorithm algorithm = config.akaAlgorithmFor(registration.impi);
        if (algorithm != null && version != null && nonce != null)
        {
            final AkaNonce akaNonce;
            try
            {
                akaNonce = AkaNonce.decode(nonce);
            }
            catch (final SipParseException ex)
            {
                emit(LifecycleEvent.of(LifecycleEvent.Type.WARNING, registration.identity(), null, ex.getMessage()));
                return new Registration.Challenge(realm, nonce, version, null, ck, ik);
            }
            if (role == Role.PCSCF)
            {
                // The network side knows K: RES, CK and IK follow from RAND alone.
                final AkaKeys keys = algorithm.f2345(akaNonce.rand());
                res = keys.res();
                ck = ck != null ? ck : keys.ck();
                ik = ik != null ? ik : keys.ik();
            }
            else
            {
                final AkaOutcome outcome = usimFor(registration.impi, algorithm)
                    .authenticate(akaNonce.rand(), akaNonce.autn());
                if (outcome.type() == AkaOutcome.Type.SUCCESS)
                {
                    res = outcome.keys().res();
                    ck = outcome.keys().ck();
                    ik = outcome.keys().ik();
                    emit(LifecycleEvent.of(LifecycleEvent.Type.AKA_SUCCESS, registration.identity(), null,
                        "AUTN verified, SQN " + outcome.sqn()));
                    emitAuthorization(registration, pending, realm, nonce, version, challenge,
                        DigestAka.password(version, res, ik, ck), null);
                }
                else
                {
                    akaFailure(registration, pending, realm, nonce, version, challenge, outcome);
                    if (!config.installOnAkaFailure())
                    {
                        return null;
                    }
                    // Replay: the exchange went on regardless; derive what K gives so the digest can be checked.
                    final AkaKeys keys = algorithm.f2345(akaNonce.rand());
                    res = keys.res();
                    ck = keys.ck();
                    ik = keys.ik();
                }
            }
        }
        return new Registration.Challenge(realm, nonce, version, res, ck, ik);
    }

    private AkaUsim usimFor(final String impi, final AkaAlgorithm algorithm)
    {
        if (config.akaKeyring() == null)
        {
            return usim;
        }
        return usims.computeIfAbsent(impi,
            ignored -> new AkaUsim(algorithm, new SqnWindow(0, config.sqnWindowSize()), amf -> true));
    }

    private void akaFailure(
        final Registration registration,
        final Registration.PendingRegister pending,
        final String realm,
        final String nonce,
        final DigestAka.Version version,
        final DigestParams challenge,
        final AkaOutcome outcome)
    {
        if (outcome.type() == AkaOutcome.Type.SYNC_FAILURE)
        {
            final String auts = Base64.getEncoder().encodeToString(outcome.auts());
            emit(LifecycleEvent.of(LifecycleEvent.Type.AKA_SYNC_FAILURE, registration.identity(), null,
                "SQN " + outcome.sqn() + " not fresh: resynchronisation with auts=" + auts));
            emitAuthorization(registration, pending, realm, nonce, version, challenge, new byte[0], auts);
        }
        else
        {
            emit(LifecycleEvent.of(LifecycleEvent.Type.AKA_MAC_FAILURE, registration.identity(), null,
                outcome.type() == AkaOutcome.Type.AMF_FAILURE ? "AMF not acceptable" :
                "AUTN MAC does not verify with the configured K/OP: network not authentic"));
            emitAuthorization(registration, pending, realm, nonce, version, challenge, new byte[0], null);
        }
    }

    private void emitAuthorization(
        final Registration registration,
        final Registration.PendingRegister pending,
        final String realm,
        final String nonce,
        final DigestAka.Version version,
        final DigestParams challenge,
        final byte[] password,
        final String auts)
    {
        final String username = registration.impi;
        final String uri = pending.requestUri();
        final String qop = challenge.get("qop") != null ? "auth" : null;
        final String cnonce = qop != null ? config.cnonceSupplier().get() : null;
        final String nc = qop != null ? "00000001" : null;
        final String response = DigestAka.response(username, realm, password, "REGISTER", uri, nonce, nc, cnonce, qop);
        final StringBuilder sb = new StringBuilder(320)
            .append("Digest username=\"").append(username).append('"')
            .append(",realm=\"").append(realm).append('"')
            .append(",nonce=\"").append(nonce).append('"')
            .append(",uri=\"").append(uri).append('"')
            .append(",response=\"").append(response).append('"')
            .append(",algorithm=").append(version.token());
        if (qop != null)
        {
            sb.append(",cnonce=\"").append(cnonce).append("\",qop=").append(qop).append(",nc=").append(nc);
        }
        if (challenge.get("opaque") != null)
        {
            sb.append(",opaque=\"").append(challenge.get("opaque")).append('"');
        }
        if (auts != null)
        {
            sb.append(",auts=\"").append(auts).append('"');
        }
        emit(new LifecycleEvent(LifecycleEvent.Type.AUTHORIZATION_COMPUTED, registration.identity(), null,
            auts != null ? "synchronisation failure response" : password.length == 0 ? "MAC failure response" : "AKA response",
            0, null, sb.toString(), null));
    }

    void checkDigest(final Registration registration, final SipMessage message, final DigestParams credentials)
    {
        final Registration.Challenge challenge = registration.challenge;
        if (challenge == null || challenge.res() == null || challenge.version() == null || credentials == null)
        {
            return;
        }
        final byte[] password = DigestAka.password(challenge.version(), challenge.res(), challenge.ik(), challenge.ck());
        final boolean ok = DigestAka.verify(credentials, message.method(), password);
        emit(LifecycleEvent.of(ok ? LifecycleEvent.Type.DIGEST_VERIFIED : LifecycleEvent.Type.DIGEST_MISMATCH,
            registration.identity(), null, ok ?
            "digest response matches RES from the configured K" :
            "digest response does not match RES from the configured K/OP (keys differ from the ones that made it)"));
    }

    private void emit(final LifecycleEvent event)
    {
        events.accept(event);
    }
}
