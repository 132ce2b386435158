package org.esp4j.sip.sim;

import org.esp4j.sip.secagree.SecAgreeAlgorithms;
import org.esp4j.sip.secagree.SecurityMechanism;

/**
 * The two pairs of SAs that one sec-agree sets up (TS 33.203 §7.1, figure 4.2.5.2.3.1-1 of TS 36.523-3), as the
 * simulators know them from the headers: which SPI protects a message on a given pair of ports.
 * <pre>
 *   UE port-c -&gt; P-CSCF port-s   SPI = P-CSCF spi-s     (requests from the UE, TCP and UDP)
 *   P-CSCF port-s -&gt; UE port-c   SPI = UE spi-c         (their responses over TCP)
 *   P-CSCF port-c -&gt; UE port-s   SPI = UE spi-s         (requests to the UE; responses over UDP)
 *   UE port-s -&gt; P-CSCF port-c   SPI = P-CSCF spi-c     (their responses over TCP)
 * </pre>
 * Addresses are those of the registration; a flow on other ports is unprotected.
 *
 * @param client the UE's chosen Security-Client mechanism.
 * @param server the P-CSCF's chosen Security-Server mechanism.
 */
public record NegotiatedSas(SecurityMechanism client, SecurityMechanism server)
{
    /** What {@link #spi} returns for a flow outside the SAs. */
    public static final long UNPROTECTED = -1;

    /**
     * @param uePort    the UE's port of the message.
     * @param pcscfPort the P-CSCF's port of the message.
     * @param fromUe    true when the UE sent it.
     * @return the SPI (unsigned 32-bit) or {@link #UNPROTECTED}.
     */
    public long spi(final int uePort, final int pcscfPort, final boolean fromUe)
    {
        if (uePort == client.portC() && pcscfPort == server.portS())
        {
            return fromUe ? server.spiS() : client.spiC();
        }
        if (uePort == client.portS() && pcscfPort == server.portC())
        {
            return fromUe ? server.spiC() : client.spiS();
        }
        return UNPROTECTED;
    }

    /**
     * @return alg/ealg as TS 33.203 Annex H writes them, e.g. {@code hmac-md5-96/null}, {@code null/aes-gcm}.
     */
    public String algorithms()
    {
        return SecAgreeAlgorithms.algToken(server.alg(), server.effectiveEalg()) + "/" +
            SecAgreeAlgorithms.ealgToken(server.alg(), server.effectiveEalg());
    }
}
