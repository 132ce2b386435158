package org.esp4j.sip.lifecycle;

import org.esp4j.sip.aka.DigestAka;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * State of one registration (one REGISTER dialog, keyed by Call-ID) in the lifecycle engine.
 */
final class Registration
{
    final String callId;
    final InetAddress ueAddress;
    final InetAddress pcscfAddress;
    final Map<Long, PendingRegister> pending = new HashMap<>(4);
    String impi;
    String contact;
    /** Security-Client of the REGISTER that opened the current sec-agree round (RFC 3329 §2.3.1). */
    List<SecurityMechanism> roundClient = List.of();
    SaSet temporary;
    SaSet established;
    SaSet old;
    Challenge challenge;
    RegistrationIdentity identity;
    long lastActivityNs;
    /** CSeq and top Via branch of the UE's latest REGISTER: a copy of it is a retransmission. */
    long lastCseq = -1;
    String lastBranch;

    Registration(final String callId, final InetAddress ueAddress, final InetAddress pcscfAddress)
    {
        this.callId = callId;
        this.ueAddress = ueAddress;
        this.pcscfAddress = pcscfAddress;
    }

    RegistrationIdentity identity()
    {
        if (identity == null)
        {
            identity = new RegistrationIdentity(impi, callId, contact, ueAddress);
        }
        return identity;
    }

    void identify(final String newImpi, final String newContact)
    {
        if (newImpi != null && !newImpi.equals(impi) || newContact != null && !newContact.equals(contact))
        {
            impi = newImpi != null ? newImpi : impi;
            contact = newContact != null ? newContact : contact;
            identity = null;
        }
    }

    boolean isEmpty()
    {
        return temporary == null && established == null && old == null && pending.isEmpty();
    }

    /**
     * A REGISTER transaction waiting for its final response.
     *
     * @param cseq        CSeq number.
     * @param deregister  expires=0.
     * @param via         set that protected the request, or null when unprotected.
     * @param requestUri  Request-URI, the digest-uri of the next Authorization.
     * @param sentAtNs    when the request was first seen (the start of its transaction's Timer F).
     */
    record PendingRegister(long cseq, boolean deregister, SaSet via, String requestUri, long sentAtNs)
    {
    }

    /**
     * The AKA challenge of the last 401, with what is known of its keys.
     *
     * @param realm     realm.
     * @param nonce     nonce.
     * @param version   AKAv1 or AKAv2, null when not AKA.
     * @param res       RES, or null when unknown.
     * @param ck        CK, or null when unknown.
     * @param ik        IK, or null when unknown.
     */
    record Challenge(String realm, String nonce, DigestAka.Version version, byte[] res, byte[] ck, byte[] ik)
    {
        public String toString()
        {
            return "Challenge{realm=" + realm + ", version=" + version + ", keys redacted}";
        }
    }
}
