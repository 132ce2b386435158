package org.esp4j.sip.sim;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.message.Transport;

import java.net.InetAddress;
import java.util.List;

/**
 * What one simulated UE is: its address, protected ports and SPIs (the seed's by default: port-c 38003, port-s
 * 39003, spi-c 565817, spi-s 565818), the P-CSCF it registers with, the mechanisms it offers, and the procedure to
 * run (re-registrations, de-registration).
 *
 * @param subscriber     identities and USIM keys.
 * @param ue             the UE's address.
 * @param pcscf          the P-CSCF's address.
 * @param pcscfPort      the P-CSCF's unprotected port (5060).
 * @param portC          protected client port.
 * @param portS          protected server port.
 * @param spiC           SPI of the SA into port-c, unsigned 32-bit.
 * @param spiS           SPI of the SA into port-s, unsigned 32-bit.
 * @param algorithms     integrity algorithms offered in Security-Client, in order.
 * @param ealg           encryption offered with each ({@link EncryptionAlgorithm#NULL} for the seed's null).
 * @param transport      forced transport, or null for RFC 3261 §18.1.1's choice by size.
 * @param reregistrations protected re-registrations after the first.
 * @param deregister     de-register at the end.
 * @param expiresS       requested registration lifetime in seconds.
 * @param holdFile       when not null: once registered (and re-registered), wait until this file exists before
 *                       de-registering, so that a harness can look at the registered state first.
 * @param renewPortC     when not 0: each re-REGISTER offers a new set of SAs (TS 33.203 §7.4), with this port-c
 *                       and SPIs two above the current ones, and expects the P-CSCF to challenge it; 0: re-REGISTERs
 *                       keep the current Security-Client.
 */
public record UeSimConfig(
    Subscriber subscriber,
    InetAddress ue,
    InetAddress pcscf,
    int pcscfPort,
    int portC,
    int portS,
    long spiC,
    long spiS,
    List<IntegrityAlgorithm> algorithms,
    EncryptionAlgorithm ealg,
    Transport transport,
    int reregistrations,
    boolean deregister,
    long expiresS,
    java.nio.file.Path holdFile,
    int renewPortC)
{
    /** The seed's UE ports and SPIs. */
    public static final int SEED_PORT_C = 38003;
    public static final int SEED_PORT_S = 39003;
    public static final long SEED_SPI_C = 565817L;
    public static final long SEED_SPI_S = 565818L;

    /**
     * @param ue    the UE's address.
     * @param pcscf the P-CSCF's address.
     * @return the seed's UE: test set 1, hmac-md5-96 and hmac-sha-1-96 with null encryption, size-chosen transport,
     * one registration of 600000 s, no de-registration.
     */
    public static UeSimConfig seed(final InetAddress ue, final InetAddress pcscf)
    {
        return new UeSimConfig(Subscriber.testSet1(), ue, pcscf, 5060, SEED_PORT_C, SEED_PORT_S, SEED_SPI_C,
            SEED_SPI_S, List.of(IntegrityAlgorithm.HMAC_MD5_96, IntegrityAlgorithm.HMAC_SHA1_96),
            EncryptionAlgorithm.NULL, null, 0, false, 600000, null, 0);
    }

    /** @return a copy with another procedure. */
    public UeSimConfig withProcedure(final int reregistrations, final boolean deregister)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }

    /** @return a copy that waits for a file before de-registering (null: does not wait). */
    public UeSimConfig withHoldFile(final java.nio.file.Path holdFile)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }

    /** @return a copy with other ports. */
    public UeSimConfig withPorts(final int pcscfPort, final int portC, final int portS)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }

    /** @return a copy with other algorithms offered. */
    public UeSimConfig withAlgorithms(final List<IntegrityAlgorithm> algorithms, final EncryptionAlgorithm ealg)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }

    /** @return a copy with a forced transport (null: by size). */
    public UeSimConfig withTransport(final Transport transport)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }

    /** @return a copy with another subscriber and SPIs. */
    public UeSimConfig withSubscriber(final Subscriber subscriber, final long spiC, final long spiS)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }

    /** @return a copy whose re-REGISTERs offer a new set of SAs with this port-c (0: keep the current set). */
    public UeSimConfig withRenewal(final int renewPortC)
    {
        return new UeSimConfig(subscriber, ue, pcscf, pcscfPort, portC, portS, spiC, spiS, algorithms, ealg,
            transport, reregistrations, deregister, expiresS, holdFile, renewPortC);
    }
}
