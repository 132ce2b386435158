package org.esp4j.cli.demo;

import org.esp4j.tun.RootAssumptions;
import org.esp4j.cli.run.RunCommand;
import org.esp4j.tun.routing.IpCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A UE farm ({@code esp4j sim ue --ues 200}) behind a UE-role daemon against {@code esp4j sim pcscf --ues 200} behind
 * a P-CSCF-role daemon, in the demo's two namespaces ({@link DemoLab}): every UE on its own address of a /64 on the
 * UE's veth, with its own derived subscriber, which both daemons' SIP bridges know from the same subscriber file
 * ({@code sip.subscribers}); registration, one re-registration and de-registration of all, 0 failures. Afterwards
 * both daemons hold 0 SAs, 0 policies (once the de-registered flows' 32 s fail-closed linger is over) and 0
 * elements in their nftables maps and sets, and no farm address is left on the veth.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UeFarmEndToEndTest
{
    private static final int UES = 200;
    private static final String PREFIX = "2001:db8:4700::/64";
    private static final long FARM_TIMEOUT_MS = 120_000;
    /** The de-registered flows' policies linger 64*T1 = 32 s (fail closed); then they go. */
    private static final long STATE_GONE_TIMEOUT_MS = 60_000;

    @Test
    void shouldRegisterReregisterAndDeregister200UesThroughBothDaemonsAndLeaveNoState() throws Exception
    {
        RootAssumptions.assumeRootOrCi();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (DemoLab lab = new DemoLab(DemoOptions.parse(new String[0]), out))
        {
            lab.build();
            IpCommand.inNamespace(lab.pcNs()).check("-6", "route", "add", PREFIX, "via", lab.ueAddress());
            final Path subscribers = lab.work().resolve("farm.subscribers");
            Files.writeString(subscribers, "", StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(subscribers, PosixFilePermissions.fromString("rw-------"));
            // test set 1 (K, OPc, SQN, AMF) as subscriber 0, the 199 others derived from it
            Files.writeString(subscribers, "impi = 001010123456789@ims.mnc01.mcc001.3gppnetwork.org\ncount = " + UES +
                "\n", StandardCharsets.US_ASCII);
            lab.startDaemon("ue", lab.ueNs(), lab.pcscfAddress() + "/128",
                List.of("carrier.ring=off", "sip.subscribers=" + subscribers));
            lab.startDaemon("pc", lab.pcNs(), PREFIX, List.of("sip.subscribers=" + subscribers));
            lab.start("sim-pcscf", lab.pcNs(), lab.java(false, List.of("sim", "pcscf", "--ues", Integer.toString(UES),
                "--subscriber", subscribers.toString())));
            lab.awaitLog("daemon-ue", RunCommand.READY);
            lab.awaitLog("daemon-pc", RunCommand.READY);
            lab.awaitLog("sim-pcscf", "sim pcscf: listening");

            final Process farm = lab.start("sim-ue", lab.ueNs(), lab.java(false, List.of("sim", "ue",
                "--ues", Integer.toString(UES), "--ue-prefix", PREFIX, "--ue-dev", lab.ueVeth(),
                "--subscriber", subscribers.toString(), "--concurrency", "50",
                "--reregister", "1", "--timeout", Long.toString(FARM_TIMEOUT_MS / 1000))));
            assertTrue(farm.waitFor(FARM_TIMEOUT_MS + 20_000, TimeUnit.MILLISECONDS), lab.log("sim-ue"));
            final String farmLog = lab.log("sim-ue");
            assertEquals(0, farm.exitValue(), farmLog + "\n" + lab.log("daemon-ue"));
            assertTrue(farmLog.contains(UES + " registered, " + UES + " re-registrations, " + UES +
                " de-registered, 0 failed"), farmLog);
            assertTrue(farmLog.contains("time-to-200 p50"), farmLog);

            // no farm address left on the veth
            final String addresses = IpCommand.inNamespace(lab.ueNs()).check("-6", "addr", "show", "dev",
                lab.ueVeth()).output();
            assertFalse(addresses.contains("2001:db8:4700:"), addresses);

            // 0 SAs, 0 policies, 0 map and set elements, on both sides
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STATE_GONE_TIMEOUT_MS);
            List<String> left = stateLeft(lab);
            while (!left.isEmpty() && System.nanoTime() - deadline < 0)
            {
                TimeUnit.MILLISECONDS.sleep(200);
                left = stateLeft(lab);
            }
            assertEquals(List.of(), left, "state left after the de-registration of all");
        }
        finally
        {
            System.out.println(bytes.toString(StandardCharsets.UTF_8));
        }
    }

    /** What either daemon still holds: SAs, policies, nftables map/set elements (empty when nothing). */
    private static List<String> stateLeft(final DemoLab lab) throws Exception
    {
        final List<String> left = new ArrayList<>();
        for (final String[] side : new String[][]{ { "ue", lab.ueNs() }, { "pc", lab.pcNs() } })
        {
            final String sad = lab.control(side[0], "xfrm", "state", "count");
            final Matcher sas = Pattern.compile("SAD count (\\d+)").matcher(sad);
            if (!sas.find() || !sas.group(1).equals("0"))
            {
                left.add(side[0] + ": " + sad.strip());
            }
            final String spd = lab.control(side[0], "xfrm", "policy", "count");
            if (!spd.matches("(?s).*SPD IN\\s+0 OUT\\s+0 FWD\\s+0.*"))
            {
                left.add(side[0] + ": " + spd.strip());
            }
            final String nft = new IpCommand().run("netns", "exec", side[1], "nft", "-j", "list", "ruleset").output();
            if (nft.contains("\"elem\""))
            {
                left.add(side[0] + ": nft elements left: " + nft.substring(0, Math.min(400, nft.length())));
            }
        }
        return left;
    }
}
