package org.esp4j.sip.lifecycle;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.sip.aka.EspKeys;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.secagree.SecurityMechanism;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The four SAs of one sec-agree (TS 33.203 §7.1), built from the UE's chosen Security-Client mechanism and the
 * P-CSCF's Security-Server mechanism:
 * <pre>
 * SA1  UE port-c     -> P-CSCF port-s   SPI = P-CSCF spi-s
 * SA2  P-CSCF port-s -> UE port-c       SPI = UE spi-c
 * SA3  P-CSCF port-c -> UE port-s       SPI = UE spi-s
 * SA4  UE port-s     -> P-CSCF port-c   SPI = P-CSCF spi-c
 * </pre>
 */
final class SaSet
{
    final SecurityMechanism client;
    final SecurityMechanism server;
    final List<SecurityMechanism> serverHeader;
    final List<Long> reservedSpis = new ArrayList<>(2);
    final List<Integer> reservedPorts = new ArrayList<>(1);
    final List<SaSpec> sas = new ArrayList<>(4);
    SaLifecycleState state;
    long expiresAtNs;
    /** True when the P-CSCF chose spi-c, spi-s and port-c from its pools; false when they came in a Security-Server. */
    boolean allocated;

    SaSet(final SecurityMechanism client, final SecurityMechanism server, final List<SecurityMechanism> serverHeader)
    {
        this.client = client;
        this.server = server;
        this.serverHeader = serverHeader;
    }

    static List<SaSpec> buildSas(
        final Role role,
        final InetAddress ue,
        final InetAddress pcscf,
        final SecurityMechanism client,
        final SecurityMechanism server,
        final byte[] ik,
        final byte[] ck,
        final long lifetimeNs)
    {
        final IntegrityAlgorithm alg = server.alg();
        final EncryptionAlgorithm ealg = server.effectiveEalg();
        final byte[] integrityKey = ik == null ? null : EspKeys.integrityKey(alg, ik);
        final byte[] encryptionKey = ck == null || ealg.combinedMode() && ik == null ? null :
            EspKeys.encryptionKey(ealg, ck, ik);
        final boolean isUe = role == Role.UE;
        final List<SaSpec> sas = new ArrayList<>(4);
        sas.add(sa("SA1", "P-CSCF spi-s", server.spiS(), ue, client.portC(), pcscf, server.portS(),
            isUe ? PolicyDirection.OUT : PolicyDirection.IN, alg, integrityKey, ealg, encryptionKey, lifetimeNs));
        sas.add(sa("SA2", "UE spi-c", client.spiC(), pcscf, server.portS(), ue, client.portC(),
            isUe ? PolicyDirection.IN : PolicyDirection.OUT, alg, integrityKey, ealg, encryptionKey, lifetimeNs));
        sas.add(sa("SA3", "UE spi-s", client.spiS(), pcscf, server.portC(), ue, client.portS(),
            isUe ? PolicyDirection.IN : PolicyDirection.OUT, alg, integrityKey, ealg, encryptionKey, lifetimeNs));
        sas.add(sa("SA4", "P-CSCF spi-c", server.spiC(), ue, client.portS(), pcscf, server.portC(),
            isUe ? PolicyDirection.OUT : PolicyDirection.IN, alg, integrityKey, ealg, encryptionKey, lifetimeNs));
        return sas;
    }

    private static SaSpec sa(
        final String label,
        final String origin,
        final long spi,
        final InetAddress src,
        final int srcPort,
        final InetAddress dst,
        final int dstPort,
        final PolicyDirection direction,
        final IntegrityAlgorithm alg,
        final byte[] integrityKey,
        final EncryptionAlgorithm ealg,
        final byte[] encryptionKey,
        final long lifetimeNs)
    {
        return SaSpec.builder()
            .label(label)
            .spiOrigin(origin)
            .spi(spi)
            .src(src, srcPort)
            .dst(dst, dstPort)
            .direction(direction)
            .integrity(alg, integrityKey)
            .encryption(ealg, encryptionKey)
            .lifetimeNs(lifetimeNs)
            .state(SaLifecycleState.TEMPORARY)
            .build();
    }
}
