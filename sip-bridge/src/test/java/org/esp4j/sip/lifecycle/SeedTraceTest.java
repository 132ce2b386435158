package org.esp4j.sip.lifecycle;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.trace.SipTraceReader;
import org.esp4j.sip.trace.TraceEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The seed exchange gives exactly the four SAs of the issue, whichever side the bridge plays.
 */
class SeedTraceTest
{
    private static final String UE = "2001:0:0:1:d1ae:bb37:d9c9:81d0";
    private static final String PCSCF = "2001:0:0:1:0:0:0:2";

    static List<TraceEntry> seed() throws Exception
    {
        try (var in = SeedTraceTest.class.getResourceAsStream("/traces/ims-register-ipsec.sip"))
        {
            return SipTraceReader.read("seed", in.readAllBytes());
        }
    }

    static InMemorySaSink replay(final Role role) throws Exception
    {
        final InMemorySaSink sink = new InMemorySaSink();
        final SipBridge bridge = new SipBridge(LifecycleConfig.builder(role).nanoClock(() -> 0L).build(), sink, LifecycleListener.NONE);
        for (final TraceEntry entry : seed())
        {
            bridge.onMessage(entry.message(), entry.src(), entry.srcPort(), entry.dst(), entry.dstPort());
        }
        return sink;
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void shouldProduceTheFourSeedSas(final Role role) throws Exception
    {
        final List<SaSpec> sas = replay(role).installed();

        assertEquals(4, sas.size());
        assertSa(sas.get(0), "SA1", UE, 38003, PCSCF, 50718, 2821032177L, "P-CSCF spi-s");
        assertSa(sas.get(1), "SA2", PCSCF, 50718, UE, 38003, 565817L, "UE spi-c");
        assertSa(sas.get(2), "SA3", PCSCF, 50717, UE, 39003, 565818L, "UE spi-s");
        assertSa(sas.get(3), "SA4", UE, 39003, PCSCF, 50717, 3458785863L, "P-CSCF spi-c");
        for (final SaSpec sa : sas)
        {
            assertEquals("hmac-md5-96", sa.integrityAlgorithmName());
            assertEquals("null", sa.encryptionAlgorithmName());
            assertEquals(SaLifecycleState.ESTABLISHED, sa.state());
            assertEquals(600_030L * 1_000_000_000L, sa.lifetimeNs());
            assertEquals(2, sa.protocols().size(), "UDP and TCP selectors");
        }
        final PolicyDirection ueOutbound = role == Role.UE ? PolicyDirection.OUT : PolicyDirection.IN;
        assertEquals(ueOutbound, sas.get(0).direction());
        assertEquals(ueOutbound, sas.get(3).direction());
    }

    @Test
    void shouldPrintUnsignedSpisAboveTwoToThe31()
    {
        final SaSpec sa4 = SaSpec.builder().label("SA4").spi(3458785863L).direction(PolicyDirection.IN)
            .src(InetAddress.getLoopbackAddress(), 1).dst(InetAddress.getLoopbackAddress(), 2)
            .integrity(org.esp4j.core.crypto.IntegrityAlgorithm.HMAC_MD5_96, null).build();

        assertEquals("0xce28e247", sa4.spiHex());
        assertEquals(true, sa4.toString().contains("spi=3458785863 (0xce28e247)"), sa4.toString());
    }

    private static void assertSa(
        final SaSpec sa, final String label, final String src, final int srcPort, final String dst, final int dstPort,
        final long spi, final String origin)
    {
        assertEquals(label, sa.label());
        assertEquals(src, sa.src().getHostAddress());
        assertEquals(srcPort, sa.srcPort());
        assertEquals(dst, sa.dst().getHostAddress());
        assertEquals(dstPort, sa.dstPort());
        assertEquals(spi, sa.spi());
        assertEquals(origin, sa.spiOrigin());
    }
}
