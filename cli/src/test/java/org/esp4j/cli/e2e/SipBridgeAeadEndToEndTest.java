package org.esp4j.cli.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.PCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SIGTERM_EXIT;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.UE;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.javaCommand;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.xfrm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Rel-15 registrations end to end across two namespaces: a UE and its P-CSCF offer only {@code ealg=aes-gcm} with
 * {@code alg=null} (RFC 4106), or only {@code alg=aes-gmac} with {@code ealg=null} (RFC 4543); the UE daemon keys its
 * SAs from Milenage, the P-CSCF daemon from the S-CSCF's ck/ik (TS 35.208 test set 1 both), each with the TS 33.203
 * Annex I salt. The expected keys come from sip-bridge's {@code src/test/resources/vectors/annex-i-aead-salts.py}
 * (Python hmac/hashlib), not from esp4j: tshark 4.0, given them as ESP SAs, checks every aes-gcm ICV on the veth and
 * decrypts the SIP inside; for aes-gmac, which tshark 4.0 cannot check, both daemons hold exactly that key, the SIP
 * travels readable inside ESP, and each daemon's ICV checks passed on what the other sent.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SipBridgeAeadEndToEndTest extends SipLabTest
{
    /** CK (TS 35.208 test set 1) and the aes-gcm salt, FC 0x59, P0 "AES_GCM_SALT" (annex-i-aead-salts.py). */
    private static final String AES_GCM_KEY = "b40ba9a3c58b2a05bbf0d987b21bf8cb89273db6";
    /** IK (TS 35.208 test set 1) and the aes-gmac salt, FC 0x58, P0 "AES_GMAC_SALT" (annex-i-aead-salts.py). */
    private static final String AES_GMAC_KEY = "f769bcd751044604127672711c6d3441dbc2b1c2";
    private static final String[] SPIS = { "0xa82588f1", "0x0008a239", "0x0008a23a", "0xce28e247" };

    @Test
    void shouldRegisterOverAesGcmSasWhoseIcvsTsharkChecksWithTheAnnexIKey() throws Exception
    {
        final Path pcap = register("alg=null;ealg=aes-gcm", "rfc4106(gcm(aes))", AES_GCM_KEY);

        final List<String> frames = tshark(pcap);
        assertEquals(4, frames.size(), "REGISTER, de-REGISTER and their 200 OKs:\n" + String.join("\n", frames));
        for (final String frame : frames)
        {
            final String[] fields = frame.split("\t", -1);
            assertEquals("1", fields[1], "ICV good: " + frame);
            assertEquals("0", fields[2], "ICV not bad: " + frame);
            assertFalse(fields[3].isEmpty(), "the SIP inside decrypted: " + frame);
        }
        assertEquals(List.of("0xa82588f1\t1\t0\t2 REGISTER", "0x0008a239\t1\t0\t2 REGISTER",
            "0xa82588f1\t1\t0\t3 REGISTER", "0x0008a239\t1\t0\t3 REGISTER"), frames);
    }

    @Test
    void shouldRegisterOverAesGmacSasKeyedWithTheAnnexIKey() throws Exception
    {
        final Path pcap = register("alg=aes-gmac;ealg=null", "rfc4543(gcm(aes))", AES_GMAC_KEY);

        // integrity only: the SIP is readable inside each ESP packet (after SPI, sequence number, 8-byte IV and UDP header)
        final List<String> readable = new ArrayList<>();
        eachIpv6(pcap, (frame, ip) ->
        {
            if ((ip.get(6) & 0xFF) == 50 && ip.limit() > 64)
            {
                final String payload = new String(frame.data(), frame.networkOffset() + 40 + 16 + 8,
                    Math.min(16, ip.limit() - 64), StandardCharsets.US_ASCII);
                readable.add(Long.toHexString(ip.getInt(40) & 0xFFFF_FFFFL) + " " + payload.split("\r\n")[0]);
            }
        });
        assertEquals(List.of("a82588f1 REGISTER sip:ims", "8a239 SIP/2.0 200 OK", "a82588f1 REGISTER sip:ims",
            "8a239 SIP/2.0 200 OK"), readable);
    }

    /**
     * Register and de-register over the mechanism, checking on the way that both daemons hold the four SAs with the
     * expected transform and key; @return the veth capture.
     */
    private Path register(final String mechanism, final String transform, final String key) throws Exception
    {
        final Path work = fixture.work;
        final Lab lab = lab("aead");
        final Netns ueNs = lab.ueNs();
        final Netns pcNs = lab.pcNs();

        final Path pcap = work.resolve("veth-pc.pcap");
        final WireCapture capture = WireCapture.start(pcNs, "veth-pc", pcap, WireCapture.WHOLE);
        final List<String> peersCommand = javaCommand(SipPeers.class.getName(), "pcscf-proxy", PCSCF, SCSCF);
        peersCommand.add(peersCommand.indexOf("-cp"), "-Desp4j.sippeers.mechanism=" + mechanism);
        final Process peers = pcNs.start("pcscf", peersCommand);
        final Path pcSocket = lab.pcSocket();
        final Path ueSocket = lab.ueSocket();
        final Process[] daemons = daemons(lab, UE, SipPeers.K, SipPeers.OPC);
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-READY", 60_000), pcNs.logText("pcscf"));

        final Path go = work.resolve("deregister.go");
        final List<String> clientCommand = javaCommand(SipPeers.class.getName(), "ue-register", UE, PCSCF, go.toString());
        clientCommand.add(clientCommand.indexOf("-cp"), "-Desp4j.sippeers.mechanism=" + mechanism);
        final Process client = ueNs.start("ue", clientCommand);
        if (!ueNs.awaitLog("ue", client, "UE-REGISTERED", 60_000))
        {
            fail("not registered:\n" + logs(ueNs, pcNs));
        }
        for (final Path socket : new Path[]{ pcSocket, ueSocket })
        {
            final String states = xfrm(socket, "state", "list", "--keys");
            for (final String spi : SPIS)
            {
                assertTrue(states.contains("spi " + spi), spi + " missing:\n" + states);
            }
            final long keyed = states.lines().filter(line -> line.contains("aead " + transform + " 0x" + key + " 128")).count();
            assertEquals(4, keyed, "every SA keyed with the Annex I key (Python):\n" + states);
        }

        Files.createFile(go);
        assertTrue(client.waitFor(60, TimeUnit.SECONDS) && client.exitValue() == 0 &&
            ueNs.logText("ue").contains("UE-DONE"), logs(ueNs, pcNs));
        assertTrue(pcNs.awaitLog("pcscf", peers, "PCSCF-DONE", 30_000), logs(ueNs, pcNs));
        SipBridgeEndToEndTest.awaitNoSas(pcSocket, pcNs);
        SipBridgeEndToEndTest.awaitNoSas(ueSocket, ueNs);
        for (final String side : new String[]{ "pc", "ue" })
        {
            final Map<String, Long> counters = TunDaemonEndToEndTest.readCounters(fixture.countersFile(side));
            assertEquals(2L, counters.getOrDefault("Esp4jInDelivered", 0L), side + ": two ESP messages in " + counters);
            for (final String drop : new String[]{ "XfrmInNoStates", "XfrmInStateProtoError", "XfrmInTmplMismatch" })
            {
                assertEquals(0L, counters.getOrDefault(drop, 0L), side + " " + drop + " in " + counters);
            }
        }
        capture.stop(UE);
        assertEquals(SIGTERM_EXIT, Netns.stop(daemons[0], 20_000), pcNs.logText("daemon"));
        assertEquals(SIGTERM_EXIT, Netns.stop(daemons[1], 20_000), ueNs.logText("daemon"));
        return pcap;
    }

    /** @return "SPI, ICV good, ICV bad, SIP CSeq" per ESP frame, as tshark 4.0 checks and decrypts them with the AES_GCM_KEY SAs. */
    private static List<String> tshark(final Path pcap) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(),
            "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"));
        for (final String[] sa : new String[][]{ { UE, PCSCF, SPIS[0] }, { PCSCF, UE, SPIS[1] },
            { PCSCF, UE, SPIS[2] }, { UE, PCSCF, SPIS[3] } })
        {
            command.addAll(List.of("-o", "uat:esp_sa:\"IPv6\",\"" + sa[0] + "\",\"" + sa[1] + "\",\"" + sa[2] +
                "\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x" + AES_GCM_KEY + "\",\"NULL\",\"\""));
        }
        command.addAll(List.of("-Y", "esp", "-T", "fields", "-e", "esp.spi", "-e", "esp.icv_good", "-e", "esp.icv_bad",
            "-e", "sip.CSeq"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, process.exitValue(), output);
        final List<String> frames = new ArrayList<>();
        output.lines().filter(line -> line.startsWith("0x")).forEach(frames::add);
        return frames;
    }

    private static String logs(final Netns ueNs, final Netns pcNs)
    {
        return "UE client:\n" + ueNs.logText("ue") + "\nUE daemon:\n" + ueNs.logText("daemon") +
            "\nP-CSCF peers:\n" + pcNs.logText("pcscf") + "\nP-CSCF daemon:\n" + pcNs.logText("daemon");
    }
}
