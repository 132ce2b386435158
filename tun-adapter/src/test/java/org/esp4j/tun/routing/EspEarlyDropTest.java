package org.esp4j.tun.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The early-drop table's script (the same fields as the ring's filter), its replacement and its removal. */
class EspEarlyDropTest
{
    private static final LocalAddresses LOCAL = new LocalAddresses(List.of(1, 7),
        List.of(address("192.0.2.2"), address("2001:0:0:1::2"), address("127.0.0.1")));
    /** The trace's P-CSCF inbound SPIs; above 2^31, one of them, printed unsigned. */
    private static final Set<Long> SPIS = Set.of(3458785863L, 2821032177L);

    @Test
    void shouldDropExactlyWhatTheRingTakesForItsSpisAtPrerouting()
    {
        assertEquals("""
            table inet esp4j_esp_esp4j0
            delete table inet esp4j_esp_esp4j0
            table inet esp4j_esp_esp4j0 {
              chain prerouting {
                type filter hook prerouting priority -450; policy accept;
                meta pkttype host iif { 1, 7 } ip protocol esp ip frag-off & 0x3fff == 0 ip length <= 4000 \
            ip daddr { 192.0.2.2, 127.0.0.1 } esp spi { 2821032177, 3458785863 } drop
                meta pkttype host iif { 1, 7 } ip6 nexthdr esp ip6 length <= 3960 ip6 daddr { 2001:0:0:1:0:0:0:2 } \
            esp spi { 2821032177, 3458785863 } drop
              }
            }
            """, EspEarlyDrop.script("esp4j_esp_esp4j0", 4000, LOCAL, SPIS));
    }

    @Test
    void shouldLeaveNoTableWithoutAddressesOrSpis()
    {
        assertEquals("table inet t\ndelete table inet t\n", EspEarlyDrop.script("t", 4000, LocalAddresses.NONE, SPIS));
        assertEquals("table inet t\ndelete table inet t\n",
            EspEarlyDrop.script("t", 4000, new LocalAddresses(List.of(), List.of(address("192.0.2.2"))), SPIS));
        assertEquals("table inet t\ndelete table inet t\n", EspEarlyDrop.script("t", 4000, LOCAL, Set.of()),
            "no inbound SA: all ESP takes the kernel's path");
    }

    @Test
    void shouldNameTheTableAfterTheTunAndRefuseUnquotableNames()
    {
        assertEquals("esp4j_esp_esp4j_0", EspEarlyDrop.tableName("esp4j-0"));
        assertThrows(IllegalArgumentException.class, () -> new EspEarlyDrop(new NftCommand(), "a\"b", 4000, null));
    }

    @Test
    void shouldRunNftOnlyForChangesAndNotAfterRemoval(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts");
        final EspEarlyDrop drop = new EspEarlyDrop(fakeNft(dir, "cat >> " + scripts + "; echo --- >> " + scripts),
            "esp4j0", 4000, null);
        drop.install(LOCAL, SPIS);
        drop.install(LOCAL, Set.of(2821032177L, 3458785863L));
        assertEquals(LOCAL, drop.installed());
        assertEquals(SPIS, drop.installedSpis());
        drop.install(LOCAL, Set.of(2821032177L));
        drop.remove();
        drop.install(LOCAL, SPIS);
        final String text = Files.readString(scripts);
        assertEquals(3, text.split("---", -1).length - 1, text);
        assertTrue(text.endsWith("table inet esp4j_esp_esp4j0\ndelete table inet esp4j_esp_esp4j0\n---\n"), text);
        assertEquals(LocalAddresses.NONE, drop.installed());
        assertEquals(Set.of(), drop.installedSpis());
    }

    @Test
    void shouldUniteAddressSetsUnlessAFilterCannotHoldThem()
    {
        final LocalAddresses other = new LocalAddresses(List.of(3), List.of(address("198.51.100.1")));
        final LocalAddresses both = LOCAL.union(other);
        assertEquals(List.of(1, 3, 7), both.interfaces());
        assertEquals(4, both.addresses().size());
        final java.util.ArrayList<InetAddress> many = new java.util.ArrayList<>();
        for (int i = 1; i <= 16; i++)
        {
            many.add(address("10.0.0." + i));
        }
        assertNull(LOCAL.union(new LocalAddresses(List.of(1), many)));
    }

    private static NftCommand fakeNft(final Path dir, final String body) throws IOException
    {
        final Path script = dir.resolve("nft");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return new NftCommand(script.toString());
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }
}
