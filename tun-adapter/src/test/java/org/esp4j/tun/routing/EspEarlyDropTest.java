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
              set spis { typeof esp spi; }
              chain prerouting {
                type filter hook prerouting priority -450; policy accept;
                meta pkttype host iif { 1, 7 } ip protocol esp ip frag-off & 0x3fff == 0 ip length <= 4000 \
            ip daddr { 192.0.2.2, 127.0.0.1 } esp spi @spis drop
                meta pkttype host iif { 1, 7 } ip6 nexthdr esp ip6 length <= 3960 ip6 daddr { 2001:0:0:1:0:0:0:2 } \
            esp spi @spis drop
              }
            }
            add element inet esp4j_esp_esp4j0 spis { 2821032177, 3458785863 }
            """, EspEarlyDrop.script("esp4j_esp_esp4j0", 4000, LOCAL, SPIS));
    }

    @Test
    void shouldChangeOnlyTheSpisThatDifferAndKeepTheRules()
    {
        assertEquals("""
            delete element inet t spis { 2821032177 }
            add element inet t spis { 1, 4294967295 }
            """, EspEarlyDrop.updateScript("t", 4000, LOCAL, SPIS, LOCAL, Set.of(3458785863L, 4294967295L, 1L)));
    }

    @Test
    void shouldRewriteOnlyTheRulesWhenTheAddressesChange()
    {
        final LocalAddresses v4Only = new LocalAddresses(List.of(1), List.of(address("192.0.2.2")));

        assertEquals("""
            flush chain inet t prerouting
            add rule inet t prerouting meta pkttype host iif { 1 } ip protocol esp ip frag-off & 0x3fff == 0 \
            ip length <= 4000 ip daddr { 192.0.2.2 } esp spi @spis drop
            """, EspEarlyDrop.updateScript("t", 4000, LOCAL, SPIS, v4Only, SPIS));
    }

    @Test
    void shouldWriteManySpisInStatementsOfBoundedLength()
    {
        final Set<Long> many = new java.util.HashSet<>();
        for (long spi = 0x100; spi < 0x100 + 1200; spi++)
        {
            many.add(spi);
        }
        final String script = EspEarlyDrop.updateScript("t", 4000, LOCAL, Set.of(), LOCAL, many);

        assertEquals(3, script.lines().count(), script);
        assertTrue(script.lines().allMatch(line -> line.startsWith("add element inet t spis { ")));
        assertEquals(1200, script.chars().filter(c -> c == ',').count() + 3, "elements: commas + one per statement");
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
    void shouldRunNftOnlyForChangesIncrementallyAndNotAfterRemoval(@TempDir final Path dir) throws Exception
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
        final String[] runs = Files.readString(scripts).split("---\n");
        assertEquals(3, runs.length, String.join("|", runs));
        assertTrue(runs[0].startsWith("table inet esp4j_esp_esp4j0\ndelete table inet esp4j_esp_esp4j0\n"), runs[0]);
        assertEquals("delete element inet esp4j_esp_esp4j0 spis { 3458785863 }\n", runs[1]);
        assertEquals("table inet esp4j_esp_esp4j0\ndelete table inet esp4j_esp_esp4j0\n", runs[2]);
        assertEquals(LocalAddresses.NONE, drop.installed());
        assertEquals(Set.of(), drop.installedSpis());
    }

    @Test
    void shouldChangeOnlyTheNamedSpisElementByElement(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts");
        final EspEarlyDrop drop = new EspEarlyDrop(fakeNft(dir, "cat >> " + scripts + "; echo --- >> " + scripts),
            "esp4j0", 4000, null);
        drop.install(LOCAL, SPIS);

        drop.change(Set.of(4000000000L, 3458785863L), Set.of(2821032177L, 17L));
        drop.change(Set.of(), Set.of(99L));

        assertEquals(Set.of(4000000000L, 3458785863L), drop.installedSpis());
        String[] runs = Files.readString(scripts).split("---\n");
        assertEquals(2, runs.length, String.join("|", runs));
        assertEquals("delete element inet esp4j_esp_esp4j0 spis { 2821032177 }\n" +
            "add element inet esp4j_esp_esp4j0 spis { 4000000000 }\n", runs[1]);

        drop.change(Set.of(), Set.of(4000000000L, 3458785863L)); // the last SPIs: no table at all
        runs = Files.readString(scripts).split("---\n");
        assertEquals("table inet esp4j_esp_esp4j0\ndelete table inet esp4j_esp_esp4j0\n", runs[2]);
        assertEquals(Set.of(), drop.installedSpis());
        drop.change(Set.of(5L), Set.of()); // the first again: the whole table
        runs = Files.readString(scripts).split("---\n");
        assertTrue(runs[3].contains("set spis") && runs[3].endsWith("add element inet esp4j_esp_esp4j0 spis { 5 }\n"),
            runs[3]);
        assertEquals(LOCAL, drop.installed());
    }

    @Test
    void shouldReplaceTheWholeTableAfterAnElementChangeWasRefused(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts");
        final Path refuse = dir.resolve("refuse");
        final EspEarlyDrop drop = new EspEarlyDrop(fakeNft(dir, "s=$(cat); echo \"$s\" >> " + scripts +
            "; echo --- >> " + scripts + "; [ -e " + refuse + " ] && exit 1; exit 0"), "esp4j0", 4000, null);
        drop.install(LOCAL, Set.of(1L));
        Files.writeString(refuse, "");

        assertThrows(IOException.class, () -> drop.change(Set.of(2L), Set.of()));
        assertEquals(Set.of(1L), drop.installedSpis(), "unchanged when nft refused");
        Files.delete(refuse);
        drop.change(Set.of(2L), Set.of());

        final String[] runs = Files.readString(scripts).split("---\n");
        assertTrue(runs[2].startsWith("table inet esp4j_esp_esp4j0\ndelete table"), runs[2]);
        assertEquals(Set.of(1L, 2L), drop.installedSpis());
    }

    @Test
    void shouldReplaceTheWholeTableWhenNftRefusesAnIncrementalChange(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts");
        final EspEarlyDrop drop = new EspEarlyDrop(fakeNft(dir, "s=$(cat); echo \"$s\" >> " + scripts +
            "; echo --- >> " + scripts + "; case \"$s\" in add*|delete\\ element*) exit 1;; esac"), "esp4j0", 4000,
            null);
        drop.install(LOCAL, Set.of(1L));

        drop.install(LOCAL, SPIS);

        final String[] runs = Files.readString(scripts).split("---\n");
        assertEquals(3, runs.length, String.join("|", runs));
        assertTrue(runs[1].startsWith("delete element"), runs[1]);
        assertTrue(runs[2].startsWith("table inet esp4j_esp_esp4j0\ndelete table"), runs[2]);
        assertEquals(SPIS, drop.installedSpis());
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
