package org.esp4j.tun.routing;

import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TrafficSelector;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InboundClearFilterTest
{
    private static final String UE = "2001::1:d1ae:bb37:d9c9:81d0";
    private static final String PCSCF = "2001:0:0:1::2";
    private static final String HEAD =
        "    meta l4proto esp accept\n" +
        "    iifname \"esp4j0\" accept\n" +
        "    iif \"lo\" accept\n";
    private static final String ND = "    icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, " +
        "nd-neighbor-advert, nd-redirect } accept\n";

    private final InboundClearFilter filter = new InboundClearFilter(new NftCommand("/nonexistent/nft"), "esp4j0",
        new int[0], null);

    private static List<SecurityPolicy> policies(final String... lines)
    {
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        for (final String line : lines)
        {
            spd.add(XfrmPolicyParser.parseAdd(line));
        }
        return spd.list();
    }

    @Test
    void shouldDropClearPacketsOfAProtectInPolicyAsTemplateMismatch()
    {
        final String rules = filter.rules(policies(
            "src " + PCSCF + " dst " + UE + " proto udp sport 5064 dport 5066 dir in tmpl src " + PCSCF + " dst " + UE +
            " proto esp spi 565817 mode transport"));

        assertEquals(HEAD + ND +
            "    meta nfproto ipv6 ip6 saddr 2001:0:0:1:0:0:0:2 ip6 daddr 2001:0:0:1:d1ae:bb37:d9c9:81d0 " +
            "meta l4proto 17 th sport 5064 th dport 5066 counter name \"tmpl_mismatch\" drop\n", rules);
    }

    @Test
    void shouldIgnoreOutPoliciesAndAcceptBypassAndOptionalTemplates()
    {
        final String rules = filter.rules(policies(
            "src " + UE + " dst " + PCSCF + " proto udp dport 5066 dir out tmpl src " + UE + " dst " + PCSCF +
                " proto esp mode transport",
            "src " + PCSCF + " dst " + UE + " proto udp dport 5060 dir in priority 10 action allow",
            "src " + PCSCF + " dst " + UE + " proto tcp dport 5066 dir in priority 20 tmpl src " + PCSCF + " dst " +
                UE + " proto esp mode transport level use"));

        assertEquals(HEAD + ND +
            "    meta nfproto ipv6 ip6 saddr 2001:0:0:1:0:0:0:2 ip6 daddr 2001:0:0:1:d1ae:bb37:d9c9:81d0 " +
            "meta l4proto 17 th dport 5060 accept\n" +
            "    meta nfproto ipv6 ip6 saddr 2001:0:0:1:0:0:0:2 ip6 daddr 2001:0:0:1:d1ae:bb37:d9c9:81d0 " +
            "meta l4proto 6 th dport 5066 accept\n", rules);
    }

    @Test
    void shouldKeepSpdLookupOrderSoAnEarlierBypassShadowsALaterDrop()
    {
        final String rules = filter.rules(policies(
            "src 192.0.2.0/24 dst 192.0.2.1 dir in priority 200 action block",
            "src 192.0.2.2 dst 192.0.2.1 proto tcp sport 1000-1100 dir in priority 100 action allow"));

        assertEquals(HEAD + ND +
            "    meta nfproto ipv4 ip saddr 192.0.2.2 ip daddr 192.0.2.1 meta l4proto 6 th sport 1000-1100 accept\n" +
            "    meta nfproto ipv4 ip saddr 192.0.2.0/24 ip daddr 192.0.2.1 counter name \"pol_block\" drop\n",
            rules);
    }

    @Test
    void shouldLetTheUdpCarrierPortThrough()
    {
        final InboundClearFilter udp = new InboundClearFilter(new NftCommand("/nonexistent/nft"), "esp4j0",
            new int[] { 4500 }, null);

        assertTrue(udp.rules(List.of()).contains("    udp dport 4500 accept\n"));
    }

    @Test
    void shouldNotExpressPortsOfAProtocolWithoutPorts() throws Exception
    {
        final TrafficSelector icmpType = TrafficSelector.builder().source(InetAddress.getByName(PCSCF))
            .protocol(TrafficSelector.PROTOCOL_ICMPV6).sourcePort(128).build();

        assertNull(InboundClearFilter.match(icmpType));
    }

    @Test
    void shouldReplaceTheWholeTableInOneTransaction()
    {
        final String script = filter.replaceScript("    accept\n");

        assertEquals("table inet esp4j_esp4j0\n" +
            "delete table inet esp4j_esp4j0\n" +
            "table inet esp4j_esp4j0 {\n" +
            "  counter tmpl_mismatch { }\n" +
            "  counter pol_block { }\n" +
            "  chain input {\n" +
            "    type filter hook input priority filter; policy accept;\n" +
            "    accept\n" +
            "  }\n" +
            "}\n", script);
    }

    @Test
    void shouldNameTheTableAfterTheTun()
    {
        assertEquals("esp4j_ims_ue_0", InboundClearFilter.tableName("ims-ue.0"));
    }

    @Test
    void shouldRefuseATunNameThatCannotBeQuotedInARule()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new InboundClearFilter(new NftCommand(), "bad\"name", new int[0], null));
    }

    @Test
    void shouldSeeNoNftWhereNoneRuns()
    {
        assertFalse(new NftCommand("/nonexistent/nft").available());
    }

    @Test
    void shouldFailWithNftsOwnWordsWhenTheTableIsRefused(@TempDir final Path dir) throws Exception
    {
        final NftCommand refusing = fakeNft(dir, "cat > /dev/null; echo 'Error: Could not process rule' >&2; exit 1");
        final InboundClearFilter filter = new InboundClearFilter(refusing, "esp4j0", new int[0], null);

        final IOException ex = assertThrows(IOException.class, () -> filter.sync(policies(PROTECTED_IN)));
        assertTrue(ex.getMessage().contains("Error: Could not process rule"), ex.getMessage());
    }

    @Test
    void shouldReturnOnlyTheDropsNewSinceTheLastPoll(@TempDir final Path dir) throws Exception
    {
        // a fake nft: takes any script, and answers "list counters" with the values in a file
        final Path values = dir.resolve("counters.txt");
        final NftCommand nft = fakeNft(dir, "if grep -q 'list counters'; then cat " + values + "; fi; exit 0");
        final InboundClearFilter filter = new InboundClearFilter(nft, "esp4j0", new int[0], null);
        filter.sync(policies(PROTECTED_IN));

        Files.writeString(values, counters(3, 1));
        assertEquals(new InboundClearFilter.Drops(3, 1), filter.pollDrops());
        Files.writeString(values, counters(5, 1));
        assertEquals(new InboundClearFilter.Drops(2, 0), filter.pollDrops());
        Files.writeString(values, counters(1, 0)); // reset behind our back: all it holds is new
        assertEquals(new InboundClearFilter.Drops(1, 0), filter.pollDrops());
    }

    @Test
    void shouldNotInstallATableWhileNothingIsToBeDropped(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts.txt");
        final NftCommand nft = fakeNft(dir, "cat >> " + scripts + "; exit 0");
        final InboundClearFilter filter = new InboundClearFilter(nft, "esp4j0", new int[0], null);

        filter.sync(policies("src " + PCSCF + " dst " + UE + " proto udp dport 5060 dir in action allow"));

        assertEquals("table inet esp4j_esp4j0\ndelete table inet esp4j_esp4j0\n", Files.readString(scripts));
        assertEquals(InboundClearFilter.Drops.NONE, filter.pollDrops());
    }

    private static final String PROTECTED_IN = "src " + PCSCF + " dst " + UE + " proto udp sport 5064 dport 5066 " +
        "dir in tmpl src " + PCSCF + " dst " + UE + " proto esp mode transport";

    private static String counters(final long templateMismatch, final long policyBlock)
    {
        return "table inet esp4j_esp4j0 {\n\tcounter tmpl_mismatch {\n\t\tpackets " + templateMismatch +
            " bytes 99\n\t}\n\tcounter pol_block {\n\t\tpackets " + policyBlock + " bytes 0\n\t}\n}\n";
    }

    private static NftCommand fakeNft(final Path dir, final String body) throws IOException
    {
        final Path script = dir.resolve("nft");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return new NftCommand(script.toString());
    }

    @Test
    void shouldNotPutTheTableBackAfterItWasRemoved(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts.txt");
        final InboundClearFilter filter = new InboundClearFilter(fakeNft(dir, "cat >> " + scripts + "; exit 0"),
            "esp4j0", new int[0], null);
        filter.remove();
        final String afterRemove = Files.readString(scripts);

        filter.sync(policies(PROTECTED_IN));

        assertEquals(afterRemove, Files.readString(scripts), "a sync after remove() ran nft");
    }
}
