package org.esp4j.tun.routing;

import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.tun.SpdSteps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

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
        "nd-neighbor-advert, nd-redirect } accept\n" +
        "    ip saddr . ip daddr . meta l4proto . th sport . th dport @accept4 accept\n" +
        "    ip saddr . ip daddr . meta l4proto . th sport . th dport @mismatch4 counter name \"tmpl_mismatch\" drop\n" +
        "    ip saddr . ip daddr . meta l4proto . th sport . th dport @block4 counter name \"pol_block\" drop\n" +
        "    ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @accept6 accept\n" +
        "    ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @mismatch6 counter name \"tmpl_mismatch\" drop\n" +
        "    ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @block6 counter name \"pol_block\" drop\n";
    private static final String UE_KEY = "2001:0:0:1:0:0:0:2 . 2001:0:0:1:d1ae:bb37:d9c9:81d0";

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
    void shouldDropClearPacketsOfAnExactProtectInPolicyAsTemplateMismatchThroughItsSet()
    {
        final InboundClearFilter.Content content = filter.content(policies(
            "src " + PCSCF + " dst " + UE + " proto udp sport 5064 dport 5066 dir in tmpl src " + PCSCF + " dst " + UE +
            " proto esp spi 565817 mode transport"));

        assertEquals(HEAD + ND, content.rules(), "an exact selector needs no rule of its own");
        assertEquals(Map.of(UE_KEY + " . 17 . 5064 . 5066", "mismatch"), content.exact6());
        assertEquals(Map.of(), content.exact4());
        assertTrue(content.drops());
    }

    @Test
    void shouldIgnoreOutPoliciesAndAcceptBypassAndOptionalTemplates()
    {
        final InboundClearFilter.Content content = filter.content(policies(
            "src " + UE + " dst " + PCSCF + " proto udp dport 5066 dir out tmpl src " + UE + " dst " + PCSCF +
                " proto esp mode transport",
            "src " + PCSCF + " dst " + UE + " proto udp dport 5060 dir in priority 10 action allow",
            "src " + PCSCF + " dst " + UE + " proto tcp sport 5064 dport 5066 dir in priority 20 tmpl src " + PCSCF +
                " dst " + UE + " proto esp mode transport level use"));

        assertEquals(HEAD + ND +
            "    meta nfproto ipv6 ip6 saddr 2001:0:0:1:0:0:0:2 ip6 daddr 2001:0:0:1:d1ae:bb37:d9c9:81d0 " +
            "meta l4proto 17 th dport 5060 accept\n", content.rules());
        assertEquals(Map.of(UE_KEY + " . 6 . 5064 . 5066", "accept"), content.exact6());
        assertFalse(content.drops(), "nothing to drop: no table");
    }

    @Test
    void shouldGiveAnExactTupleTheVerdictOfAnEarlierWildcardThatCoversIt()
    {
        // the 5060 bypass (priority 10) comes first in lookup order and covers the exact protect policy's tuple
        final InboundClearFilter.Content content = filter.content(policies(
            "src " + PCSCF + " dst " + UE + " proto udp sport 5060 dport 5066 dir in priority 100 tmpl src " + PCSCF +
                " dst " + UE + " proto esp mode transport",
            "src " + PCSCF + " dst " + UE + " proto udp dport 5066 dir in priority 200 action block",
            "src " + PCSCF + " dst " + UE + " proto udp sport 5060 dir in priority 10 action allow",
            "src 192.0.2.1 dst 192.0.2.2 proto tcp sport 1 dport 2 dir in priority 300 action block"));

        assertEquals(Map.of(UE_KEY + " . 17 . 5060 . 5066", "accept"), content.exact6());
        assertEquals(Map.of("192.0.2.1 . 192.0.2.2 . 6 . 1 . 2", "block"), content.exact4());
        assertEquals(HEAD + ND +
            "    meta nfproto ipv6 ip6 saddr 2001:0:0:1:0:0:0:2 ip6 daddr 2001:0:0:1:d1ae:bb37:d9c9:81d0 " +
            "meta l4proto 17 th sport 5060 accept\n" +
            "    meta nfproto ipv6 ip6 saddr 2001:0:0:1:0:0:0:2 ip6 daddr 2001:0:0:1:d1ae:bb37:d9c9:81d0 " +
            "meta l4proto 17 th dport 5066 counter name \"pol_block\" drop\n", content.rules());
    }

    @Test
    void shouldLetAnExactPolicyOfBetterPriorityWinOverALaterWildcard()
    {
        final InboundClearFilter.Content content = filter.content(policies(
            "src " + PCSCF + " dst " + UE + " proto udp sport 5060 dir in priority 10 action allow",
            "src " + PCSCF + " dst " + UE + " proto udp sport 5060 dport 5066 dir in priority 5 tmpl src " + PCSCF +
                " dst " + UE + " proto esp mode transport"));

        assertEquals(Map.of(UE_KEY + " . 17 . 5060 . 5066", "mismatch"), content.exact6());
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
            .protocol(IpProtocol.ICMPV6).sourcePort(128).build();

        assertNull(InboundClearFilter.match(icmpType));
    }

    @Test
    void shouldReplaceTheWholeTableInOneTransaction()
    {
        final String script = filter.replaceScript(new InboundClearFilter.Content("    accept\n",
            Map.of("192.0.2.1 . 192.0.2.2 . 17 . 1 . 2", "accept"), Map.of(), true));

        assertEquals("table inet esp4j_esp4j0\n" +
            "delete table inet esp4j_esp4j0\n" +
            "table inet esp4j_esp4j0 {\n" +
            "  counter tmpl_mismatch { }\n" +
            "  counter pol_block { }\n" +
            "  set accept4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service; }\n" +
            "  set mismatch4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service; }\n" +
            "  set block4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service; }\n" +
            "  set accept6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service; }\n" +
            "  set mismatch6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service; }\n" +
            "  set block6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service; }\n" +
            "  chain input {\n" +
            "    type filter hook input priority filter; policy accept;\n" +
            "    accept\n" +
            "  }\n" +
            "}\n" +
            "add element inet esp4j_esp4j0 accept4 { 192.0.2.1 . 192.0.2.2 . 17 . 1 . 2 }\n", script);
    }

    @Test
    void shouldChangeOnlyTheElementsThatDifferAndKeepTheRules()
    {
        final List<SecurityPolicy> before = policies(protectedIn(5064), protectedIn(5065), protectedIn(5066));
        final List<SecurityPolicy> after = policies(protectedIn(5064),
            "src " + PCSCF + " dst " + UE + " proto udp sport 5066 dport 5066 dir in action block", protectedIn(5067));

        final String script = filter.updateScript(filter.content(before), filter.content(after));

        assertEquals("delete element inet esp4j_esp4j0 mismatch6 { " + UE_KEY + " . 17 . 5065 . 5066, " + UE_KEY +
            " . 17 . 5066 . 5066 }\n" +
            "add element inet esp4j_esp4j0 mismatch6 { " + UE_KEY + " . 17 . 5067 . 5066 }\n" +
            "add element inet esp4j_esp4j0 block6 { " + UE_KEY + " . 17 . 5066 . 5066 }\n", script,
            "5066 moves from the mismatch set to the block set in the same transaction");
    }

    @Test
    void shouldRewriteTheOrderedRulesInTheSameTransactionWhenAWildcardPolicyChanges()
    {
        final List<SecurityPolicy> before = policies(protectedIn(5064));
        final List<SecurityPolicy> after = policies(protectedIn(5064),
            "src 192.0.2.0/24 dst 192.0.2.1 dir in priority 200 action block");

        final String script = filter.updateScript(filter.content(before), filter.content(after));

        assertEquals("flush chain inet esp4j_esp4j0 input\n" +
            "add rule inet esp4j_esp4j0 input meta l4proto esp accept\n" +
            "add rule inet esp4j_esp4j0 input iifname \"esp4j0\" accept\n" +
            "add rule inet esp4j_esp4j0 input iif \"lo\" accept\n" +
            "add rule inet esp4j_esp4j0 input icmpv6 type { nd-router-solicit, nd-router-advert, " +
            "nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } accept\n" +
            exactRules("add rule inet esp4j_esp4j0 input ") +
            "add rule inet esp4j_esp4j0 input meta nfproto ipv4 ip saddr 192.0.2.0/24 ip daddr 192.0.2.1 " +
            "counter name \"pol_block\" drop\n", script);
    }

    @Test
    void shouldBatchPoliciesThatArriveTogetherIntoOneNftRunAndSkipUnchangedLists(@TempDir final Path dir)
        throws Exception
    {
        final Path scripts = dir.resolve("scripts.txt");
        final List<String> log = new java.util.ArrayList<>();
        final InboundClearFilter filter = recordingFilter(dir, scripts, log::add);
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        spd.add(XfrmPolicyParser.parseAdd(protectedIn(5064)));
        filter.sync(spd.list());
        final List<SecurityPolicy> same = spd.list();
        filter.sync(same);
        filter.sync(same);
        spd.add(XfrmPolicyParser.parseAdd(protectedIn(5065)));
        spd.add(XfrmPolicyParser.parseAdd(protectedIn(5066)));
        filter.sync(spd.list());

        final String[] runs = Files.readString(scripts).split("---\n");
        assertEquals(2, runs.length, "one full install, then one run for both new policies");
        assertTrue(runs[0].startsWith("table inet esp4j_esp4j0\ndelete table inet esp4j_esp4j0\n"), runs[0]);
        assertEquals("add element inet esp4j_esp4j0 mismatch6 { " + UE_KEY + " . 17 . 5065 . 5066, " + UE_KEY +
            " . 17 . 5066 . 5066 }\n", runs[1]);
        assertEquals(List.of("inbound filter esp4j_esp4j0: 1 exact selector element(s), 0 ordered rule(s)"), log,
            "the full install is logged, element changes are not");
    }

    /** @return the six set lookups of the input chain, each line starting with {@code prefix}. */
    private static String exactRules(final String prefix)
    {
        return ND.substring(ND.indexOf('\n') + 1).replace("    ip", prefix + "ip");
    }

    /** The SPD's changes since {@code from}, in order, handed to {@link InboundClearFilter#change}. */
    private static boolean change(final InboundClearFilter filter, final SecurityPolicyDatabase spd, final long from)
        throws IOException
    {
        final List<SecurityPolicy> changed = new java.util.ArrayList<>();
        final List<Boolean> added = new java.util.ArrayList<>();
        assertEquals(spd.changeCount(), spd.changesSince(from, (policy, isAdded) ->
        {
            changed.add(policy);
            added.add(isAdded);
        }));
        return filter.change(changed, added);
    }

    private static String exactIn(final int ue, final int port, final int priority, final boolean discard)
    {
        final String source = "2001:db8:" + (ue % 2 == 0 ? "9" : "7") + "::" + Integer.toHexString(ue);
        return "src " + source + " dst " + PCSCF + " proto udp sport " + port + " dport 5064 dir in priority " +
            priority + (discard ? " action block" : " tmpl src " + source + " dst " + PCSCF +
            " proto esp mode transport");
    }

    @Test
    void shouldChangeElementByElementToWhatTheWholeSyncWouldInstall(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts.txt");
        final InboundClearFilter filter = recordingFilter(dir, scripts, null);
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        spd.add(XfrmPolicyParser.parseAdd(protectedIn(5064)));
        // a bypass for the even UEs' prefix between the two priorities the exact policies take
        spd.add(XfrmPolicyParser.parseAdd("src 2001:db8:9::/64 dst " + PCSCF + "/128 proto udp dir in priority 10"));
        filter.sync(spd.list());
        final java.util.Random random = new java.util.Random(17);
        int elementRuns = 0;
        for (int i = 0; i < 300; i++)
        {
            final long from = spd.changeCount();
            for (int n = random.nextInt(3); n >= 0; n--)
            {
                final var config = XfrmPolicyParser.parseAdd(exactIn(1 + random.nextInt(6), 5100 + random.nextInt(3),
                    random.nextBoolean() ? 0 : 20, random.nextInt(4) == 0));
                SpdSteps.randomStep(spd, config, random);
            }
            final int before = Files.exists(scripts) ? Files.readString(scripts).split("---\n").length : 0;

            assertTrue(change(filter, spd, from), "exact policies change element by element");

            final int after = Files.readString(scripts).split("---\n").length;
            assertTrue(after - before <= 1, "one nft run per change");
            elementRuns += after - before;
            filter.sync(spd.list());
            assertEquals(after, Files.readString(scripts).split("---\n").length,
                "the whole sync finds nothing to change: the elements are what it would install");
        }
        assertTrue(elementRuns > 100, "runs: " + elementRuns);
        assertTrue(Files.readString(scripts).split("---\n")[elementRuns].matches("(?s)(delete|add) element .*"));
    }

    @Test
    void shouldLeaveToTheWholeSyncAChangedWildcardAndTheLastDropVerdict(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts.txt");
        final InboundClearFilter filter = recordingFilter(dir, scripts, null);
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        assertFalse(filter.change(List.of(), List.of()), "nothing installed yet");
        spd.add(XfrmPolicyParser.parseAdd(protectedIn(5064)));
        filter.sync(spd.list());

        long from = spd.changeCount();
        spd.add(XfrmPolicyParser.parseAdd("src 2001:db8:9::/64 dst " + PCSCF + "/128 proto udp dir in"));
        assertFalse(change(filter, spd, from), "a wildcard policy changes the ordered rules");
        filter.sync(spd.list());

        from = spd.changeCount();
        spd.delete(XfrmPolicyParser.parseAdd(protectedIn(5064)).selector(),
            XfrmPolicyParser.parseAdd(protectedIn(5064)).direction());
        assertFalse(change(filter, spd, from), "no drop verdict left: the table goes");
        assertEquals(2, Files.readString(scripts).split("---\n").length,
            "nothing run by the refused changes (the first install and the wildcard's sync only)");
    }

    @Test
    void shouldReplaceTheWholeTableWhenNftRefusesAnIncrementalChange(@TempDir final Path dir) throws Exception
    {
        // a fake nft that refuses element changes (as when the table was changed behind the daemon)
        final Path scripts = dir.resolve("scripts.txt");
        final NftCommand nft = fakeNft(dir, "s=$(cat); echo \"$s\" >> " + scripts + "; echo --- >> " + scripts +
            "; case \"$s\" in add*|delete\\ element*) echo 'Error: No such file or directory' >&2; exit 1;; esac");
        final InboundClearFilter filter = new InboundClearFilter(nft, (t, n) -> 0, "esp4j0", new int[0], null);
        filter.sync(policies(protectedIn(5064)));

        filter.sync(policies(protectedIn(5064), protectedIn(5065)));

        final String[] runs = Files.readString(scripts).split("---\n");
        assertEquals(3, runs.length);
        assertTrue(runs[1].startsWith("add element"), runs[1]);
        assertTrue(runs[2].startsWith("table inet esp4j_esp4j0\ndelete table inet esp4j_esp4j0\n"), runs[2]);
        assertTrue(runs[2].contains("mismatch6 { " + UE_KEY + " . 17 . 5064 . 5066, " + UE_KEY + " . 17 . 5065 . 5066 }"),
            runs[2]);
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
        final long[] values = new long[2];
        final InboundClearFilter filter = new InboundClearFilter(fakeNft(dir, "cat > /dev/null"),
            (table, name) -> InboundClearFilter.TEMPLATE_MISMATCH_COUNTER.equals(name) ? values[0] : values[1],
            "esp4j0", new int[0], null);
        filter.sync(policies(PROTECTED_IN));

        values[0] = 3;
        values[1] = 1;
        assertEquals(new InboundClearFilter.Drops(3, 1), filter.pollDrops());
        values[0] = 5;
        assertEquals(new InboundClearFilter.Drops(2, 0), filter.pollDrops());
        values[0] = 1;
        values[1] = 0; // reset behind our back: all it holds is new
        assertEquals(new InboundClearFilter.Drops(1, 0), filter.pollDrops());
    }

    @Test
    void shouldReinstallATableDeletedBehindItsBack(@TempDir final Path dir) throws Exception
    {
        final Path scripts = dir.resolve("scripts.txt");
        final long[] packets = { 0 };
        final InboundClearFilter filter = new InboundClearFilter(fakeNft(dir, "cat >> " + scripts),
            (table, name) -> packets[0], "esp4j0", new int[0], null);
        final List<SecurityPolicy> policies = policies(PROTECTED_IN);
        filter.sync(policies);
        packets[0] = NftNamedCounter.MISSING;

        assertThrows(IOException.class, filter::pollDrops);
        Files.delete(scripts);
        filter.sync(policies);

        assertTrue(Files.readString(scripts).startsWith("table inet esp4j_esp4j0\ndelete table inet esp4j_esp4j0\n"));
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

    private static String protectedIn(final int sourcePort)
    {
        return "src " + PCSCF + " dst " + UE + " proto udp sport " + sourcePort + " dport 5066 dir in tmpl src " +
            PCSCF + " dst " + UE + " proto esp mode transport";
    }

    /** A filter whose nft appends each script it runs to {@code scripts}, followed by a {@code ---} line. */
    private static InboundClearFilter recordingFilter(
        final Path dir, final Path scripts, final java.util.function.Consumer<String> log) throws IOException
    {
        return new InboundClearFilter(
            fakeNft(dir, "cat >> " + scripts + "; echo --- >> " + scripts), "esp4j0", new int[0], log);
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
