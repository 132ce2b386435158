package org.esp4j.cli.e2e;

import org.esp4j.core.pcap.PcapFrame;
import org.esp4j.core.pcap.PcapReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tcpdump on a device of a test's namespace, the one way the end-to-end tests capture the wire, so that a capture
 * that lost packets cannot pass for one that shows none were sent:
 * <ul>
 *   <li>a snap length that fits: {@link #HEADERS} where a test reads headers only, {@link #WHOLE} for whole
 *   packets. With {@code --immediate-mode} libpcap's ring (TPACKET_V2) has frames of a fixed size, set by the snap
 *   length or, on a device with offloads on (a veth), by a 64 KiB packet: with all bytes ({@code -s 0}) a 2 MiB ring
 *   holds 32 packets, and a burst that comes while tcpdump waits for a CPU is "dropped by kernel". Every capture gets
 *   a 32 MiB ring ({@code -B}): 16,384 whole packets, far more headers;</li>
 *   <li>a wait on the capture's content, never a sleep: {@link #awaitFrames} (until it holds what the test expects)
 *   or {@link #stop(String)} (until a marker sent after the traffic is in the file);</li>
 *   <li>{@link #stop} fails the test when tcpdump reports packets "dropped by kernel" (or does not report), and, for
 *   {@link #WHOLE}, when a frame was cut to the snap length.</li>
 * </ul>
 */
final class WireCapture
{
    /** Bytes kept per packet where a test reads addresses, ports, ESP header and IV only. */
    static final int HEADERS = 128;
    /**
     * Bytes kept per packet for whole packets on the labs' veths (MTU 1500): a frame longer than this (an offload
     * super-packet) fails {@link #stop}, since the test would read a cut packet.
     */
    static final int WHOLE = 2048;
    /** How long {@link #stop(String)} waits for its marker: a loaded 2-core host may be seconds behind. */
    static final long FLUSH_TIMEOUT_MS = 30_000;
    /** tcpdump's kernel ring, in KiB ({@code -B}). */
    private static final String RING_KIB = "32768";

    private final Netns netns;
    private final Process tcpdump;
    private final Path file;
    private final int snapLength;
    private final String logName;

    private WireCapture(final Netns netns, final Process tcpdump, final Path file, final int snapLength,
        final String logName)
    {
        this.netns = netns;
        this.tcpdump = tcpdump;
        this.file = file;
        this.snapLength = snapLength;
        this.logName = logName;
    }

    /**
     * Start tcpdump on {@code device} of the namespace (log {@code tcpdump}) and wait until it listens.
     *
     * @param snapLength {@link #HEADERS} or {@link #WHOLE}.
     */
    static WireCapture start(final Netns netns, final String device, final Path file, final int snapLength)
        throws IOException, InterruptedException
    {
        final String logName = "tcpdump";
        final Process tcpdump = netns.start(logName, List.of("tcpdump", "-i", device, "-w", file.toString(), "-U",
            "--immediate-mode", "-n", "-s", Integer.toString(snapLength), "-B", RING_KIB, "-Z", "root"));
        assertTrue(netns.awaitLog(logName, tcpdump, "listening on", 60_000), "tcpdump did not start: " +
            netns.logText(logName));
        return new WireCapture(netns, tcpdump, file, snapLength, logName);
    }

    /** @return the capture file (complete once {@link #stop} returned). */
    Path file()
    {
        return file;
    }

    /**
     * Wait until the capture holds {@code count} frames that {@code which} accepts (what the test expects on the
     * wire), or the timeout passes.
     *
     * @return how many it holds (the caller asserts, with its own message).
     */
    int awaitFrames(final Predicate<PcapFrame> which, final int count, final long timeoutMs)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int found;
        while ((found = frames(which)) < count && System.nanoTime() - deadline < 0 && tcpdump.isAlive())
        {
            Thread.sleep(10);
        }
        return found;
    }

    /** @return frames {@code which} accepts in the file tcpdump is writing (its last record may be half written). */
    int frames(final Predicate<PcapFrame> which)
    {
        int found = 0;
        try (PcapReader reader = new PcapReader(file))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                found += which.test(frame) ? 1 : 0;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // a record being written, or no file header yet: what was whole is counted
        }
        return found;
    }

    /** Frames of IPv4 or IPv6 packets whose (first) next header is {@code protocol}, e.g. 50 for ESP. */
    static Predicate<PcapFrame> ipProtocol(final int protocol)
    {
        return frame ->
        {
            final int at = frame.networkOffset();
            if (at < 0 || frame.length() - at < 20)
            {
                return false;
            }
            final int version = (frame.data()[at] >> 4) & 0xF;
            return version == 4 ? (frame.data()[at + 9] & 0xFF) == protocol :
                version == 6 && frame.length() - at >= 40 && (frame.data()[at + 6] & 0xFF) == protocol;
        };
    }

    /**
     * Stop once everything sent before this call is in the file, then check it lost nothing. A tcpdump stopped by a
     * signal writes only what it has taken from the kernel, and on a busy host it may be seconds behind: so first
     * send marker datagrams (UDP to the discard port of {@code peer}, from bash's {@code /dev/udp}, in clear) until
     * one is in the file. The capture socket keeps the order in which packets passed, so what was sent before the
     * marker is in the file before it.
     *
     * @param peer an address reachable from the namespace past the captured device, in clear.
     * @return tcpdump's own account ({@code packets captured / received by filter / dropped by kernel}).
     * @throws AssertionError if the marker never reached the file, or as {@link #stop()}.
     */
    String stop(final String peer) throws IOException, InterruptedException
    {
        final long timeoutMs = FLUSH_TIMEOUT_MS;
        final String marker = "esp4j-capture-marker-" + System.nanoTime();
        final byte[] markerBytes = marker.getBytes(StandardCharsets.US_ASCII);
        final String target = "/dev/udp/" + peer + "/9";
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean captured = false;
        while (!captured && System.nanoTime() < deadline && tcpdump.isAlive())
        {
            final Process send = new ProcessBuilder("ip", "netns", "exec", netns.name(), "bash", "-c",
                "printf %s \"$1\" > \"$2\"", "marker", marker, target).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            send.waitFor(10, TimeUnit.SECONDS);
            // the marker is sent again every 200 ms, should one be lost (neighbour discovery)
            final long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (!(captured = contains(file, markerBytes)) && System.nanoTime() < next)
            {
                Thread.sleep(10);
            }
        }
        if (!captured)
        {
            Netns.stop(tcpdump, 10_000);
            throw new AssertionError("the capture " + file + " did not get the marker datagram within " + timeoutMs +
                " ms: " + netns.logText(logName));
        }
        return stop();
    }

    /**
     * Stop (SIGTERM: tcpdump writes out what it holds, then its counts) and check the capture is complete: no packet
     * "dropped by kernel" (its ring full while it waited for a CPU), and with {@link #WHOLE} no frame cut. Call it
     * once the file holds what the test waits for ({@link #awaitFrames}), or use {@link #stop(String)}.
     *
     * @return tcpdump's own account ({@code packets captured / received by filter / dropped by kernel}).
     * @throws AssertionError if the capture lost packets or tcpdump did not say.
     */
    String stop() throws IOException, InterruptedException
    {
        Netns.stop(tcpdump, 10_000);
        final String log = netns.logText(logName);
        final String account = log.lines().filter(line -> line.contains("packets"))
            .collect(Collectors.joining(", "));
        if (log.lines().noneMatch(line -> line.equals("0 packets dropped by kernel")))
        {
            throw new AssertionError("the capture " + file + " lost packets (or tcpdump did not say): tcpdump " +
                "reported \"" + account + "\"; a test cannot show what was not on the wire from it");
        }
        if (snapLength != HEADERS)
        {
            final int cut = cutFrames();
            if (cut > 0)
            {
                throw new AssertionError(cut + " frame(s) of " + file + " longer than the snap length " + snapLength +
                    " (an offload super-packet on the wire?): the test reads whole packets");
            }
        }
        return account;
    }

    private int cutFrames() throws IOException
    {
        int cut = 0;
        try (PcapReader reader = new PcapReader(file))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                cut += frame.capturedLength() < frame.originalLength() ? 1 : 0;
            }
        }
        return cut;
    }

    private static boolean contains(final Path file, final byte[] what) throws IOException
    {
        final byte[] data = Files.readAllBytes(file);
        outer:
        for (int i = data.length - what.length; i >= 0; i--)
        {
            for (int j = 0; j < what.length; j++)
            {
                if (data[i + j] != what[j])
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
