package org.esp4j.sip.espcore;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SaState;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.text.Hex;
import org.esp4j.core.xfrm.SaStatsView;
import org.esp4j.core.xfrm.XfrmFormatter;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.message.Transport;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle's SAs land in an esp-core SAD/SPD and protect the flows they name: SA1 of the seed exchange
 * (UE port-c 38003 to P-CSCF port-s 50718, SPI 2821032177) protects UDP and TCP from the UE, nothing else.
 */
class EspCoreSaSinkTest
{
    private static final InetAddress UE = address("2001::1:d1ae:bb37:d9c9:81d0");
    private static final InetAddress PCSCF = address("2001:0:0:1::2");
    private static final byte[] IK_SHA1 = Hex.decode("f769bcd751044604127672711c6d344100000000");

    private final CachedNanoClock clock = new CachedNanoClock();
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, null);
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final EspCoreSaSink sink = new EspCoreSaSink(sad, spd, 100);

    @Test
    void shouldInstallSaAndUdpAndTcpPoliciesThatProtectTheFlow()
    {
        sink.install(sa1(TimeUnit.MINUTES.toNanos(4)));

        final SecurityAssociation sa = sad.get(2821032177L, PCSCF);
        assertNotNull(sa);
        assertEquals(2, spd.size());
        final EspProcessor processor = new EspProcessor(sad, spd, counters, clock);
        assertEquals(EspVerdict.DELIVER, send(processor, 17, 38003, 50718));
        assertEquals(EspVerdict.DELIVER, send(processor, 6, 38003, 50718));
        assertEquals(EspVerdict.PASS, send(processor, 17, 38003, 5060));
        assertEquals(2, sa.counters().packets());
    }

    @Test
    void shouldKeepTheKeysWithTheInstalledSaForListingsAndWipeThemOnRemoval()
    {
        final SaSpec spec = sa1(TimeUnit.MINUTES.toNanos(4));
        sink.install(spec);
        final SecurityAssociation sa = sad.get(2821032177L, PCSCF);
        assertArrayEquals(IK_SHA1, sa.config().integrityKey(), "xfrm state list --keys shows what the SA uses");

        sink.remove(spec);
        assertNull(sad.get(2821032177L, PCSCF));
        assertArrayEquals(new byte[IK_SHA1.length], sa.config().integrityKey(), "keys wiped with the SA");
    }

    @Test
    void shouldExtendLifetimeKeepingTheSaAndRemoveItWithItsPolicies()
    {
        final SaSpec spec = sa1(TimeUnit.MINUTES.toNanos(4));
        sink.install(spec);
        final SecurityAssociation sa = sad.get(2821032177L, PCSCF);

        clock.advance(TimeUnit.MINUTES.toNanos(3));
        sink.extendLifetime(spec, TimeUnit.SECONDS.toNanos(600_030));
        clock.advance(TimeUnit.MINUTES.toNanos(2));
        sad.poll();
        assertSame(sa, sad.get(2821032177L, PCSCF));
        assertEquals(SaState.VALID, sa.state(), "extended past the temporary lifetime");

        sink.remove(spec);
        assertNull(sad.get(2821032177L, PCSCF));
        assertEquals(0, spd.size());
        assertEquals(SaState.DELETED, sa.state());
    }

    @Test
    void shouldShowTheLifetimeInForceAfterExtensionInListingAndUpdateEvent()
    {
        final java.util.List<SaEventType> events = new java.util.ArrayList<>();
        final SecurityAssociationDatabase watched = new SecurityAssociationDatabase(counters, clock,
            (type, sa) -> events.add(type));
        final EspCoreSaSink watchedSink = new EspCoreSaSink(watched, spd, 100);
        final SaSpec spec = sa1(TimeUnit.SECONDS.toNanos(240));
        watchedSink.install(spec);
        final SecurityAssociation sa = watched.get(2821032177L, PCSCF);
        final SaStatsView stats = new SaStatsView(0, 0, 0, 0, 0, 0, 0);
        assertTrue(XfrmFormatter.formatState(sa, false, stats).contains("expire add: soft 0(sec), hard 240(sec)"));

        clock.advance(TimeUnit.SECONDS.toNanos(180));
        watchedSink.extendLifetime(spec, TimeUnit.SECONDS.toNanos(600_030));

        // Counted from the SA's addition as the kernel's limits are: 180 s already gone + 600030 s from now.
        final String listing = XfrmFormatter.formatState(sa, false, stats);
        assertTrue(listing.contains("expire add: soft 0(sec), hard 600210(sec)"), listing);
        assertFalse(listing.contains("hard 240(sec)"), listing);
        assertEquals(TimeUnit.SECONDS.toNanos(600_210), sa.lifetime().hardAddExpiresNs());
        assertEquals(java.util.List.of(SaEventType.ADDED, SaEventType.UPDATED), events, "monitors see the update");
        assertArrayEquals(IK_SHA1, sa.config().integrityKey(), "the update leaves the SA's keys alone");
    }

    @Test
    void shouldExpireTemporarySetWhenRegAwaitAuthRunsOut()
    {
        sink.install(sa1(TimeUnit.MINUTES.toNanos(4)));
        final SecurityAssociation sa = sad.get(2821032177L, PCSCF);
        clock.advance(TimeUnit.MINUTES.toNanos(4) + 1);
        sad.poll();
        assertEquals(SaState.EXPIRED, sa.state());
    }

    @Test
    void shouldRefuseSpecWithoutKeys()
    {
        final SaSpec keyless = sa1(0).toBuilder().integrity(IntegrityAlgorithm.HMAC_SHA1_96, null).build();
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> sink.install(keyless));
        assertEquals(true, ex.getMessage().contains("0xa82588f1"), ex.getMessage());
        assertEquals(0, sad.size());
        assertNull(spd.find(org.esp4j.core.selector.TrafficSelector.any(), PolicyDirection.OUT));
    }

    private static SaSpec sa1(final long lifetimeNs)
    {
        return SaSpec.builder()
            .label("SA1")
            .spiOrigin("P-CSCF spi-s")
            .direction(PolicyDirection.OUT)
            .spi(2821032177L)
            .src(UE, 38003)
            .dst(PCSCF, 50718)
            .protocols(EnumSet.of(Transport.UDP, Transport.TCP))
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, IK_SHA1)
            .encryption(EncryptionAlgorithm.NULL, new byte[0])
            .lifetimeNs(lifetimeNs)
            .build();
    }

    private static int send(final EspProcessor processor, final int protocol, final int sport, final int dport)
    {
        final int payload = 20;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + 40 + payload + 64]);
        final int at = EspProcessor.MAX_HEADROOM;
        buffer.putInt(at, 0x6000_0000, BIG_ENDIAN);
        buffer.putShort(at + 4, (short)payload, BIG_ENDIAN);
        buffer.putByte(at + 6, (byte)protocol);
        buffer.putByte(at + 7, (byte)64);
        buffer.putBytes(at + 8, UE.getAddress());
        buffer.putBytes(at + 24, PCSCF.getAddress());
        buffer.putShort(at + 40, (short)sport, BIG_ENDIAN);
        buffer.putShort(at + 42, (short)dport, BIG_ENDIAN);
        return processor.outbound(buffer, at, 40 + payload);
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
