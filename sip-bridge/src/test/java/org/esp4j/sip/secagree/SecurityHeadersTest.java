package org.esp4j.sip.secagree;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SecurityHeadersTest
{
    @Test
    void shouldSummariseAUesOfferAsItsAlgorithmsThenTheSpisAndPortsTheyShare()
    {
        final String client = "ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=565817;" +
            "spi-s=565818;port-c=38003;port-s=39003, ipsec-3gpp;alg=hmac-md5-96;prot=esp;mod=trans;spi-c=565817;" +
            "spi-s=565818;port-c=38003;port-s=39003;q=0.5";

        assertEquals("hmac-sha-1-96/aes-cbc, hmac-md5-96/null; spi-c 565817 spi-s 565818 port-c 38003 port-s 39003",
            SecurityHeaders.summary(SecurityHeaders.parse("Security-Client", client)));
    }

    @Test
    void shouldSummariseEachMechanismsOwnSpisAndPortsUnsignedWhenTheyDiffer()
    {
        final String server = "ipsec-3gpp;alg=null;ealg=aes-gcm;spi-c=3458785863;spi-s=4294967295;port-c=50717;" +
            "port-s=50718, ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=2821032177;spi-s=2821032178;port-c=50719;" +
            "port-s=50720, digest";

        assertEquals("null/aes-gcm spi-c 3458785863 spi-s 4294967295 port-c 50717 port-s 50718, " +
            "hmac-sha-1-96/null spi-c 2821032177 spi-s 2821032178 port-c 50719 port-s 50720, digest",
            SecurityHeaders.summary(SecurityHeaders.parse("Security-Server", server)));
    }
}
