package org.esp4j.core.xfrm;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XfrmStateParserTest
{
    static final String SHA1_KEY = "f769bcd751044604127672711c6d344100000000";
    static final String MD5_KEY = "f769bcd751044604127672711c6d3441";
    static final String AES_KEY = "b40ba9a3c58b2a05bbf0d987b21bf8cb";

    /** The issue's example: P-CSCF to UE, NULL encryption, HMAC-SHA-1-96 with TS 33.203's IK || 0^32 key. */
    static final String ISSUE_LINE = "src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0 proto esp spi 0x0008a23a " +
        "mode transport replay-window 64 auth-trunc 'hmac(sha1)' 0x" + SHA1_KEY + " 96 enc 'ecb(cipher_null)' \"\"";

    @Test
    void parsesTheIssueExample() throws Exception
    {
        final SaConfig sa = XfrmStateParser.parseAdd(ISSUE_LINE);

        assertEquals(InetAddress.getByName("2001:0:0:1::2"), sa.source());
        assertEquals(InetAddress.getByName("2001::1:d1ae:bb37:d9c9:81d0"), sa.destination());
        assertEquals(565818, sa.spi());
        assertEquals("0x0008a23a", sa.spiHex());
        assertEquals(0, sa.reqid());
        assertEquals(64, sa.replayWindowSize());
        assertFalse(sa.esn());
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, sa.integrityAlgorithm());
        assertArrayEquals(HexFormat.of().parseHex(SHA1_KEY), sa.integrityKey());
        assertEquals(96, sa.icvLengthBits());
        assertEquals(EncryptionAlgorithm.NULL, sa.encryptionAlgorithm());
        assertArrayEquals(new byte[0], sa.encryptionKey());
        assertEquals(TrafficSelector.any(), sa.selector());
        assertEquals(SaLifetimeConfig.UNLIMITED, sa.lifetime());
        assertEquals(SaConfig.Encapsulation.NONE, sa.encapsulation());
    }

    @Test
    void parsesAuthWithTheRfcIcvLengthAndAesCbc()
    {
        final SaConfig sa = XfrmStateParser.parseAdd("src 203.0.113.10 dst 203.0.113.20 proto esp spi 2821032177 " +
            "reqid 7 auth hmac(md5) 0x" + MD5_KEY + " enc 'cbc(aes)' 0x" + AES_KEY);

        assertEquals(2821032177L, sa.spi());
        assertEquals("0xa82588f1", sa.spiHex());
        assertEquals(7, sa.reqid());
        assertEquals(IntegrityAlgorithm.HMAC_MD5_96, sa.integrityAlgorithm());
        assertEquals(96, sa.icvLengthBits());
        assertEquals(EncryptionAlgorithm.AES_CBC, sa.encryptionAlgorithm());
        assertArrayEquals(HexFormat.of().parseHex(AES_KEY), sa.encryptionKey());
        assertTrue(sa.isIpv4());
    }

    @Test
    void hmacSha256UsesRfc4868IcvLength()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(line("auth 'hmac(sha256)' 0x" + "11".repeat(32) +
            " enc cipher_null \"\""));

        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, sa.integrityAlgorithm());
        assertEquals(128, sa.icvLengthBits());
    }

    @ParameterizedTest
    @CsvSource({
        "hmac(sha1), HMAC_SHA1_96",
        "hmac-sha-1-96, HMAC_SHA1_96",
        "sha1, HMAC_SHA1_96",
        "hmac(md5), HMAC_MD5_96",
        "hmac-md5-96, HMAC_MD5_96",
        "md5, HMAC_MD5_96" })
    void acceptsIproute2KernelAndThreeGppAuthNames(final String name, final IntegrityAlgorithm expected)
    {
        final int keyLength = expected.keyLengthBytes();
        final SaConfig sa = XfrmStateParser.parseAdd(line("auth '" + name + "' 0x" + "ab".repeat(keyLength) +
            " enc 'ecb(cipher_null)' \"\""));

        assertEquals(expected, sa.integrityAlgorithm());
    }

    @ParameterizedTest
    @CsvSource({
        "ecb(cipher_null), NULL, ''",
        "cipher_null, NULL, ''",
        "null, NULL, ''",
        "cbc(aes), AES_CBC, 0x" + AES_KEY,
        "aes, AES_CBC, 0x" + AES_KEY,
        "aes-cbc, AES_CBC, 0x" + AES_KEY,
        "cbc(des3_ede), DES_EDE3_CBC, 0x000102030405060708090a0b0c0d0e0f1011121314151617",
        "des-ede3-cbc, DES_EDE3_CBC, 0x000102030405060708090a0b0c0d0e0f1011121314151617" })
    void acceptsEncNames(final String name, final EncryptionAlgorithm expected, final String key)
    {
        final SaConfig sa = XfrmStateParser.parseAdd(line("auth sha1 0x" + SHA1_KEY + " enc '" + name + "' '" +
            key + "'"));

        assertEquals(expected, sa.encryptionAlgorithm());
    }

    @Test
    void quotedTextIsTheKeyBytesAsIproute2Does()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(line("auth hmac(md5) 'sixteen byte key' enc cipher_null ''"));

        assertArrayEquals("sixteen byte key".getBytes(StandardCharsets.US_ASCII), sa.integrityKey());
    }

    @Test
    void spisAbove2To31AreUnsigned()
    {
        final SaConfig high = XfrmStateParser.parseAdd(ISSUE_LINE.replace("0x0008a23a", "3458785863"));

        assertEquals(3458785863L, high.spi());
        assertEquals("0xce28e247", high.spiHex());
        assertEquals(0xFFFF_FFFFL, XfrmStateParser.parseAdd(ISSUE_LINE.replace("0x0008a23a", "0xffffffff")).spi());
        assertEquals(256, XfrmStateParser.parseAdd(ISSUE_LINE.replace("0x0008a23a", "0400")).spi(), "octal, as strtoul");
    }

    @Test
    void parsesFlagIcmpAloneAndWithEsn()
    {
        assertFalse(XfrmStateParser.parseAdd(ISSUE_LINE).icmp());
        final SaConfig icmp = XfrmStateParser.parseAdd(ISSUE_LINE + " flag icmp");
        assertTrue(icmp.icmp());
        assertFalse(icmp.esn());
        final SaConfig both = XfrmStateParser.parseAdd(ISSUE_LINE + " flag icmp esn");
        assertTrue(both.icmp());
        assertTrue(both.esn());
    }

    @Test
    void parsesFlagEsnSelectorLimitsAndEncap()
    {
        final SaConfig sa = XfrmStateParser.parseAdd("src 203.0.113.10 dst 203.0.113.20 proto esp spi 0x100 " +
            "replay-window 128 flag noecn esn auth-trunc hmac(sha1) 0x" + SHA1_KEY + " 96 enc cipher_null \"\" " +
            "sel src 203.0.113.10/32 dst 203.0.113.20 proto udp sport 38003 dport 50718 " +
            "limit time-soft 3000 limit time-hard 3600 limit time-use-soft 100 limit time-use-hard 200 " +
            "limit byte-soft 1000000 limit byte-hard 2000000 limit packet-soft 1000 limit packet-hard 2000 " +
            "encap espinudp 4500 4501 0.0.0.0");

        assertTrue(sa.esn());
        assertEquals(128, sa.replayWindowSize());

        final TrafficSelector selector = sa.selector();
        assertEquals(4, selector.family());
        assertEquals("203.0.113.10", selector.sourceAddress().getHostAddress());
        assertEquals(32, selector.destinationPrefixLength());
        assertEquals(17, selector.protocol());
        assertEquals(38003, selector.sourcePortLow());
        assertEquals(38003, selector.sourcePortHigh());
        assertEquals(50718, selector.destinationPortLow());
        assertEquals(50718, selector.destinationPortHigh());

        final SaLifetimeConfig lifetime = sa.lifetime();
        assertEquals(3000_000_000_000L, lifetime.softAddExpiresNs());
        assertEquals(3600_000_000_000L, lifetime.hardAddExpiresNs());
        assertEquals(100_000_000_000L, lifetime.softUseExpiresNs());
        assertEquals(200_000_000_000L, lifetime.hardUseExpiresNs());
        assertEquals(1_000_000, lifetime.bytesSoftLimit());
        assertEquals(2_000_000, lifetime.bytesHardLimit());
        assertEquals(1000, lifetime.packetsSoftLimit());
        assertEquals(2000, lifetime.packetsHardLimit());

        assertEquals(SaConfig.Encapsulation.ESP_IN_UDP, sa.encapsulation());
        assertEquals(4500, sa.encapsulationSourcePort());
        assertEquals(4501, sa.encapsulationDestinationPort());
    }

    @Test
    void zeroPrefixSelectorIsAnyAddressOfItsFamily()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(ISSUE_LINE + " sel src ::/0 dst ::/0 proto ipv6-icmp");

        assertNull(sa.selector().sourceAddress());
        assertNull(sa.selector().destinationAddress());
        assertEquals(6, sa.selector().family());
        assertEquals(58, sa.selector().protocol());
    }

    @Test
    void ipXfrmPrefixIsNotPartOfTheArguments()
    {
        assertThrows(XfrmSyntaxException.class, () -> XfrmStateParser.parseAdd("ip xfrm state add " + ISSUE_LINE));
    }

    @Test
    void parsesDeleteAndGetIds() throws Exception
    {
        final XfrmStateId id = XfrmStateParser.parseId("src 203.0.113.10 dst 203.0.113.20 proto esp spi 3458785863");

        assertEquals(InetAddress.getByName("203.0.113.10"), id.source());
        assertEquals(InetAddress.getByName("203.0.113.20"), id.destination());
        assertEquals(3458785863L, id.spi());
        assertEquals("0xce28e247", id.spiHex());

        final XfrmStateId withoutSource = XfrmStateParser.parseId("dst 2001:db8::2 proto esp spi 0x100");
        assertNull(withoutSource.source());

        assertEquals("missing spi",
            assertThrows(XfrmSyntaxException.class, () -> XfrmStateParser.parseId("dst 2001:db8::2 proto esp"))
                .getMessage());
        assertEquals("token 7 'reqid': unknown keyword for ip xfrm state delete|get (src, dst, proto, spi)",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmStateParser.parseId("dst 2001:db8::2 proto esp spi 0x100 reqid 1")).getMessage());
    }

    // ---- errors: each names the line, the word (by number and text) and what is wrong ----

    @Test
    void unknownAuthAlgorithm()
    {
        assertError("line 3: token 14 'hmac(sha2)': unknown auth algorithm",
            ISSUE_LINE.replace("'hmac(sha1)'", "'hmac(sha2)'"));
    }

    @Test
    void unknownEncAlgorithm()
    {
        assertError("line 3: token 18 'cbc(aes2)': unknown enc algorithm",
            ISSUE_LINE.replace("'ecb(cipher_null)'", "'cbc(aes2)'"));
    }

    @Test
    void wrongAuthKeyLengthHidesTheKey()
    {
        assertError("line 3: token 15 '<key>': auth key for hmac(sha1) must be 160 bits, got 128",
            ISSUE_LINE.replace(SHA1_KEY, MD5_KEY));
    }

    @Test
    void wrongEncKeyLengthHidesTheKey()
    {
        assertError("line 3: token 19 '<key>': enc key for cbc(aes) must be 128, 192 or 256 bits, got 120",
            ISSUE_LINE.replace("'ecb(cipher_null)' \"\"", "'cbc(aes)' 0x" + AES_KEY.substring(2)));
        assertError("line 3: token 19 '<key>': enc key for ecb(cipher_null) must be 0 bits, got 48",
            ISSUE_LINE.replace("\"\"", "'secret'"));
    }

    @Test
    void malformedHexKeys()
    {
        assertError("line 3: token 15 '<key>': hex key has an odd number of digits (39)",
            ISSUE_LINE.replace(SHA1_KEY, SHA1_KEY.substring(1)));
        assertError("line 3: token 15 '<key>': hex key has a character that is not a hex digit",
            ISSUE_LINE.replace(SHA1_KEY, "g" + SHA1_KEY.substring(1)));
        assertError("line 3: token 15 '<key>': empty hex key: write \"\" for no key",
            ISSUE_LINE.replace("0x" + SHA1_KEY, "0x"));
    }

    @Test
    void wrongAuthTruncLength()
    {
        assertError("line 3: token 16 '100': auth-trunc length for hmac(sha1) must be a multiple of 32 bits " +
            "between 64 and the digest length: 100", ISSUE_LINE.replace(" 96 ", " 100 "));
        assertError("line 3: token 16 'enc': invalid auth-trunc length: a number of bits",
            ISSUE_LINE.replace(" 96 ", " "));
    }

    @Test
    void missingRequiredFields()
    {
        assertError("line 3: missing spi", ISSUE_LINE.replace("spi 0x0008a23a ", ""));
        assertError("line 3: missing src", ISSUE_LINE.replace("src 2001:0:0:1::2 ", ""));
        assertError("line 3: missing dst", ISSUE_LINE.replace("dst 2001::1:d1ae:bb37:d9c9:81d0 ", ""));
        assertError("line 3: missing proto esp", ISSUE_LINE.replace("proto esp ", ""));
        assertError("line 3: missing proto esp: the 'proto esp' after 'sel' was read as the selector's protocol; " +
            "write sel last, or proto esp before it",
            ISSUE_LINE.replace("proto esp ", "") + " sel src ::/0 proto esp");
        assertError("line 3: missing enc: ip xfrm needs enc with proto esp (enc 'ecb(cipher_null)' \"\" for none)",
            ISSUE_LINE.replace(" enc 'ecb(cipher_null)' \"\"", ""));
        assertError("line 3: missing auth or auth-trunc: ESP without integrity is not supported (RFC 4303 3.2.2)",
            ISSUE_LINE.replace("auth-trunc 'hmac(sha1)' 0x" + SHA1_KEY + " 96 ", ""));
    }

    @Test
    void missingValueAtEndOfLine()
    {
        assertError("line 3: token 7 'spi': missing spi after 'spi'",
            "src 2001:0:0:1::2 dst 2001::1:d1ae:bb37:d9c9:81d0 proto esp spi");
        assertError("line 3: token 17 'enc': missing enc key after 'enc'",
            ISSUE_LINE.replace(" \"\"", ""));
    }

    @Test
    void duplicateFields()
    {
        assertError("line 3: token 20 'src': duplicate src", ISSUE_LINE + " src 2001::5");
        assertError("line 3: token 20 'auth': duplicate auth", ISSUE_LINE + " auth hmac(md5) 0x" + MD5_KEY);
        assertError("line 3: token 20 'mode': duplicate mode", ISSUE_LINE + " mode transport");
        assertError("line 3: token 24 'time-hard': duplicate limit time-hard",
            ISSUE_LINE + " limit time-hard 10 limit time-hard 20");
    }

    @Test
    void unknownKeywordAndGarbageAfterACompleteLine()
    {
        assertError("line 3: token 20 'foo': unknown keyword for ip xfrm state add", ISSUE_LINE + " foo 1");
        assertError("line 3: token 20 '42': unexpected value where a keyword of ip xfrm state add was expected",
            ISSUE_LINE + " 42");
        assertError("line 3: token 20 'garbage': unknown keyword for ip xfrm state add", ISSUE_LINE + " garbage");
        assertError("line 12: token 16 '96': unexpected value where a keyword was expected " +
                "(auth takes no length: use auth-trunc ALGO KEY BITS)",
            12, ISSUE_LINE.replace("auth-trunc", "auth"));
    }

    @Test
    void unsupportedFeaturesAreRefusedByName()
    {
        assertError("line 3: token 10 'tunnel': mode tunnel is not supported: transport only",
            ISSUE_LINE.replace("mode transport", "mode tunnel"));
        assertError("line 3: token 10 'beet': mode beet is not supported: transport only",
            ISSUE_LINE.replace("mode transport", "mode beet"));
        assertError("line 3: token 6 'ah': proto ah is not supported: esp only", ISSUE_LINE.replace("esp", "ah"));
        assertError("line 3: token 10 'rfc4309(ccm(aes))': unknown aead algorithm: rfc4106(gcm(aes)) or " +
            "rfc4543(gcm(aes))", line("aead 'rfc4309(ccm(aes))' 0x" + AES_KEY + "010203 128"));
        assertError("line 3: token 21 'espinudp-nonike': encap espinudp-nonike is not supported: " +
            "espinudp (RFC 3948) only", ISSUE_LINE + " encap espinudp-nonike 4500 4500 ::");
        assertError("line 3: token 20 'mark': 'mark' is not supported", ISSUE_LINE + " mark 7");
        assertError("line 3: token 21 'wildrecv': flag wildrecv is not supported", ISSUE_LINE + " flag wildrecv");
        assertError("line 3: token 21 'bogus': unknown flag", ISSUE_LINE + " flag bogus");
    }

    @Test
    void esnNeedsAReplayWindow()
    {
        assertError("line 3: token 21 'esn': flag esn needs a replay-window above 0",
            ISSUE_LINE.replace("replay-window 64", "replay-window 0") + " flag esn");
    }

    @Test
    void badNumbersAndRanges()
    {
        assertError("line 3: token 8 '4294967296': invalid spi: out of range, at most 4294967295 (0xffffffff)",
            ISSUE_LINE.replace("0x0008a23a", "4294967296"));
        assertError("line 3: token 8 '-1': invalid spi: must be a number 0..4294967295 " +
            "(decimal, 0x hex or 0 octal)", ISSUE_LINE.replace("0x0008a23a", "-1"));
        assertError("line 3: token 8 '255': spi must be 256..4294967295 (RFC 4303 2.1): 255",
            ISSUE_LINE.replace("0x0008a23a", "255"));
        assertError("line 3: token 12 '65537': replay-window must be 0..65536: 65537",
            ISSUE_LINE.replace("replay-window 64", "replay-window 65537"));
    }

    /** A number too big for its field is named as typed, with its field's limit (not redacted: no key is that short). */
    @Test
    void shouldNameAnOutOfRangeNumberAndTheLimitOfItsField()
    {
        assertError("line 3: token 8 '0x100000000': invalid spi: out of range, at most 4294967295 (0xffffffff)",
            ISSUE_LINE.replace("0x0008a23a", "0x100000000"));
        // esp4j's window limit, not the 32-bit field's
        assertError("line 3: token 12 '99999999999': replay-window must be 0..65536: 99999999999",
            ISSUE_LINE.replace("replay-window 64", "replay-window 99999999999"));
        assertError("line 3: token 12 '4294967296': replay-window must be 0..65536: 4294967296",
            ISSUE_LINE.replace("replay-window 64", "replay-window 4294967296"));
        // longer than any 64-bit number: may be key material, still redacted
        assertError("line 3: token 8 '<key>': invalid spi: must be a number 0..4294967295 (decimal, 0x hex or 0 octal)",
            ISSUE_LINE.replace("0x0008a23a", "0xf769bcd751044604127672711c6d3441"));
    }

    @Test
    void badPort()
    {
        assertError("line 3: token 28 '70000': invalid port: 0..65535 (a single port)",
            ISSUE_LINE + " sel src ::/0 dst ::/0 proto udp sport 70000");
        assertError("line 3: token 28 '1000-2000': invalid port: 0..65535 (a single port)",
            ISSUE_LINE + " sel src ::/0 dst ::/0 proto udp sport 1000-2000");
        assertError("line 3: token 21 'sport': sport and dport need proto tcp, udp, sctp or dccp",
            ISSUE_LINE + " sel sport 5060");
        assertError("line 3: token 23 '0': encap ports must be 1..65535: 4500 0",
            ISSUE_LINE + " encap espinudp 4500 0 ::");
    }

    @Test
    void badPrefixOrAddress()
    {
        assertError("line 3: token 22 '2001:db8::/129': invalid selector source prefix: prefix length must be 0..128",
            ISSUE_LINE + " sel src 2001:db8::/129");
        assertError("line 3: token 22 '10.0.0/8': invalid selector source prefix: not a numeric IPv4 or IPv6 " +
            "prefix (ADDR[/PLEN])", ISSUE_LINE + " sel src 10.0.0/8");
        assertError("line 3: token 2 'pcscf.ims': invalid src address: not a numeric IPv4 or IPv6 address",
            ISSUE_LINE.replace("2001:0:0:1::2", "pcscf.ims"));
        assertError("line 3: token 2 '2001::2/64': invalid src address: an address is needed here, not a prefix",
            ISSUE_LINE.replace("2001:0:0:1::2", "2001::2/64"));
        assertError("line 3: token 3 'dst': src and dst are of different address families",
            ISSUE_LINE.replace("2001:0:0:1::2", "192.0.2.1"));
        assertError("line 3: token 20 'sel': sel is of another address family than the SA",
            ISSUE_LINE + " sel src 192.0.2.0/24");
        assertError("line 3: token 24 '::/0': selector src and dst are of different address families",
            ISSUE_LINE + " sel src 192.0.2.0/24 dst ::/0");
    }

    @Test
    void noErrorMessageContainsKeyMaterial()
    {
        final String[] lines = {
            ISSUE_LINE.replace(SHA1_KEY, MD5_KEY),
            ISSUE_LINE.replace(SHA1_KEY, SHA1_KEY.substring(1)),
            ISSUE_LINE.replace("'hmac(sha1)' ", ""),
            ISSUE_LINE + " 0x" + AES_KEY,
            ISSUE_LINE.replace("'ecb(cipher_null)' \"\"", "'cbc(aes)' 0x" + AES_KEY + "00"),
            ISSUE_LINE.replace("'ecb(cipher_null)' \"\"", "0x" + AES_KEY),
            ISSUE_LINE.replace("\"\"", "'" + AES_KEY + "'"),
            ISSUE_LINE.replace("\"\"", "'" + AES_KEY),
            ISSUE_LINE.replace("'hmac(sha1)' 0x" + SHA1_KEY, "'secretsecretsecretse'"),
            ISSUE_LINE.replace("'ecb(cipher_null)' \"\"", "'secretsecretsecretse'"),
            ISSUE_LINE + " " + MD5_KEY,
        };
        for (final String line : lines)
        {
            final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class,
                () -> XfrmStateParser.parseAdd(line, 1), line);
            assertFalse(ex.getMessage().contains(MD5_KEY.substring(0, 8)), ex.getMessage());
            assertFalse(ex.getMessage().contains(AES_KEY.substring(0, 8)), ex.getMessage());
            assertFalse(ex.getMessage().contains(SHA1_KEY.substring(8, 16)), ex.getMessage());
            assertFalse(ex.getMessage().contains("secret"), ex.getMessage());
        }
        assertEquals("line 1: token 18 '<key>': unknown enc algorithm",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmStateParser.parseAdd(ISSUE_LINE.replace("'ecb(cipher_null)' ", "") + " sel proto udp", 1))
                .getMessage());
        assertEquals("line 1: token 18 'cbc(aes2)': unknown enc algorithm",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmStateParser.parseAdd(ISSUE_LINE.replace("ecb(cipher_null)", "cbc(aes2)"), 1))
                .getMessage());
        assertEquals("line 1: token 14 '<key>': unknown auth algorithm",
            assertThrows(XfrmSyntaxException.class,
                () -> XfrmStateParser.parseAdd(ISSUE_LINE.replace("'hmac(sha1)' ", ""), 1)).getMessage());
    }

    @Test
    void errorCarriesPositionFields()
    {
        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class,
            () -> XfrmStateParser.parseAdd(ISSUE_LINE.replace("'hmac(sha1)'", "'hmac(sha2)'"), 3));

        assertEquals("line 3", ex.location());
        assertEquals(14, ex.tokenIndex());
        assertEquals(ISSUE_LINE.indexOf("'hmac(sha1)'") + 1, ex.column());
        assertEquals("hmac(sha2)", ex.tokenText());
        assertEquals("unknown auth algorithm", ex.reason());
        assertTrue(ex instanceof IllegalArgumentException);
    }

    static final String SALT = "a1b2c3d4";

    @ParameterizedTest(name = "ICV {0} bits")
    @CsvSource({ "64, AES_GCM_8", "96, AES_GCM_12", "128, AES_GCM_16" })
    void shouldParseAeadRfc4106WithEachIcvLength(final int icvBits, final EncryptionAlgorithm expected)
    {
        final SaConfig sa = XfrmStateParser.parseAdd(
            line("aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + SALT + " " + icvBits));

        assertEquals(expected, sa.encryptionAlgorithm());
        assertEquals(IntegrityAlgorithm.NONE, sa.integrityAlgorithm());
        assertEquals(icvBits, sa.icvLengthBits());
        assertArrayEquals(HexFormat.of().parseHex(AES_KEY + SALT), sa.encryptionKey(), "key and salt kept together");
        assertArrayEquals(new byte[0], sa.integrityKey());
    }

    @Test
    void shouldParseAeadRfc4543AsIntegrityOnlyGmac()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(line("flag esn aead rfc4543(gcm(aes)) 0x" + AES_KEY + AES_KEY +
            SALT + " 128"));

        assertEquals(EncryptionAlgorithm.AES_GMAC, sa.encryptionAlgorithm());
        assertEquals(128, sa.icvLengthBits());
        assertEquals(36, sa.encryptionKey().length, "256-bit key + salt");
        assertTrue(sa.esn());
    }

    @Test
    void shouldAcceptTheTs33203NamesForAead()
    {
        assertEquals(EncryptionAlgorithm.AES_GCM_16,
            XfrmStateParser.parseAdd(line("aead aes-gcm 0x" + AES_KEY + SALT + " 128")).encryptionAlgorithm());
        assertEquals(EncryptionAlgorithm.AES_GCM_8,
            XfrmStateParser.parseAdd(line("aead aes-gcm 0x" + AES_KEY + SALT + " 64")).encryptionAlgorithm());
        assertEquals(EncryptionAlgorithm.AES_GMAC,
            XfrmStateParser.parseAdd(line("aead aes-gmac 0x" + AES_KEY + SALT + " 128")).encryptionAlgorithm());
    }

    @Test
    void shouldRefuseAeadIcvLengthsTheAlgorithmDoesNotHave()
    {
        assertError("line 3: token 12 '32': aead ICV length for rfc4106(gcm(aes)) must be 64, 96 or 128 bits, got 32",
            line("aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + SALT + " 32"));
        assertError("line 3: token 12 '96': aead ICV length for rfc4543(gcm(aes)) must be 128 bits, got 96",
            line("aead 'rfc4543(gcm(aes))' 0x" + AES_KEY + SALT + " 96"));
        assertError("line 3: token 12 'sixteen': invalid aead ICV length: a number of bits",
            line("aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + SALT + " sixteen"));
        assertError("line 3: token 9 'aead': missing aead ICV length in bits after 'aead'",
            line("aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + SALT));
    }

    @Test
    void shouldRefuseAeadKeysWithoutSaltOrOfAnotherLengthWithoutPrintingThem()
    {
        assertError("line 3: token 11 '<key>': aead key for rfc4106(gcm(aes)) must be 128, 192 or 256 bits of AES " +
            "key followed by a 32-bit salt (160, 224 or 288 bits in all), got 128",
            line("aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + " 128"));
        assertError("line 3: token 11 '<key>': aead key for rfc4543(gcm(aes)) must be 128, 192 or 256 bits of AES " +
            "key followed by a 32-bit salt (160, 224 or 288 bits in all), got 168",
            line("aead 'rfc4543(gcm(aes))' 0x" + AES_KEY + SALT + "ee 128"));
    }

    @Test
    void shouldRefuseAeadTogetherWithAuthOrEnc()
    {
        final String aead = " aead 'rfc4106(gcm(aes))' 0x" + AES_KEY + SALT + " 128";
        assertError("line 3: token 20 'aead': aead cannot be used with auth or enc: an AEAD encrypts and " +
            "authenticates by itself (RFC 4303 3.2.3)", ISSUE_LINE + aead);
        assertError("line 3: token 13 'auth': auth cannot be used with aead: an AEAD encrypts and authenticates " +
            "by itself (RFC 4303 3.2.3)", line(aead.trim() + " auth hmac(md5) 0x" + MD5_KEY));
        assertError("line 3: token 13 'enc': enc cannot be used with aead: an AEAD encrypts and authenticates " +
            "by itself (RFC 4303 3.2.3)", line(aead.trim() + " enc 'cbc(aes)' 0x" + AES_KEY));
    }

    @Test
    void shouldPointAnAeadNameAfterEncToAeadAndACipherAfterAeadToEnc()
    {
        assertError("line 3: token 13 'rfc4106(gcm(aes))': rfc4106(gcm(aes)) is an AEAD: write aead " +
            "'rfc4106(gcm(aes))' KEY ICV-BITS in place of auth and enc",
            line("auth hmac(md5) 0x" + MD5_KEY + " enc rfc4106(gcm(aes)) 0x" + AES_KEY + SALT));
        assertError("line 3: token 10 'cbc(aes)': cbc(aes) is not an AEAD: use enc with auth or auth-trunc",
            line("aead cbc(aes) 0x" + AES_KEY + " 128"));
    }

    static String line(final String algorithms)
    {
        return "src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x1000 " + algorithms;
    }

    private static void assertError(final String expectedMessage, final String line)
    {
        assertError(expectedMessage, 3, line);
    }

    private static void assertError(final String expectedMessage, final int lineNumber, final String line)
    {
        final XfrmSyntaxException ex = assertThrows(XfrmSyntaxException.class,
            () -> XfrmStateParser.parseAdd(line, lineNumber));
        assertEquals(expectedMessage, ex.getMessage());
    }
}
