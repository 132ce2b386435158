package org.esp4j.sip.sim;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.message.Transport;

import java.net.InetAddress;
import java.util.List;

/**
 * What the simulated P-CSCF (with registrar and HSS) is: its address, unprotected port, protected ports and SPIs
 * (the seed's by default: port-c 50717, port-s 50718, spi-c 3458785863, spi-s 2821032177), the algorithms it
 * accepts in order of preference, and its one subscriber.
 *
 * @param subscriber the subscriber it knows (HSS data).
 * @param address    its address.
 * @param port       unprotected SIP port (5060).
 * @param portC      protected client port.
 * @param portS      protected server port.
 * @param spiC       SPI of the SA into port-c, unsigned 32-bit.
 * @param spiS       SPI of the SA into port-s, unsigned 32-bit.
 * @param algorithms integrity algorithms accepted, most preferred first.
 * @param ealg       encryption algorithms accepted, most preferred first.
 * @param transport  forced transport for its own requests (NOTIFY), or null for the choice by size.
 * @param renewPortC when not 0 ({@code --rechallenge}): a re-REGISTER over the SAs is answered with a 401 carrying a
 *                   fresh AKA challenge and a new Security-Server (TS 33.203 §7.4): SPIs two above the current ones
 *                   and this port-c, alternating with the configured one on each re-challenge; 0: re-REGISTERs are
 *                   accepted without a challenge.
 */
public record PcscfSimConfig(
    Subscriber subscriber,
    InetAddress address,
    int port,
    int portC,
    int portS,
    long spiC,
    long spiS,
    List<IntegrityAlgorithm> algorithms,
    List<EncryptionAlgorithm> ealg,
    Transport transport,
    int renewPortC)
{
    /** The seed's P-CSCF ports and SPIs. */
    public static final int SEED_PORT_C = 50717;
    public static final int SEED_PORT_S = 50718;
    public static final long SEED_SPI_C = 3458785863L;
    public static final long SEED_SPI_S = 2821032177L;

    /**
     * @param address its address.
     * @return the seed's P-CSCF: test set 1, hmac-md5-96 preferred over hmac-sha-1-96, null preferred over
     * aes-cbc, q=0.1 as in the seed's Security-Server.
     */
    public static PcscfSimConfig seed(final InetAddress address)
    {
        return new PcscfSimConfig(Subscriber.testSet1(), address, 5060, SEED_PORT_C, SEED_PORT_S, SEED_SPI_C,
            SEED_SPI_S, List.of(IntegrityAlgorithm.HMAC_MD5_96, IntegrityAlgorithm.HMAC_SHA1_96),
            List.of(EncryptionAlgorithm.NULL, EncryptionAlgorithm.AES_CBC), null, 0);
    }

    /** @return a copy with other ports. */
    public PcscfSimConfig withPorts(final int port, final int portC, final int portS)
    {
        return new PcscfSimConfig(subscriber, address, port, portC, portS, spiC, spiS, algorithms, ealg, transport,
            renewPortC);
    }

    /** @return a copy with other accepted algorithms. */
    public PcscfSimConfig withAlgorithms(final List<IntegrityAlgorithm> algorithms, final List<EncryptionAlgorithm> ealg)
    {
        return new PcscfSimConfig(subscriber, address, port, portC, portS, spiC, spiS, algorithms, ealg, transport,
            renewPortC);
    }

    /** @return a copy with another subscriber and SPIs. */
    public PcscfSimConfig withSubscriber(final Subscriber subscriber, final long spiC, final long spiS)
    {
        return new PcscfSimConfig(subscriber, address, port, portC, portS, spiC, spiS, algorithms, ealg, transport,
            renewPortC);
    }

    /** @return a copy with a forced transport for NOTIFY (null: by size). */
    public PcscfSimConfig withTransport(final Transport transport)
    {
        return new PcscfSimConfig(subscriber, address, port, portC, portS, spiC, spiS, algorithms, ealg, transport,
            renewPortC);
    }

    /** @return a copy that re-challenges re-REGISTERs with a new set of SAs on this port-c (0: no re-challenge). */
    public PcscfSimConfig withRechallenge(final int renewPortC)
    {
        return new PcscfSimConfig(subscriber, address, port, portC, portS, spiC, spiS, algorithms, ealg, transport,
            renewPortC);
    }
}
