package org.esp4j.tun.device;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Root test: a TUN device is created, configured (MTU, up) and removed; an ICMPv6 echo request written into it is
 * answered by the kernel and the reply read back from it. Traffic never leaves the TUN (ULA prefix on the TUN only).
 * <p>
 * The test runs in the host's namespace, where other test runs (other builds, CI) may have their own TUN at the same
 * time: the /64 is made from this process's id, so the kernel's reply cannot be routed into another run's TUN.
 */
class TunDeviceTest
{
    private final String name = "esp4jt" + ProcessHandle.current().pid() % 100000;
    /** A /64 of its own: {@code fd00:e5b4:PID::/64}, PID being this process's id modulo 2^16. */
    private final String prefix = "fd00:e5b4:" + Long.toHexString(ProcessHandle.current().pid() & 0xFFFF) + "::";

    @BeforeEach
    void root()
    {
        RootAssumptions.assumeRootOrCi();
    }

    @Test
    void createConfigureReadWriteAndRemove() throws Exception
    {
        final IpCommand ip = new IpCommand();
        try (TunDevice tun = TunDevice.open(name, 1))
        {
            assertEquals(name, tun.name());
            tun.configure(ip, 1400);
            assertEquals("1400", Files.readString(Path.of("/sys/class/net", name, "mtu")).trim());
            ip.check("-6", "addr", "add", prefix + "1/64", "dev", name, "nodad");
            ip.awaitLocalAddress(prefix + "1", 30_000);

            final NativeArea area = new NativeArea(2048);
            assertEquals(TunDevice.WOULD_BLOCK, drainUntilEmpty(tun, area));

            final UnsafeBuffer packet = area.buffer();
            final int length = echoRequest(packet, InetAddress.getByName(prefix + "2"),
                InetAddress.getByName(prefix + "1"), 0x1234);
            assertEquals(length, tun.write(0, area.address(0), length));

            final NativeArea in = new NativeArea(2048);
            boolean replied = false;
            // a bound in time only: on a loaded host the kernel's softirq may answer seconds later, or drop the
            // request from a full backlog, so the same request goes again every second until a reply is read
            final long deadline = System.nanoTime() + 20_000_000_000L;
            long resendAtNs = System.nanoTime() + 1_000_000_000L;
            while (!replied && System.nanoTime() < deadline)
            {
                final int n = tun.read(0, in.address(0), 2048);
                if (n == TunDevice.WOULD_BLOCK)
                {
                    if (System.nanoTime() - resendAtNs >= 0)
                    {
                        assertEquals(length, tun.write(0, area.address(0), length));
                        resendAtNs = System.nanoTime() + 1_000_000_000L;
                    }
                    Thread.sleep(5);
                    continue;
                }
                assertTrue(n > 0, "read failed: " + LibC.describe(-n));
                final UnsafeBuffer b = in.buffer();
                replied = Ipv4Header.version(b, 0) == 6 && Ipv6Header.nextHeader(b, 0) == 58 &&
                    (b.getByte(40) & 0xFF) == 129 && b.getShort(44, ByteOrder.BIG_ENDIAN) == 0x1234;
            }
            assertTrue(replied, "no ICMPv6 echo reply read from the TUN");
        }
        assertFalse(Files.exists(Path.of("/sys/class/net", name)), "TUN still there after close");
    }

    @Test
    void badNameIsRejected()
    {
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
            () -> TunDevice.open("a-name-much-too-long-for-ifnamsiz", 1));
    }

    private static int drainUntilEmpty(final TunDevice tun, final NativeArea area)
    {
        int n;
        int count = 0;
        while ((n = tun.read(0, area.address(0), area.capacity())) > 0 && count++ < 100)
        {
            // router solicitations, MLD reports
        }
        return n;
    }

    /** Write an ICMPv6 echo request with a correct checksum; @return its length. */
    static int echoRequest(final UnsafeBuffer b, final InetAddress src, final InetAddress dst, final int id)
    {
        final int payload = 8 + 16;
        Ipv6Header.write(b, 0, 0, payload, 58, 64);
        b.putBytes(Ipv6Header.SOURCE_OFFSET, src.getAddress());
        b.putBytes(Ipv6Header.DESTINATION_OFFSET, dst.getAddress());
        b.putByte(40, (byte)128);
        b.putByte(41, (byte)0);
        b.putShort(42, (short)0);
        b.putShort(44, (short)id, ByteOrder.BIG_ENDIAN);
        b.putShort(46, (short)1, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 16; i++)
        {
            b.putByte(48 + i, (byte)i);
        }
        long sum = InternetChecksum.sum(b, Ipv6Header.SOURCE_OFFSET, 32, 0);
        sum += payload + 58;
        sum = InternetChecksum.sum(b, 40, payload, sum);
        b.putShort(42, (short)~InternetChecksum.fold(sum), ByteOrder.BIG_ENDIAN);
        return 40 + payload;
    }
}
