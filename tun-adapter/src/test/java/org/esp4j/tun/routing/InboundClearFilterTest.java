package org.esp4j.tun.routing;

import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TrafficSelector;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
