package org.esp4j.sip.lifecycle;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.sip.message.Transport;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.xfrm.XfrmFormatter;
import org.esp4j.core.text.Hex;
import org.esp4j.sip.util.InetAddressText;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SaSpecTest
{
    private static final String IK = "00112233445566778899aabbccddeeff";
    private static final String CK = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    private static SaSpec.Builder sa1()
    {
        return SaSpec.builder()
            .label("SA1")
            .spiOrigin("P-CSCF spi-s")
            .spi(2821032177L)
            .direction(PolicyDirection.OUT)
            .src(InetAddressText.parse("ue", "2001::1:d1ae:bb37:d9c9:81d0"), 38003)
            .dst(InetAddressText.parse("pcscf", "2001:0:0:1::2"), 50718)
            .integrity(IntegrityAlgorithm.HMAC_MD5_96, Hex.decode("IK", IK))
            .encryption(EncryptionAlgorithm.NULL, new byte[0])
            .lifetimeNs(1L)
            .state(SaLifecycleState.ESTABLISHED);
    }

    @Test
    void shouldRenderIpXfrmStateArgsForHmacMd5WithNullEncryption()
    {
        // esp-core's XfrmFormatter writes it: reqid, host prefixes in the selector, ports without a protocol (one SA
        // for UDP and TCP: iproute2 takes proto 0 with ports), the lifetime (1 ns: 1 s, as 0 would be no limit)
        assertEquals("src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2 proto esp spi 0xa82588f1 reqid 0 mode transport replay-window 64 " +
            "auth-trunc 'hmac(md5)' 0x" + IK + " 96 enc 'ecb(cipher_null)' \"\" " +
            "sel src 2001::1:d1ae:bb37:d9c9:81d0/128 dst 2001:0:0:1::2/128 sport 38003 dport 50718 limit time-hard 1",
            sa1().build().toIpXfrmStateArgs(true));
    }

    @Test
    void shouldRenderSha1KeyOf20BytesAndAesKey()
    {
        final SaSpec sa = sa1()
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, Hex.decode("IK", IK + "00000000"))
            .encryption(EncryptionAlgorithm.AES_CBC, Hex.decode("CK", CK))
            .build();

        final String args = sa.toIpXfrmStateArgs(true);

        assertTrue(args.contains("auth-trunc 'hmac(sha1)' 0x" + IK + "00000000 96"), args);
        assertTrue(args.contains("enc 'cbc(aes)' 0x" + CK + " sel"), args);
    }

    @Test
    void shouldRenderTripleDesName()
    {
        final SaSpec sa = sa1().encryption(EncryptionAlgorithm.DES_EDE3_CBC, new byte[24]).build();

        assertTrue(sa.toIpXfrmStateArgs(true).contains("enc 'cbc(des3_ede)' 0x" + "00".repeat(24)));
    }

    @Test
    void shouldWriteTheIcvLengthOfTheAlgorithmNotA96BitDefault()
    {
        final SaSpec sa = sa1()
            .integrity(IntegrityAlgorithm.HMAC_SHA256_128, Hex.decode("IK", IK + IK))
            .encryption(EncryptionAlgorithm.AES_CBC, Hex.decode("CK", CK))
            .build();

        final String args = sa.toIpXfrmStateArgs(true);

        assertTrue(args.contains("auth-trunc 'hmac(sha256)' 0x" + IK + IK + " 128 "), args);
    }

    @Test
    void shouldPrintTheStateArgumentsOfTheSaEspCoreInstalls()
    {
        final SaSpec sa = sa1().encryption(EncryptionAlgorithm.AES_CBC, Hex.decode("CK", CK)).lifetimeNs(30_000_000_000L)
            .build();
        final SaConfig installed = sa.toSaConfig();

        final String printed = sa.toIpXfrmStateArgs(true);

        assertEquals(XfrmFormatter.toStateAddArgs(installed, true), printed);
        assertTrue(printed.contains(" replay-window " + SaSpec.REPLAY_WINDOW + " "), printed);
        assertTrue(printed.contains(" limit time-hard 30"), printed);
    }

    @Test
    void shouldHideKeysThatAreNotKnownEvenWhenAsked()
    {
        final SaSpec sa = SaSpec.builder().label("SA1").spi(2821032177L).direction(PolicyDirection.OUT)
            .src(InetAddressText.parse("ue", "2001::1:d1ae:bb37:d9c9:81d0"), 38003)
            .dst(InetAddressText.parse("pcscf", "2001:0:0:1::2"), 50718)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, null)
            .encryption(EncryptionAlgorithm.AES_CBC, null)
            .build();

        final String args = sa.toIpXfrmStateArgs(true);

        assertTrue(args.contains("'hmac(sha1)' '" + XfrmFormatter.KEYS_HIDDEN + "' 96"), args);
        assertThrows(IllegalArgumentException.class, sa::toSaConfig);
    }

    @Test
    void shouldPutPlaceholdersInsteadOfKeysWhenNotAsked()
    {
        final SaSpec sa = sa1().encryption(EncryptionAlgorithm.AES_CBC, Hex.decode("CK", CK)).build();

        final String args = sa.toIpXfrmStateArgs(false);

        assertFalse(args.contains(IK));
        assertFalse(args.contains(CK));
        assertTrue(args.contains("'hmac(md5)' '" + XfrmFormatter.KEYS_HIDDEN + "' 96"), args);
        assertTrue(args.contains("'cbc(aes)' '" + XfrmFormatter.KEYS_HIDDEN + "'"), args);
    }

    @Test
    void shouldNeverShowKeysInToString()
    {
        final SaSpec sa = sa1().encryption(EncryptionAlgorithm.AES_CBC, Hex.decode("CK", CK)).build();

        assertFalse(sa.toString().contains(IK));
        assertFalse(sa.toString().contains(CK));
        assertTrue(sa.toString().contains("spi=2821032177 (0xa82588f1)"), sa.toString());
    }

    @Test
    void shouldRenderPoliciesForUdpAndTcp()
    {
        final SaSpec sa = sa1().build();

        // esp-core's XfrmFormatter writes it: priority, action, reqid and level as well
        assertEquals("src 2001::1:d1ae:bb37:d9c9:81d0/128 dst 2001:0:0:1::2/128 proto udp sport 38003 dport 50718 dir out " +
            "priority 0 action allow " +
            "tmpl src 2001::1:d1ae:bb37:d9c9:81d0 dst 2001:0:0:1::2 proto esp spi 0xa82588f1 reqid 0 mode transport level required",
            sa.toIpXfrmPolicyArgs(Transport.UDP));
        assertEquals(2, sa.toIpXfrmPolicyArgs().size());
        assertTrue(sa.toIpXfrmPolicyArgs().get(1).contains("proto tcp"));
    }

    @Test
    void shouldUseSlash32ForIpv4Policies()
    {
        final SaSpec sa = sa1().src(InetAddressText.parse("a", "192.0.2.1"), 1).dst(InetAddressText.parse("b", "192.0.2.2"), 2)
            .direction(PolicyDirection.IN).protocols(EnumSet.of(Transport.TCP)).build();

        assertEquals(1, sa.toIpXfrmPolicyArgs().size());
        assertTrue(sa.toIpXfrmPolicyArgs().get(0).startsWith("src 192.0.2.1/32 dst 192.0.2.2/32 proto tcp sport 1 dport 2 dir in"));
    }

    @Test
    void shouldRejectSpiOutsideUnsigned32Bits()
    {
        assertThrows(IllegalArgumentException.class, () -> sa1().spi(0x1_0000_0000L).build());
        assertEquals("0xffffffff", sa1().spi(0xFFFF_FFFFL).build().spiHex());
    }

    @Test
    void shouldPrintTheSpiAsEightHexDigitsUnsigned()
    {
        assertEquals("0x00000001", sa1().spi(1).build().spiHex());
        assertEquals("0x0008a23a", sa1().spi(0x8a23aL).build().spiHex());
        assertEquals("0x80000000", sa1().spi(0x8000_0000L).build().spiHex(), "above 2^31: never negative");
    }
}
