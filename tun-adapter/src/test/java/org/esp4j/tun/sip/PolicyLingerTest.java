package org.esp4j.tun.sip;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.text.Hex;
import org.esp4j.sip.espcore.EspCoreSaSink;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.message.Transport;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The policies of a removed SA linger and then go, also when another flow's SA has taken the same SPI and
 * destination meanwhile (a P-CSCF's SPI handed to a UE at another address): found by ue-farm.sh's warm-up round, whose
 * UEs came back from other addresses with the same P-CSCF SPIs and left 6,392 policies on each daemon for good.
 */
class PolicyLingerTest
{
    private static final InetAddress PCSCF = address("2001:db8:ff::2");
    private static final InetAddress UE_BEFORE = address("2001:db8:4701:3e8:1::1");
    private static final InetAddress UE_AFTER = address("2001:db8:4701:3e8:2::1");
    private static final long SPI = 0xa8258901L; // above 2^31, as a P-CSCF's often are
    private static final byte[] IK_SHA1 = Hex.decode("f769bcd751044604127672711c6d344100000000");

    private final CachedNanoClock clock = new CachedNanoClock();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(XfrmCounters.inMemory(), clock, null);
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    /** The conductor's timers, by hand: scheduled changes run when the test says the linger is over. */
    private final Map<String, Runnable> scheduled = new LinkedHashMap<>();
    private final PolicyLinger linger = new PolicyLinger(new EspCoreSaSink(sad, spd, 1000), sad,
        new DaemonSipBridge.ChangeApplier()
        {
            public void submit(final Runnable change, final Consumer<RuntimeException> done)
            {
                change.run();
                done.accept(null);
            }

            public void schedule(final String key, final long delayNs, final Runnable change)
            {
                scheduled.put(key, change);
            }

            public void cancel(final String key)
            {
                scheduled.remove(key);
            }
        }, DaemonSipBridge.LINGER_NS);

    @Test
    void shouldDeleteTheSaAtOnceAndItsPoliciesWhenTheLingerEnds()
    {
        linger.install(sa(UE_BEFORE));
        linger.remove(sa(UE_BEFORE));

        assertNull(sad.get(SPI, PCSCF), "the SA is never used again");
        assertEquals(2, spd.size(), "its UDP and TCP policies keep the flow blocked");
        lingerEnds();
        assertEquals(0, spd.size());
    }

    @Test
    void shouldRemoveTheOldFlowsPoliciesWhenAnotherFlowTookTheSameSpiAndDestination()
    {
        linger.install(sa(UE_BEFORE));
        linger.remove(sa(UE_BEFORE));
        linger.install(sa(UE_AFTER)); // same SPI and destination, another UE address

        lingerEnds();

        assertNotNull(sad.get(SPI, PCSCF), "the new SA stays");
        assertEquals(UE_AFTER, sad.get(SPI, PCSCF).config().source());
        assertEquals(2, spd.size(), "only the new flow's two policies are left");
        assertNull(spd.find(sa(UE_BEFORE).toPolicyConfig(Transport.UDP, 1000).selector(), PolicyDirection.OUT));
        assertNotNull(spd.find(sa(UE_AFTER).toPolicyConfig(Transport.TCP, 1000).selector(), PolicyDirection.OUT));
    }

    @Test
    void shouldKeepThePoliciesOfTheSameFlowInstalledAgainOnTheSameSpi()
    {
        linger.install(sa(UE_BEFORE));
        linger.remove(sa(UE_BEFORE));
        linger.install(sa(UE_BEFORE));

        lingerEnds();

        assertNotNull(sad.get(SPI, PCSCF));
        assertEquals(2, spd.size(), "the linger was cancelled: the policies are the new SA's");
    }

    private void lingerEnds()
    {
        final Runnable[] due = scheduled.values().toArray(new Runnable[0]);
        scheduled.clear();
        for (final Runnable change : due)
        {
            change.run();
        }
    }

    private static SaSpec sa(final InetAddress ue)
    {
        return SaSpec.builder()
            .label("SA1")
            .spiOrigin("P-CSCF spi-s")
            .direction(PolicyDirection.OUT)
            .spi(SPI)
            .src(ue, 38003)
            .dst(PCSCF, 50718)
            .protocols(EnumSet.of(Transport.UDP, Transport.TCP))
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, IK_SHA1)
            .encryption(EncryptionAlgorithm.NULL, new byte[0])
            .lifetimeNs(60_000_000_000L)
            .build();
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
