package org.esp4j.tun.device;

import org.esp4j.tun.RootAssumptions;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Root test: a configured TUN is up without an IPv6 link-local address ({@code addr_gen_mode} 1, set before the link
 * went up), so the kernel has no address to send router solicitations from.
 */
class TunDeviceLinkLocalTest
{
    private final String name = "esp4jl" + ProcessHandle.current().pid() % 100000;

    @Test
    void shouldBringTheTunUpWithoutAnIpv6LinkLocalAddress() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final IpCommand ip = new IpCommand();
        try (TunDevice tun = TunDevice.open(name, 1))
        {
            tun.configure(ip, 1400);

            assertTrue(ip.check("link", "show", "dev", name).output().contains(",UP"), "the TUN is up");
            assertEquals("1", Files.readString(Path.of("/proc/sys/net/ipv6/conf", name, "addr_gen_mode")).trim());
            // the kernel adds the link-local address at once when the link goes up (before DAD), so none now is
            // none ever
            final String addresses = ip.check("-6", "addr", "show", "dev", name).output();
            assertFalse(addresses.contains("fe80:"), addresses);
        }
    }
}
