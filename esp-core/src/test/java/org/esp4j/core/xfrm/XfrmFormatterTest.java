package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.spd.PolicyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.ZoneOffset;

import static org.esp4j.core.xfrm.XfrmStateParserTest.AES_KEY;
import static org.esp4j.core.xfrm.XfrmStateParserTest.ISSUE_LINE;
import static org.esp4j.core.xfrm.XfrmStateParserTest.MD5_KEY;
import static org.esp4j.core.xfrm.XfrmStateParserTest.SHA1_KEY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XfrmFormatterTest
{
    static final String AES_MD5_ESN_LINE = "src 203.0.113.10 dst 203.0.113.20 proto esp spi 3458785863 reqid 5 " +
        "flag esn auth hmac(md5) 0x" + MD5_KEY + " enc cbc(aes) 0x" + AES_KEY + " limit packet-hard 1000 " +
        "limit time-hard 3600";

    @Test
    void formatsStateLikeIpXfrmStateWithKeys()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(ISSUE_LINE);

        assertEquals(
            "src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0\n" +
            "\tproto esp spi 0x0008a23a reqid 0 mode transport\n" +
            "\treplay-window 64 \n" +
            "\tauth-trunc hmac(sha1) 0x" + SHA1_KEY + " 96\n" +
            "\tenc ecb(cipher_null) \n" +
            "\tsel src ::/0 dst ::/0 \n",
            XfrmFormatter.formatState(sa, true));
    }

    @Test
    void shouldFormatAnAeadStateWithOneAeadLineLikeIpXfrm()
    {
        final SaConfig sa = XfrmStateParser.parseAdd("src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0 proto esp " +
            "spi 0x0008a23a replay-window 64 aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + "a1b2c3d4 96");

        assertEquals(
            "src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0\n" +
            "\tproto esp spi 0x0008a23a reqid 0 mode transport\n" +
            "\treplay-window 64 \n" +
            "\taead rfc4106(gcm(aes)) 0x" + AES_KEY + "a1b2c3d4 96\n" +
            "\tsel src ::/0 dst ::/0 \n",
            XfrmFormatter.formatState(sa, true));
        final String stats = XfrmFormatter.formatState(sa, true, new SaStatsView(0, 0, 0, 0, 0, 0, 0), ZoneOffset.UTC);
        assertTrue(stats.contains("\n\taead rfc4106(gcm(aes)) 0x" + AES_KEY + "a1b2c3d4 (160 bits) 96\n"), stats);
        assertFalse(stats.contains("auth-trunc") || stats.contains("\tenc "), stats);
        final String hidden = XfrmFormatter.formatState(sa, false);
        assertTrue(hidden.contains("\n\taead rfc4106(gcm(aes)) <<Keys hidden>> 96\n"), hidden);
        assertFalse(hidden.contains(AES_KEY));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + "a1b2c3d4 64",
        "aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + AES_KEY + "a1b2c3d4 128 flag esn",
        "aead 'rfc4543(gcm(aes))' 0x" + AES_KEY + "a1b2c3d4 128 encap espinudp 4500 4500 0.0.0.0" })
    void shouldWriteAeadStateAddArgumentsThatParseBackToTheSameSa(final String algorithms)
    {
        final SaConfig sa = XfrmStateParser.parseAdd("src 203.0.113.10 dst 203.0.113.20 proto esp spi 0x1000 " +
            algorithms);

        final String args = XfrmFormatter.toStateAddArgs(sa, true);
        final SaConfig back = XfrmStateParser.parseAdd(args);

        assertEquals(sa.toString(), back.toString());
        assertArrayEquals(sa.encryptionKey(), back.encryptionKey());
        assertEquals(sa.icvLengthBits(), back.icvLengthBits());
        assertTrue(args.contains(" aead '" + sa.encryptionAlgorithm().xfrmName() + "' 0x"), args);
        assertFalse(args.contains("auth-trunc") || args.contains(" enc "), args);
        assertFalse(XfrmFormatter.toStateAddArgs(sa, false).contains(AES_KEY), "keys hidden unless asked");
    }

    @Test
    void hidesKeysByDefaultLikeNokeys()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(AES_MD5_ESN_LINE);

        final String text = XfrmFormatter.formatState(sa, false);

        assertEquals(
            "src 203.0.113.10 dst 203.0.113.20\n" +
            "\tproto esp spi 0xce28e247 reqid 5 mode transport\n" +
            "\treplay-window 64 flag esn\n" +
            "\tauth-trunc hmac(md5) <<Keys hidden>> 96\n" +
            "\tenc cbc(aes) <<Keys hidden>>\n" +
            "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n",
            text);
        assertFalse(text.contains(MD5_KEY));
        assertFalse(text.contains(AES_KEY));
    }

    @Test
    void formatsFlagIcmpLikeIpXfrmAndWritesItBack()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(AES_MD5_ESN_LINE + " flag icmp");

        assertTrue(XfrmFormatter.formatState(sa, false).contains("\n\treplay-window 64 flag icmp esn\n"));
        final String stats = XfrmFormatter.formatState(sa, true, new SaStatsView(0, 0, 0, 0, 0, 0, 0), ZoneOffset.UTC);
        assertTrue(stats.contains("\n\treplay-window 64 seq 0x00000000 flag icmp esn (0x10010000)\n"), stats);
        final SaConfig back = XfrmStateParser.parseAdd(XfrmFormatter.toStateAddArgs(sa, true));
        assertTrue(back.icmp());
        assertTrue(back.esn());
        final SaConfig icmpOnly = XfrmStateParser.parseAdd(ISSUE_LINE + " flag icmp");
        assertTrue(XfrmFormatter.formatState(icmpOnly, false).contains("\n\treplay-window 64 flag icmp\n"));
    }

    @Test
    void formatsStatsLikeIpDashS()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(AES_MD5_ESN_LINE);
        final SaStatsView stats = new SaStatsView(1500, 10, 1, 2, 3, 1795586400L, 0);

        assertEquals(
            "src 203.0.113.10 dst 203.0.113.20\n" +
            "\tproto esp spi 0xce28e247(3458785863) reqid 5(0x00000005) mode transport\n" +
            "\treplay-window 64 seq 0x00000000 flag esn (0x10000000)\n" +
            "\tauth-trunc hmac(md5) 0x" + MD5_KEY + " (128 bits) 96\n" +
            "\tenc cbc(aes) 0x" + AES_KEY + " (128 bits)\n" +
            "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0\n" +
            "\tlifetime config:\n" +
            "\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n" +
            "\t  limit: soft (INF)(packets), hard 1000(packets)\n" +
            "\t  expire add: soft 0(sec), hard 3600(sec)\n" +
            "\t  expire use: soft 0(sec), hard 0(sec)\n" +
            "\tlifetime current:\n" +
            "\t  1500(bytes), 10(packets)\n" +
            "\t  add 2026-11-25 06:00:00 use -\n" +
            "\tstats:\n" +
            "\t  replay-window 1 replay 2 failed 3\n",
            XfrmFormatter.formatState(sa, true, stats, ZoneOffset.UTC));
    }

    @Test
    void formatsSelectorAndEncap()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(ISSUE_LINE +
            " sel src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0/128 proto udp sport 50718 dport 38003" +
            " encap espinudp 4500 4500 ::");

        assertEquals(
            "src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0\n" +
            "\tproto esp spi 0x0008a23a reqid 0 mode transport\n" +
            "\treplay-window 64 \n" +
            "\tauth-trunc hmac(sha1) <<Keys hidden>> 96\n" +
            "\tenc ecb(cipher_null) <<Keys hidden>>\n" +
            "\tencap type espinudp sport 4500 dport 4500 addr ::\n" +
            "\tsel src 2001:0:0:1::2/128 dst 2001::1:d1ae:bb37:d9c9:81d0/128 proto udp sport 50718 dport 38003 \n",
            XfrmFormatter.formatState(sa, false));
    }

    @Test
    void writesStateAddArgumentsThatCanBePastedIntoAShell()
    {
        assertEquals("src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0 proto esp spi 0x0008a23a reqid 0 " +
            "mode transport replay-window 64 auth-trunc 'hmac(sha1)' 0x" + SHA1_KEY + " 96 enc 'ecb(cipher_null)' \"\"",
            XfrmFormatter.toStateAddArgs(XfrmStateParser.parseAdd(ISSUE_LINE), true));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        ISSUE_LINE,
        AES_MD5_ESN_LINE,
        "src 192.0.2.1 dst 192.0.2.2 proto esp spi 2821032177 reqid 4294967295 replay-window 0 " +
            "auth-trunc 'hmac(sha256)' 0x1111111111111111111111111111111111111111111111111111111111111111 96 " +
            "enc des3_ede 0x000102030405060708090a0b0c0d0e0f1011121314151617 " +
            "sel src 192.0.2.0/24 dst 0.0.0.0/0 proto tcp dport 5060 " +
            "limit time-soft 10 limit time-use-soft 20 limit time-use-hard 30 limit byte-soft 40 " +
            "limit byte-hard 50 limit packet-soft 60 encap espinudp 4500 4500 0.0.0.0",
        "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x100 auth sha1 'twenty-byte-key-1234' enc cipher_null '' " +
            "sel proto ipv6-icmp",
        "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x100 auth sha1 0x" + SHA1_KEY + " enc cipher_null '' " +
            "sel src ::/0 dst 2001:db8::/32" })
    void roundTripsThroughTheParser(final String line)
    {
        final SaConfig first = XfrmStateParser.parseAdd(line);
        final String args = XfrmFormatter.toStateAddArgs(first, true);
        final SaConfig second = XfrmStateParser.parseAdd(args);

        assertEquals(args, XfrmFormatter.toStateAddArgs(second, true));
        assertEquals(XfrmFormatter.formatState(first, true), XfrmFormatter.formatState(second, true));
        assertEquals(first.selector(), second.selector());
        assertEquals(first.lifetime(), second.lifetime());
        assertEquals(first.spi(), second.spi());
        assertArrayEquals(first.integrityKey(), second.integrityKey());
        assertArrayEquals(first.encryptionKey(), second.encryptionKey());
    }

    @Test
    void argumentsWithoutKeysDoNotParseAndDoNotLeak()
    {
        final String args = XfrmFormatter.toStateAddArgs(XfrmStateParser.parseAdd(AES_MD5_ESN_LINE), false);

        assertFalse(args.contains(MD5_KEY));
        assertFalse(args.contains(AES_KEY));
        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class, () -> XfrmStateParser.parseAdd(args));
        assertEquals("<key>", ex.tokenText());
    }

    @Test
    void formatsPolicyLikeIpXfrmPolicy()
    {
        final PolicyConfig protect = XfrmPolicyParser.parseAdd("src 2001:db8::1/128 dst 2001:db8::2/128 proto udp " +
            "sport 5060 dport 5062 dir out priority 100 tmpl src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x100 " +
            "reqid 5 mode transport level use");

        assertEquals(
            "src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062 \n" +
            "\tdir out priority 100 \n" +
            "\ttmpl src 2001:db8::1 dst 2001:db8::2\n" +
            "\t\tproto esp spi 0x00000100 reqid 5 mode transport\n" +
            "\t\tlevel use \n",
            XfrmFormatter.formatPolicy(protect));

        final PolicyConfig discard = XfrmPolicyParser.parseAdd("src 192.0.2.0/24 dst 0.0.0.0/0 dir in action block");
        assertEquals(
            "src 192.0.2.0/24 dst 0.0.0.0/0 \n" +
            "\tdir in action block priority 0 \n",
            XfrmFormatter.formatPolicy(discard));

        final PolicyConfig anyTemplate = XfrmPolicyParser.parseAdd("src ::/0 dst ::/0 dir in tmpl proto esp");
        assertEquals(
            "src ::/0 dst ::/0 \n" +
            "\tdir in priority 0 \n" +
            "\ttmpl src :: dst ::\n" +
            "\t\tproto esp reqid 0 mode transport\n",
            XfrmFormatter.formatPolicy(anyTemplate));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062 dir out priority 100 " +
            "tmpl src 2001:db8::1 dst 2001:db8::2 proto esp spi 0xce28e247 reqid 5 mode transport level use",
        "src 192.0.2.0/24 dst 0.0.0.0/0 proto tcp sport 1000-2000 dir in index 9 action block",
        "dir fwd priority 4294967295",
        "src 2001:db8::/64 dst ::/0 proto udp dport 500 dir in action allow" })
    void policyRoundTripsThroughTheParser(final String line)
    {
        final PolicyConfig first = XfrmPolicyParser.parseAdd(line);
        final PolicyConfig second = XfrmPolicyParser.parseAdd(XfrmFormatter.toPolicyAddArgs(first));

        assertEquals(first, second);
        assertEquals(XfrmFormatter.formatPolicy(first), XfrmFormatter.formatPolicy(second));
    }

    @Test
    void shouldRoundSubSecondAndFractionalTimeLimitsUpToWholeSecondsNeverToZero()
    {
        // ip xfrm takes whole seconds and reads 0 as "no limit": 0.3 s must not become 0, and no limit is shortened
        final SaConfig sa = XfrmStateParser.parseAdd(ISSUE_LINE).toBuilder()
            .lifetime(SaLifetimeConfig.builder()
                .softAddExpiresNs(300_000_000L)
                .hardAddExpiresNs(1_500_000_000L)
                .softUseExpiresNs(2_000_000_000L)
                .hardUseExpiresNs(1L)
                .build())
            .build();

        final String args = XfrmFormatter.toStateAddArgs(sa, false);
        assertTrue(args.endsWith(
            " limit time-soft 1 limit time-hard 2 limit time-use-soft 2 limit time-use-hard 1"), args);
        assertTrue(XfrmFormatter.formatLifetimeConfig(sa.lifetime()).contains(
            "expire add: soft 1(sec), hard 2(sec)\n\t  expire use: soft 2(sec), hard 1(sec)"),
            XfrmFormatter.formatLifetimeConfig(sa.lifetime()));
    }
}
