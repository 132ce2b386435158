package org.esp4j.core.xfrm;

import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XfrmPolicyParserTest
{
    static final String PROTECT = "src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062 " +
        "dir out priority 100 tmpl src 2001:db8::1 dst 2001:db8::2 proto esp spi 2821032177 reqid 5 mode transport";

    @Test
    void allowWithTemplateIsProtect() throws Exception
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(PROTECT);

        assertEquals(PolicyAction.PROTECT, policy.action());
        assertEquals(PolicyDirection.OUT, policy.direction());
        assertEquals(100, policy.priority());
        final TrafficSelector selector = policy.selector();
        assertEquals(InetAddress.getByName("2001:db8::1"), selector.sourceAddress());
        assertEquals(128, selector.sourcePrefixLength());
        assertEquals(17, selector.protocol());
        assertEquals(5060, selector.sourcePortLow());
        assertEquals(5062, selector.destinationPortHigh());
        assertTrue(selector.isExact());
        assertEquals(1, policy.templates().size());
        final TemplateConfig template = policy.templates().get(0);
        assertEquals(InetAddress.getByName("2001:db8::2"), template.destination());
        assertEquals(2821032177L, template.spi());
        assertEquals(5, template.reqid());
        assertEquals(false, template.optional());
    }

    @Test
    void allowWithoutTemplateIsBypass()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd("src 0.0.0.0/0 dst 0.0.0.0/0 proto udp dport 500 " +
            "dir in action allow");

        assertEquals(PolicyAction.BYPASS, policy.action());
        assertEquals(4, policy.selector().family());
        assertNull(policy.selector().sourceAddress());
        assertEquals(500, policy.selector().destinationPortLow());
        assertEquals(500, policy.selector().destinationPortHigh());
        assertEquals(0, policy.selector().sourcePortLow());
        assertEquals(65535, policy.selector().sourcePortHigh());
    }

    @Test
    void blockIsDiscard()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd("src 2001:db8::/64 dst ::/0 dir fwd action block " +
            "index 12");

        assertEquals(PolicyAction.DISCARD, policy.action());
        assertEquals(PolicyDirection.FWD, policy.direction());
        assertEquals(12, policy.index());
        assertEquals(64, policy.selector().sourcePrefixLength());
    }

    @Test
    void portRangesAreAnExtension()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd("src 192.0.2.1 dst 192.0.2.2 proto tcp " +
            "sport 1000-2000 dport 0 dir out");

        assertEquals(1000, policy.selector().sourcePortLow());
        assertEquals(2000, policy.selector().sourcePortHigh());
        assertEquals(0, policy.selector().destinationPortLow());
        assertEquals(65535, policy.selector().destinationPortHigh());
    }

    @Test
    void templateDefaultsAndLevelUse()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd("dir in tmpl src :: dst :: proto esp spi 0 level use");
        final TemplateConfig template = policy.templates().get(0);

        assertNull(template.source());
        assertNull(template.destination());
        assertEquals(TemplateConfig.ANY_SPI, template.spi());
        assertTrue(template.optional());
        assertEquals(TrafficSelector.any(), policy.selector());
    }

    @Test
    void parsesDeleteAndGetIds()
    {
        final XfrmPolicyId bySelector = XfrmPolicyParser.parseId("src 2001:db8::1/128 dst 2001:db8::2/128 proto udp " +
            "sport 5060 dport 5062 dir out");
        assertEquals(PolicyDirection.OUT, bySelector.direction());
        assertEquals(XfrmPolicyParser.parseAdd(PROTECT).selector(), bySelector.selector());

        final XfrmPolicyId byIndex = XfrmPolicyParser.parseId("index 7 dir in");
        assertTrue(byIndex.byIndex());
        assertEquals(7, byIndex.index());

        assertEquals("token 3 'index': index and a selector are exclusive",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmPolicyParser.parseId("src 192.0.2.1 index 7 dir in")).getMessage());
        assertEquals("token 5 'tmpl': unknown keyword for ip xfrm policy delete|get (SELECTOR dir DIR | " +
            "index INDEX dir DIR)",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmPolicyParser.parseId("src 192.0.2.1 dir in tmpl proto esp")).getMessage());
    }

    @Test
    void errors()
    {
        assertError("missing dir", "src 192.0.2.1 dst 192.0.2.2");
        assertError("token 6 'sideways': invalid dir: in, out or fwd", "src 192.0.2.1 dst 192.0.2.2 dir sideways");
        assertError("token 7 'dir': duplicate dir", "src 192.0.2.1 dst 192.0.2.2 dir in dir out");
        assertError("token 5 'tmpl': action block takes no tmpl", "dir out action block tmpl proto esp");
        assertError("token 7 'tunnel': mode tunnel is not supported: transport only",
            "dir out tmpl proto esp mode tunnel");
        assertError("token 3 'tmpl': missing proto esp in tmpl", "dir out tmpl reqid 5");
        assertError("token 3 'tmpl': missing template after 'tmpl' (proto esp ...)", "dir out tmpl priority 3");
        assertError("token 5 'ah': tmpl proto must be esp", "dir out tmpl proto ah");
        assertError("token 6 'src': duplicate tmpl src", "dir out tmpl src 192.0.2.1 src 192.0.2.2 proto esp");
        assertError("token 2 'permit': invalid action: allow or block", "action permit dir in");
        assertError("token 5 'bogus': unknown keyword for ip xfrm policy add", "src 192.0.2.1 dir in bogus 1");
        assertError("token 6 '70000': invalid port: 0..65535 or a range LOW-HIGH",
            "src 192.0.2.1 proto udp sport 70000 dir in");
        assertError("token 6 '2000-1000': invalid port range: LOW-HIGH within 0..65535, LOW <= HIGH",
            "src 192.0.2.1 proto udp sport 2000-1000 dir in");
        assertError("token 2 '192.0.2.1/33': invalid selector source prefix: prefix length must be 0..32",
            "src 192.0.2.1/33 dir in");
        assertError("token 3 'sport': sport and dport need proto tcp, udp, sctp or dccp", "src ::/0 sport 5 dir in");
        assertError("token 3 'flag': 'flag' is not supported", "dir in flag localok");
    }

    private static void assertError(final String expected, final String line)
    {
        assertEquals(expected, assertThrows(XfrmSyntaxException.class, () -> XfrmPolicyParser.parseAdd(line))
            .getMessage());
    }
}
