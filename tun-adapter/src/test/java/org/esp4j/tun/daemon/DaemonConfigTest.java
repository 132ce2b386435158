package org.esp4j.tun.daemon;

import org.esp4j.tun.carrier.Ipv4UdpChecksum;
import org.esp4j.tun.log.LogLevel;
import org.esp4j.tun.routing.SteeringPrefix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonConfigTest
{
    @Test
    void defaults()
    {
        final DaemonConfig config = DaemonConfig.builder().build();
        assertEquals("esp4j0", config.tunName());
        assertEquals(DaemonConfig.Carrier.RAW, config.carrier());
        assertEquals(0x4500, config.mark());
        assertEquals(4500, config.routingSettings().table());
        assertEquals(4500, config.routingSettings().markRulePriority());
        assertEquals(4501, config.routingSettings().steerRulePriority());
        assertEquals(Path.of("/dev/shm/esp4j-esp4j0.counters"), config.countersFile());
        assertNull(config.preload());
    }

    @Test
    void parsesFileWithCommentsAndRelativePaths(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("esp4j.conf");
        Files.writeString(file, String.join("\n",
            "# a daemon", "tun.name = ims0", "carrier=both  # raw and udp", "mark=0x10", "table=100",
            "rule.priority.mark=200", "rule.priority.steer=201", "steer=2001:db8::/64, 192.0.2.7",
            "preload=sa.conf", ""));
        final DaemonConfig config = DaemonConfig.parse(file);
        assertEquals("ims0", config.tunName());
        assertEquals(DaemonConfig.Carrier.BOTH, config.carrier());
        assertEquals(0x10, config.mark());
        assertEquals(dir.resolve("sa.conf"), config.preload());
        assertEquals(SteeringPrefix.parse("2001:db8::/64"), config.steer().get(0));
        assertEquals(SteeringPrefix.parse("192.0.2.7/32"), config.steer().get(1));
    }

    @Test
    void rejectsBadValues()
    {
        assertThrows(IllegalArgumentException.class, () -> DaemonConfig.builder().set("carrier", "tcp").build());
        assertThrows(IllegalArgumentException.class, () -> DaemonConfig.builder()
            .set("rule.priority.mark", "300").set("rule.priority.steer", "200").build());
        assertThrows(IllegalArgumentException.class, () -> DaemonConfig.builder().set("table", "254").build());
        assertThrows(IllegalArgumentException.class, () -> DaemonConfig.builder().set("mark", "x").build());
    }

    @Test
    void shouldRejectAnUnknownKeyNamingIt(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("esp4j.conf");
        Files.writeString(file, "tun.name=ims0\ntun.ofload=off\n");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> DaemonConfig.parse(file));
        assertTrue(ex.getMessage().startsWith("unknown setting 'tun.ofload'"), ex.getMessage());
    }

    @Test
    void shouldReadTheInboundFilterSetting()
    {
        assertEquals(DaemonConfig.InboundFilter.AUTO, DaemonConfig.builder().build().inboundFilter());
        assertEquals(DaemonConfig.InboundFilter.ON, DaemonConfig.builder().set("inbound.filter", "ON").build()
            .inboundFilter());
        assertEquals(DaemonConfig.InboundFilter.OFF, DaemonConfig.builder().set("inbound.filter", "off").build()
            .inboundFilter());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("inbound.filter", "maybe").build().inboundFilter());
        assertEquals("inbound.filter must be auto, on or off: maybe", ex.getMessage());
    }

    @Test
    void shouldReadTheMultiBufferSetting()
    {
        assertEquals(DaemonConfig.MultiBuffer.AUTO, DaemonConfig.builder().build().multiBuffer());
        assertEquals(DaemonConfig.MultiBuffer.ON, DaemonConfig.builder().set("crypto.multibuffer", "on").build()
            .multiBuffer());
        assertEquals(DaemonConfig.MultiBuffer.OFF, DaemonConfig.builder().set("crypto.multibuffer", "Off").build()
            .multiBuffer());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("crypto.multibuffer", "16").build());
        assertEquals("crypto.multibuffer must be auto, on or off: 16", ex.getMessage());
    }

    @Test
    void shouldReadTheTunIoUringSettingOffByDefault()
    {
        assertFalse(DaemonConfig.builder().build().tunIoUring());
        assertTrue(DaemonConfig.builder().set("tun.io_uring", "on").build().tunIoUring());
        assertFalse(DaemonConfig.builder().set("tun.io_uring", "off").build().tunIoUring());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("tun.io_uring", "sometimes").build());
        assertEquals("tun.io_uring must be on or off: sometimes", ex.getMessage());
    }

    @Test
    void shouldReadTheUdpChecksumSetting()
    {
        assertEquals(Ipv4UdpChecksum.AUTO, DaemonConfig.builder().build().udpChecksum());
        assertEquals(Ipv4UdpChecksum.ZERO, DaemonConfig.builder().set("udp.checksum", "zero").build().udpChecksum());
        assertEquals(Ipv4UdpChecksum.KERNEL,
            DaemonConfig.builder().set("udp.checksum", "kernel").build().udpChecksum());
        assertEquals(Ipv4UdpChecksum.AUTO, DaemonConfig.builder().set("udp.checksum", "auto").build().udpChecksum());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("udp.checksum", "sometimes").build().udpChecksum());
        assertEquals("udp.checksum must be zero, kernel or auto: sometimes", ex.getMessage());
    }

    @Test
    void shouldReadTheIdleSpinSettingWithinItsBounds()
    {
        assertEquals(DaemonConfig.LATENCY_IDLE_SPIN_US, DaemonConfig.builder().build().idleSpinUs());
        assertEquals(50, DaemonConfig.builder().set("idle.spin.us", "50").build().idleSpinUs());
        final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("idle.spin.us", "-1").build());
        assertEquals("idle.spin.us must be 0..10000: -1", negative.getMessage());
        final IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("idle.spin.us", "10001").build());
        assertEquals("idle.spin.us must be 0..10000: 10001", tooLong.getMessage());
    }

    @Test
    void shouldReadTheIdleSpinLoadWithinOneToOneHundredPercent()
    {
        assertEquals(DaemonConfig.DEFAULT_IDLE_SPIN_LOAD_PCT, DaemonConfig.builder().build().idleSpinLoadPct());
        assertEquals(100, DaemonConfig.builder().set("idle.spin.load.pct", "100").build().idleSpinLoadPct());
        assertEquals("idle.spin.load.pct must be 1..100: 0", assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("idle.spin.load.pct", "0").build()).getMessage());
        assertEquals("idle.spin.load.pct must be 1..100: 101", assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("idle.spin.load.pct", "101").build()).getMessage());
    }

    @Test
    void shouldReadTheLogLevelAndRejectAnUnknownOneInOneLine()
    {
        assertEquals(LogLevel.INFO, DaemonConfig.builder().build().logLevel());
        assertEquals(LogLevel.WARN, DaemonConfig.builder().set("log.level", "warn").build().logLevel());
        assertEquals(LogLevel.ERROR, DaemonConfig.builder().set("log.level", "ERROR").build().logLevel());
        assertEquals(LogLevel.DEBUG, DaemonConfig.builder().set("log.level", "debug").build().logLevel());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("log.level", "verbose").build());
        assertEquals("log.level must be error, warn, info or debug: verbose", ex.getMessage());
    }

    @Test
    void shouldReadTheLogSummaryPeriodWithinItsBounds()
    {
        assertEquals(60, DaemonConfig.builder().build().logSummaryS());
        assertEquals(0, DaemonConfig.builder().set("log.summary.s", "0").build().logSummaryS());
        assertEquals(86_400, DaemonConfig.builder().set("log.summary.s", "86400").build().logSummaryS());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("log.summary.s", "-1").build());
        assertEquals("log.summary.s must be 0..86400: -1", ex.getMessage());
    }

    @Test
    void shouldReadThePacketThreadsSetting()
    {
        assertEquals(DaemonConfig.PacketThreads.AUTO, DaemonConfig.builder().build().packetThreads());
        assertEquals(DaemonConfig.PacketThreads.ONE, DaemonConfig.builder().set("packet.threads", "one").build()
            .packetThreads());
        assertEquals(DaemonConfig.PacketThreads.TWO, DaemonConfig.builder().set("packet.threads", "two").build()
            .packetThreads());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.threads", "3").build());
        assertEquals("packet.threads must be two, one or auto: 3", ex.getMessage());
    }

    @Test
    void shouldTakeThePacketThreadsAndTheSpinWindowFromTheProfileAutoByDefaultUnlessSetOtherwise()
    {
        final DaemonConfig byDefault = DaemonConfig.builder().build();
        assertEquals(DaemonConfig.Profile.AUTO, byDefault.profile());
        assertEquals(DaemonConfig.PacketThreads.AUTO, byDefault.packetThreads());
        assertEquals(100, byDefault.idleSpinUs());
        final DaemonConfig throughput = DaemonConfig.builder().set("profile", "throughput").build();
        assertEquals(DaemonConfig.Profile.THROUGHPUT, throughput.profile());
        assertEquals(DaemonConfig.PacketThreads.TWO, throughput.packetThreads());
        assertEquals(0, throughput.idleSpinUs());
        final DaemonConfig latency = DaemonConfig.builder().set("profile", "latency").build();
        assertEquals(DaemonConfig.Profile.LATENCY, latency.profile());
        assertEquals(DaemonConfig.PacketThreads.ONE, latency.packetThreads());
        assertEquals(100, latency.idleSpinUs());
        final DaemonConfig overridden = DaemonConfig.builder().set("profile", "latency").set("idle.spin.us", "50")
            .set("packet.threads", "two").build();
        assertEquals(DaemonConfig.PacketThreads.TWO, overridden.packetThreads());
        assertEquals(50, overridden.idleSpinUs());
        assertEquals("profile must be throughput, latency or auto: fast", assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("profile", "fast").build()).getMessage());
    }

    @Test
    void shouldTakeTheHandOffAndASpinWindowFromTheAutoProfile()
    {
        final DaemonConfig auto = DaemonConfig.builder().set("profile", "auto").build();
        assertEquals(DaemonConfig.Profile.AUTO, auto.profile());
        assertEquals(DaemonConfig.PacketThreads.AUTO, auto.packetThreads());
        assertEquals(100, auto.idleSpinUs());
        assertEquals(DaemonConfig.PacketThreads.AUTO, DaemonConfig.builder().set("packet.threads", "auto").build()
            .packetThreads());
        assertArrayEquals(new int[]{0, 1}, DaemonConfig.builder().set("profile", "auto").set("packet.cpus", "0,1")
            .build().packetCpus(), "two threads: a CPU for each");
    }

    @Test
    void shouldReadThePacketThreadsSchedulingAndLeaveTheKernelsDefaultsByDefault()
    {
        final DaemonConfig defaults = DaemonConfig.builder().build();
        assertEquals(PacketScheduling.Yield.UDP, defaults.packetYield());
        assertEquals(PacketScheduling.Policy.OTHER, defaults.packetSched());
        assertEquals(0, defaults.packetSliceUs());

        final DaemonConfig set = DaemonConfig.builder().set("packet.yield", "inbound").set("packet.sched", "batch")
            .set("packet.slice.us", "100").build();
        assertEquals(PacketScheduling.Yield.INBOUND, set.packetYield());
        assertEquals(PacketScheduling.Policy.BATCH, set.packetSched());
        assertEquals(100, set.packetSliceUs());
        assertEquals(PacketScheduling.Yield.BOTH, DaemonConfig.builder().set("packet.yield", "both").build()
            .packetYield());
        assertEquals(PacketScheduling.Yield.OUTBOUND, DaemonConfig.builder().set("packet.yield", "outbound").build()
            .packetYield());
        assertEquals(PacketScheduling.Yield.UDP, DaemonConfig.builder().set("packet.yield", "udp").build()
            .packetYield());
        assertEquals(100_000, DaemonConfig.builder().set("packet.slice.us", "100000").build().packetSliceUs());
    }

    @Test
    void shouldRejectASliceTheKernelWouldClampAndAnUnknownYieldOrPolicy()
    {
        assertEquals("packet.slice.us must be 0 or 100..100000: 99", assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.slice.us", "99").build()).getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.slice.us", "100001").build());
        assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.slice.us", "-1").build());
        assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.yield", "always").build());
        assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.sched", "fifo").build());
    }

    @Test
    void shouldReadThePacketCpus()
    {
        assertEquals(0, DaemonConfig.builder().build().packetCpus().length);
        assertArrayEquals(new int[]{1}, DaemonConfig.builder().set("packet.cpus", "1").build().packetCpus());
        assertArrayEquals(new int[]{0, 1}, DaemonConfig.builder().set("packet.cpus", "0, 1").build().packetCpus());
        assertArrayEquals(new int[]{1}, DaemonConfig.builder().set("packet.threads", "one").set("packet.cpus", "1")
            .build().packetCpus());
    }

    @Test
    void shouldRejectPacketCpusThatAreNotCpuNumbers()
    {
        assertEquals("packet.cpus takes one CPU with packet.threads=one: 0,1", assertThrows(
            IllegalArgumentException.class, () -> DaemonConfig.builder().set("packet.threads", "one")
                .set("packet.cpus", "0,1").build()).getMessage());
        assertEquals("packet.cpus takes one or two CPUs: 0,1,2", assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("packet.cpus", "0,1,2").build()).getMessage());
        for (final String bad : new String[]{"x", "-1", "1024", "0,", "1.5"})
        {
            assertEquals("packet.cpus must be CPU numbers 0..1023, comma-separated: " + bad,
                assertThrows(IllegalArgumentException.class,
                    () -> DaemonConfig.builder().set("packet.cpus", bad).build()).getMessage(), bad);
        }
    }

    @Test
    void shouldReadThePacketRingSetting()
    {
        assertEquals(DaemonConfig.CarrierRing.AUTO, DaemonConfig.builder().build().carrierRing());
        assertEquals(DaemonConfig.CarrierRing.ON, DaemonConfig.builder().set("carrier.ring", "on").build()
            .carrierRing());
        assertEquals(DaemonConfig.CarrierRing.OFF, DaemonConfig.builder().set("carrier.ring", "OFF").build()
            .carrierRing());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("carrier.ring", "yes").build());
        assertEquals("carrier.ring must be auto, on or off: yes", ex.getMessage());
    }

    @Test
    void shouldRefuseABadSipRoleOrAlgorithmWhenBuilt()
    {
        final IllegalArgumentException role = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("sip.role", "scscf").build());
        assertEquals("sip.role must be ue or pcscf", role.getMessage());
        final IllegalArgumentException algorithm = assertThrows(IllegalArgumentException.class,
            () -> DaemonConfig.builder().set("sip.role", "pcscf").set("sip.algorithm", "xor").build());
        assertEquals("sip.algorithm must be milenage or test-usim", algorithm.getMessage());
    }

    @Test
    void shouldResolveTheSipBridgeOnceFromTheBuildersEnvironment()
    {
        assertNull(DaemonConfig.builder().build().sipBridge(), "no sip.role, no bridge");
        final DaemonConfig config = DaemonConfig.builder().set("sip.role", "ue")
            .environment(java.util.Map.of("ESP4J_K", "465b5ce8b199b49faa5f0a2ee238a6bc",
                "ESP4J_OPC", "cd63cb71954a9f4e48a5994e37a02baf"))
            .build();
        final SipBridgeSettings settings = config.sipBridge();
        assertEquals(org.esp4j.sip.lifecycle.Role.UE, settings.role());
        assertEquals("milenage", settings.algorithmName());
        org.junit.jupiter.api.Assertions.assertSame(settings, config.sipBridge());
    }

    @Test
    void shouldNotShowTheSubscriberKeysInToString()
    {
        final DaemonConfig config = DaemonConfig.builder().set("sip.role", "pcscf")
            .set("sip.k", "465b5ce8b199b49faa5f0a2ee238a6bc").build();
        assertTrue(config.toString().contains("sip.k=<set>"), config.toString());
        org.junit.jupiter.api.Assertions.assertFalse(config.toString().contains("465b5ce8"), config.toString());
    }
}
