package org.esp4j.core.xfrm;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.esp4j.core.xfrm.XfrmStateParserTest.ISSUE_LINE;
import static org.esp4j.core.xfrm.XfrmStateParserTest.SHA1_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class WiresharkEspSaTest
{
    /**
     * For each of the 17 SAs of the shared vectors (copied to xfrm/vectors-sa.tsv): write the SA as an
     * {@code ip xfrm state add} line, parse it, and check the esp_sa record has tshark's algorithm names, the SPI as
     * 0x%08x, the addresses as the vectors write them and the keys.
     */
    @Test
    void matchesTsharkNamesOfTheSharedVectors() throws Exception
    {
        final List<String[]> rows = vectorSas();
        assertEquals(17, rows.size());

        for (final String[] row : rows)
        {
            final String protocol = row[0];
            final String src = row[1];
            final String dst = row[2];
            final String spiHex = row[3];
            final String cryptAlg = row[4];
            final String tsharkCrypt = row[5];
            final String cryptKey = "-".equals(row[6]) ? "" : row[6];
            final String authAlg = row[7];
            final String tsharkAuth = row[8];
            final String authKey = row[9];

            final String enc = "NULL".equals(cryptAlg) ? "'ecb(cipher_null)' \"\"" : "'cbc(aes)' 0x" + cryptKey;
            final String auth = "HMAC-MD5-96".equals(authAlg) ? "'hmac(md5)'" : "'hmac(sha1)'";
            final SaConfig sa = XfrmStateParser.parseAdd("src " + src + " dst " + dst + " proto esp spi " + spiHex +
                " mode transport auth " + auth + " 0x" + authKey + " enc " + enc);

            final String expected = "\"" + protocol + "\",\"" + src + "\",\"" + dst + "\",\"" + spiHex + "\",\"" +
                tsharkCrypt + "\",\"" + (cryptKey.isEmpty() ? "" : "0x" + cryptKey) + "\",\"" + tsharkAuth +
                "\",\"0x" + authKey + "\"";
            assertEquals(expected, WiresharkEspSa.line(sa), String.join(" ", row));
        }
    }

    @Test
    void writesTheIssueExampleAndAWholeFile()
    {
        final SaConfig sa = XfrmStateParser.parseAdd(ISSUE_LINE);

        assertEquals("\"IPv6\",\"2001:0:0:1::2\",\"2001::1:d1ae:bb37:d9c9:81d0\",\"0x0008a23a\",\"NULL\",\"\"," +
            "\"HMAC-SHA-1-96 [RFC2404]\",\"0x" + SHA1_KEY + "\"", WiresharkEspSa.line(sa));
        assertEquals(WiresharkEspSa.FILE_HEADER + "\n" + WiresharkEspSa.line(sa) + "\n" + WiresharkEspSa.line(sa) + "\n",
            WiresharkEspSa.file(List.of(sa, sa)));
    }

    @Test
    void namesEveryAlgorithmAsWiresharkDoes()
    {
        assertEquals("NULL", WiresharkEspSa.encryptionName(EncryptionAlgorithm.NULL));
        assertEquals("AES-CBC [RFC3602]", WiresharkEspSa.encryptionName(EncryptionAlgorithm.AES_CBC));
        assertEquals("TripleDES-CBC [RFC2451]", WiresharkEspSa.encryptionName(EncryptionAlgorithm.DES_EDE3_CBC));
        assertEquals("HMAC-MD5-96 [RFC2403]", WiresharkEspSa.authenticationName(IntegrityAlgorithm.HMAC_MD5_96, 96));
        assertEquals("HMAC-SHA-1-96 [RFC2404]", WiresharkEspSa.authenticationName(IntegrityAlgorithm.HMAC_SHA1_96, 96));
        assertEquals("HMAC-SHA-256-128 [RFC4868]",
            WiresharkEspSa.authenticationName(IntegrityAlgorithm.HMAC_SHA256_128, 128));
        assertEquals("HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]",
            WiresharkEspSa.authenticationName(IntegrityAlgorithm.HMAC_SHA256_128, 96));
        assertEquals("ANY 128 bit authentication [no checking]",
            WiresharkEspSa.authenticationName(IntegrityAlgorithm.HMAC_SHA1_96, 128));
        assertEquals("ANY 64 bit authentication [no checking]",
            WiresharkEspSa.authenticationName(IntegrityAlgorithm.HMAC_MD5_96, 64));
    }

    @Test
    void shouldNameAesGcmAsWiresharkDoesWithKeyAndSaltAsTheEncryptionKey()
    {
        assertEquals("AES-GCM with 8 octet ICV [RFC4106]", WiresharkEspSa.encryptionName(EncryptionAlgorithm.AES_GCM_8));
        assertEquals("AES-GCM with 12 octet ICV [RFC4106]",
            WiresharkEspSa.encryptionName(EncryptionAlgorithm.AES_GCM_12));
        assertEquals("AES-GCM with 16 octet ICV [RFC4106]",
            WiresharkEspSa.encryptionName(EncryptionAlgorithm.AES_GCM_16));

        final SaConfig gcm = XfrmStateParser.parseAdd("src 203.0.113.10 dst 203.0.113.20 proto esp spi 0x00001234 " +
            "aead 'rfc4106(gcm(aes))' 0x00112233445566778899aabbccddeeffa1b2c3d4 128");
        assertEquals("\"IPv4\",\"203.0.113.10\",\"203.0.113.20\",\"0x00001234\"," +
            "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x00112233445566778899aabbccddeeffa1b2c3d4\",\"NULL\",\"\"",
            WiresharkEspSa.line(gcm));
    }

    /** Wireshark has no GMAC entry: NULL encryption (the payload is in clear) and the unchecked 128-bit ICV. */
    @Test
    void shouldWriteGmacAsNullEncryptionWithAnUncheckedIcv()
    {
        final SaConfig gmac = XfrmStateParser.parseAdd("src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x00001235 " +
            "aead 'rfc4543(gcm(aes))' 0x00112233445566778899aabbccddeeffa1b2c3d4 128");
        assertEquals("\"IPv6\",\"2001:db8::1\",\"2001:db8::2\",\"0x00001235\",\"NULL\",\"\"," +
            "\"ANY 128 bit authentication [no checking]\",\"\"", WiresharkEspSa.line(gmac));
    }

    @Test
    void writesIpv4AndTripleDes()
    {
        final SaConfig sa = XfrmStateParser.parseAdd("src 203.0.113.20 dst 203.0.113.10 proto esp spi 3458785863 " +
            "auth-trunc sha1 0x" + SHA1_KEY + " 128 enc des3_ede 0x000102030405060708090a0b0c0d0e0f1011121314151617");

        assertEquals("\"IPv4\",\"203.0.113.20\",\"203.0.113.10\",\"0xce28e247\",\"TripleDES-CBC [RFC2451]\"," +
            "\"0x000102030405060708090a0b0c0d0e0f1011121314151617\",\"ANY 128 bit authentication [no checking]\"," +
            "\"0x" + SHA1_KEY + "\"", WiresharkEspSa.line(sa));
    }

    private static List<String[]> vectorSas() throws Exception
    {
        final List<String[]> rows = new ArrayList<>();
        try (InputStream in = WiresharkEspSaTest.class.getResourceAsStream("/xfrm/vectors-sa.tsv"))
        {
            assertNotNull(in, "xfrm/vectors-sa.tsv on the test class path");
            final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null)
            {
                if (!line.isEmpty() && !line.startsWith("#"))
                {
                    final String[] row = line.split("\t");
                    assertEquals(10, row.length, line);
                    rows.add(row);
                }
            }
        }
        return rows;
    }
}
