package org.esp4j.cli.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.PCSCF;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SIGTERM_EXIT;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.UE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A P-CSCF daemon ({@code --sip-bridge pcscf}) under a flood of unsolicited TCP segments to 5060 from 2,000 source
 * ports (the flood, which grew an unbounded daemon's live heap from 6 to 136 MB): each port starts a SIP
 * REGISTER that announces a 200,000-byte body, and 300 of them send 100 segments of 1,400 bytes, more than a flow may
 * buffer. The reassembly state stays within its caps (a small entry per flow, 256 buffers of 128 KiB at most), the
 * evictions and overflows are counted, and the daemon's live heap after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}) stays under
 * {@value #LIVE_HEAP_LIMIT_MIB} MiB.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SipTcpFloodEndToEndTest extends SipLabTest
{
    /** 32 MiB of reassembly buffers at most, the daemon's own few MiB, and room for the collector's rounding. */
    static final int LIVE_HEAP_LIMIT_MIB = 48;
    private static final int FLOOD_PORTS = 2000;
    private static final int OVERFLOW_PORTS = 40;
    private static final int SEGMENT_BYTES = 1400;

    @Test
    void shouldKeepThePcscfDaemonsLiveHeapBoundedUnderATcpSegmentFloodFrom2000Ports() throws Exception
    {
        final Lab lab = lab("flood");
        final Netns ueNs = lab.ueNs();
        final Netns pcNs = lab.pcNs();
        final Process daemon = pcscfDaemon(lab, UE);
        final long before = liveHeapKib(daemon);

        // 2,000 flows of one segment each; 40 flows of 100 segments (140,000 bytes: past the per-flow cap); then 256
        // flows of 90 segments (126,000 bytes each: just under it), so the state is at its largest when measured
        flood(ueNs, 20000, FLOOD_PORTS, 1);
        flood(ueNs, 30000, OVERFLOW_PORTS, 100);
        flood(ueNs, 40000, 256, 90);
        awaitSnifferDrained(pcNs);
        final Map<String, Long> counters = awaitPublished();

        final long after = liveHeapKib(daemon);
        final String figures = "live heap " + before + " KiB before, " + after + " KiB after the flood; " +
            "TunSipTcpFlows " + counters.get("TunSipTcpFlows") + ", TunSipTcpBufferedBytes " +
            counters.get("TunSipTcpBufferedBytes") + ", TunSipTcpFlowsEvicted " + counters.get("TunSipTcpFlowsEvicted") +
            ", TunSipTcpFlowsOverflowed " + counters.get("TunSipTcpFlowsOverflowed") + "; raw socket drops " +
            rawTcpDrops(pcNs);
        System.out.println("SipTcpFloodEndToEndTest: " + figures);
        assertTrue(counters.get("TunSipTcpFlows") <= FLOOD_PORTS + OVERFLOW_PORTS + 256, figures);
        assertTrue(counters.get("TunSipTcpBufferedBytes") <= 256L * 128 * 1024, figures);
        assertTrue(counters.get("TunSipTcpFlowsEvicted") >= FLOOD_PORTS, "the flood reached the bridge (buffers evicted " +
            "beyond 256): " + figures);
        assertEquals(OVERFLOW_PORTS, counters.get("TunSipTcpFlowsOverflowed"), "flows past the per-flow cap: " + figures);
        assertTrue(counters.get("TunSipTcpBufferedBytes") >= 256L * 120_000, "the state at its largest: " + figures);
        assertTrue(after < LIVE_HEAP_LIMIT_MIB * 1024L, figures);

        assertEquals(SIGTERM_EXIT, Netns.stop(daemon, 20_000), pcNs.logText("daemon"));
    }

    /**
     * Send from {@code ports} source ports {@code segments} segments each (sip-tcp-flood.py), and then, when given,
     * one {@code end} segment on each port: syn, rst or fin.
     */
    static void flood(final Netns ueNs, final int firstPort, final int ports, final int segments, final String... end)
        throws Exception
    {
        final List<String> command = new java.util.ArrayList<>(List.of("python3", script().toString(), UE, PCSCF,
            "5060", Integer.toString(firstPort), Integer.toString(ports), Integer.toString(segments),
            Integer.toString(SEGMENT_BYTES)));
        command.addAll(List.of(end));
        final Process flood = ueNs.start("flood-" + firstPort, command);
        if (!flood.waitFor(90, TimeUnit.SECONDS) || flood.exitValue() != 0)
        {
            fail("flood: " + ueNs.logText("flood-" + firstPort));
        }
        assertTrue(ueNs.logText("flood-" + firstPort).contains("sent " + ports * segments), ueNs.logText("flood-" + firstPort));
    }

    /** Until the sniffer's raw TCP sockets have nothing queued (the kernel's {@code /proc/net/raw6}, rx_queue). */
    static void awaitSnifferDrained(final Netns pcNs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String raw = "";
        while (System.nanoTime() - deadline < 0)
        {
            raw = proc(pcNs, "/proc/net/raw6");
            if (rawTcpQueued(raw) == 0)
            {
                return;
            }
            Thread.sleep(50);
        }
        fail("the sniffer did not drain its sockets:\n" + raw + "\n" + pcNs.logText("daemon"));
    }

    /** @return bytes queued on the raw IPv6 TCP sockets. */
    private static long rawTcpQueued(final String raw)
    {
        long queued = 0;
        for (final String line : raw.lines().skip(1).toList())
        {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length > 4 && fields[1].endsWith(":0006"))
            {
                queued += Long.parseLong(fields[4].substring(fields[4].indexOf(':') + 1), 16);
            }
        }
        return queued;
    }

    private static long rawTcpDrops(final Netns pcNs) throws Exception
    {
        long drops = 0;
        for (final String line : proc(pcNs, "/proc/net/raw6").lines().skip(1).toList())
        {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length > 12 && fields[1].endsWith(":0006"))
            {
                drops += Long.parseLong(fields[fields.length - 1]);
            }
        }
        return drops;
    }

    private static String proc(final Netns netns, final String file) throws Exception
    {
        return new org.esp4j.tun.routing.IpCommand().check("netns", "exec", netns.name(), "cat", file).output();
    }

    /** The counters once the sniffer's once-a-second publication has caught up (two equal readings 1.2 s apart). */
    private Map<String, Long> awaitPublished() throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<String, Long> previous = TunDaemonEndToEndTest.readCounters(fixture.countersFile("pc"));
        while (System.nanoTime() - deadline < 0)
        {
            Thread.sleep(1200);
            final Map<String, Long> now = TunDaemonEndToEndTest.readCounters(fixture.countersFile("pc"));
            if (now.get("TunSipTcpFlowsEvicted") > 0 && now.get("TunSipTcpFlowsEvicted").equals(previous.get("TunSipTcpFlowsEvicted")) &&
                now.get("TunSipTcpFlowsOverflowed").equals(previous.get("TunSipTcpFlowsOverflowed")))
            {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    /** The daemon's live heap in KiB: a full GC, then the generations' "used" from {@code jcmd GC.heap_info}. */
    private static long liveHeapKib(final Process daemon) throws Exception
    {
        jcmd(daemon, "GC.run");
        final String info = jcmd(daemon, "GC.heap_info");
        long used = 0;
        final Matcher generation = Pattern.compile("(?m)^\\s*\\S.*generation\\s+total \\d+K, used (\\d+)K").matcher(info);
        while (generation.find())
        {
            used += Long.parseLong(generation.group(1));
        }
        assertTrue(used > 0, "GC.heap_info:\n" + info);
        return used;
    }

    private static String jcmd(final Process daemon, final String command) throws Exception
    {
        final Path java = Path.of(TunDaemonEndToEndTest.javaExecutable());
        final Process jcmd = new ProcessBuilder(java.resolveSibling("jcmd").toString(), Long.toString(daemon.pid()),
            command).redirectErrorStream(true).start();
        final String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(jcmd.waitFor(60, TimeUnit.SECONDS) && jcmd.exitValue() == 0, "jcmd " + command + ": " + output);
        return output;
    }

    /** sip-tcp-flood.py from the test resources. */
    private static Path script() throws Exception
    {
        final Path script = Path.of(SipTcpFloodEndToEndTest.class.getResource("/e2e/sip-tcp-flood.py").toURI());
        assertTrue(Files.isRegularFile(script), script.toString());
        return script;
    }
}
