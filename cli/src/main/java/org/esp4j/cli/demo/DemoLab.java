package org.esp4j.cli.demo;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.cli.sip.SimCommand;
import org.esp4j.sip.sim.Subscriber;
import org.esp4j.core.text.Hex;
import org.esp4j.cli.control.ControlClient;
import org.esp4j.cli.run.RunCommand;
import org.esp4j.tun.routing.IpCommand;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's lab, as root: two network namespaces {@code esp4j-ue-PID} and {@code esp4j-pc-PID} joined by a veth
 * pair with the seed's addresses, in each an esp4j daemon ({@code run --sip-bridge ue|pcscf}, keys from a 0600
 * config file, never the command line) and a simulator ({@code sim ue|pcscf}), tcpdump on the UE's veth.
 * <p>
 * <b>Why child JVMs</b> ({@code ip netns exec NS java ... Esp4jMain run|sim}) rather than EspDaemon on threads that
 * {@code setns}: a network namespace belongs to a thread, but a JVM creates threads of its own (the daemon's agents,
 * NIO's, the common pool) which would start in the demo's namespace, and sockets opened on them would silently be in
 * the wrong one; a child process is in its namespace entirely. Each side is also then exactly what a user runs
 * ({@code ./esp4j run}, {@code ./esp4j sim}), a crash of one cannot take the demo down, and SIGTERM tears each down
 * through its own shutdown path (TUN, rules, nftables tables, counters file). The cost is JVM start-up, paid in
 * parallel and measured.
 * <p>
 * Everything is removed at the end, and the removal is checked; {@code --keep} leaves it and prints how to remove it.
 */
final class DemoLab implements AutoCloseable
{
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long EXCHANGE_TIMEOUT_MS = 90_000;
    private static final long STOP_TIMEOUT_MS = 20_000;
    private static final Pattern LADDER = Pattern.compile(
        "^\\s*([0-9.]+) ms  UE (sent|got)\\s+(UDP|TCP) \\[?([^\\]\\s]*)\\]?:(\\d+) -> \\[?([^\\]\\s]*)\\]?:(\\d+)  (.+?) " +
        "\\((\\d+) (\\S+)\\)\\s+(\\d+) B  (unprotected|SA spi (\\d+).*)$");

    private final DemoOptions options;
    private final PrintStream out;
    private final long id = ProcessHandle.current().pid();
    private final String ueNs = "esp4j-ue-" + id;
    private final String pcNs = "esp4j-pc-" + id;
    private final String ueVeth = "e4u" + id;
    private final String pcVeth = "e4p" + id;
    private final String ueAddress;
    private final String pcscfAddress;
    private final Path work;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private boolean kept;
    private boolean closed;

    /** Timings for the report: lab set-up, JVM start (to ready), exchange, first REGISTER to its 200 OK. */
    long setupMs;
    long jvmStartMs;
    long exchangeMs;
    double registerTo200Ms = -1;

    DemoLab(final DemoOptions options, final PrintStream out) throws IOException
    {
        this.options = options;
        this.out = out;
        this.ueAddress = options.ipv4() ? SimCommand.IPV4_UE : SimCommand.SEED_UE;
        this.pcscfAddress = options.ipv4() ? SimCommand.IPV4_PCSCF : SimCommand.SEED_PCSCF;
        this.work = Files.createTempDirectory("esp4j-demo-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /**
     * Run the demo.
     *
     * @return true when every step held.
     */
    boolean run() throws IOException, InterruptedException
    {
        final long t0 = System.nanoTime();
        build();
        final long t1 = System.nanoTime();
        setupMs = TimeUnit.NANOSECONDS.toMillis(t1 - t0);
        final Path pcap = capture();
        // 32 MiB: on a veth libpcap gives each whole packet a 64 KiB frame, so its default 2 MiB ring holds only 32
        // packets, and a burst while tcpdump waits for a CPU would be missing from the capture the checks read
        start("tcpdump", ueNs, List.of("tcpdump", "-i", ueVeth, "-w", pcap.toString(), "-U", "--immediate-mode", "-n",
            "-s", "0", "-B", "32768", "-Z", "root"));
        startDaemon("ue", ueNs, pcscfAddress);
        startDaemon("pc", pcNs, ueAddress);
        final List<String> pcscfArgs = new ArrayList<>(List.of("sim", "pcscf"));
        pcscfArgs.addAll(options.simArguments());
        start("sim-pcscf", pcNs, java(false, pcscfArgs));
        awaitLog("tcpdump", "listening on");
        awaitLog("daemon-ue", RunCommand.READY);
        awaitLog("daemon-pc", RunCommand.READY);
        awaitLog("sim-pcscf", "sim pcscf: listening");
        final long t2 = System.nanoTime();
        jvmStartMs = TimeUnit.NANOSECONDS.toMillis(t2 - t1);
        out.printf("lab: %s (UE %s) and %s (P-CSCF %s) over %s/%s, %s carrier; set up in %d ms, daemons and "
            + "P-CSCF ready in %d ms%n", ueNs, ueAddress, pcNs, pcscfAddress, ueVeth, pcVeth, options.carrier(),
            setupMs, jvmStartMs);

        final List<String> ueArgs = new ArrayList<>(List.of("sim", "ue"));
        ueArgs.addAll(options.simArguments());
        if (options.reregister() > 0)
        {
            ueArgs.addAll(List.of("--reregister", Integer.toString(options.reregister())));
        }
        final Path hold = work.resolve("deregister.go");
        if (options.deregister())
        {
            ueArgs.addAll(List.of("--deregister", "--hold", hold.toString()));
        }
        final Process ue = start("sim-ue", ueNs, java(false, ueArgs));
        final SaSnapshot snapshot = new SaSnapshot();
        Map<String, Map<String, Long>> dropsRegistered = null;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXCHANGE_TIMEOUT_MS);
        while (!ue.waitFor(5, TimeUnit.MILLISECONDS))
        {
            if (options.deregister() && dropsRegistered == null && log("sim-ue").contains("de-registering once"))
            {
                // registered: the tables and counters now, then let the UE de-register
                snapshot.poll();
                dropsRegistered = drops();
                Files.createFile(hold);
            }
            if (System.nanoTime() - deadline > 0)
            {
                ue.destroy();
                failures.add("the UE simulator did not finish within " + EXCHANGE_TIMEOUT_MS / 1000 + " s");
                break;
            }
        }
        if (!options.deregister())
        {
            snapshot.poll();
        }
        final long t3 = System.nanoTime();
        exchangeMs = TimeUnit.NANOSECONDS.toMillis(t3 - t2);
        if (ue.exitValue() != 0)
        {
            failures.add("the UE simulator failed (exit " + ue.exitValue() + ")");
        }

        final String ueLog = log("sim-ue");
        out.println();
        out.println("ladder (as the UE saw it; SPI of the SA that carries each message):");
        final List<Matcher> ladder = new ArrayList<>();
        for (final String line : ueLog.split("\n"))
        {
            final Matcher matcher = LADDER.matcher(line);
            if (matcher.matches())
            {
                ladder.add(matcher);
            }
            out.println("  " + line);
        }
        printTables(snapshot);
        final Map<String, Map<String, Long>> dropsEnd = drops();
        final boolean deregistered = dropsRegistered != null;
        for (final Map.Entry<String, Map<String, Long>> side : dropsEnd.entrySet())
        {
            final Map<String, Long> before = deregistered ?
                dropsRegistered.getOrDefault(side.getKey(), Map.of()) : side.getValue();
            before.forEach((name, value) ->
                failures.add(side.getKey() + " daemon counted " + name + " " + value + " (a drop) before " +
                    (options.deregister() ? "the de-registration" : "the end")));
            side.getValue().forEach((name, value) ->
            {
                final long after = value - before.getOrDefault(name, 0L);
                if (after > 0 && deregistered)
                {
                    out.println(side.getKey() + " daemon: " + name + " +" + after + " after the de-registration " +
                        "removed the SAs (the TCP connection's last segments, dropped: fail closed)");
                }
            });
        }

        stopProcess("tcpdump");
        checkWire(pcap, ladder);
        registerTo200Ms = registerTo200(ladder);
        out.println();
        out.println("capture: " + pcap + " (" + options.carrier() + " ESP between the namespaces)");
        out.println("Wireshark esp_sa lines (Preferences > Protocols > ESP > ESP SAs, or ~/.config/wireshark/esp_sa):");
        for (final String line : snapshot.wiresharkLines())
        {
            out.println("  " + line);
        }
        out.printf("timing: lab set-up %d ms, JVM start to ready %d ms, exchange %d ms, first REGISTER to 200 OK %.1f ms%n",
            setupMs, jvmStartMs, exchangeMs, registerTo200Ms);
        if (options.keep())
        {
            kept = true;
            printKeep();
        }
        for (final String failure : failures)
        {
            out.println("FAILED: " + failure);
        }
        return failures.isEmpty();
    }

    /** The non-zero Xfrm* (drop) counters of each daemon; prints all non-zero counters. */
    private Map<String, Map<String, Long>> drops()
    {
        final Map<String, Map<String, Long>> drops = new LinkedHashMap<>();
        for (final String[] side : new String[][]{ { "UE", "ue" }, { "P-CSCF", "pc" } })
        {
            final Map<String, Long> nonZero = new LinkedHashMap<>();
            for (final String line : control(side[1], "stat").split("\n"))
            {
                final String[] words = line.trim().split("\\s+");
                if (words.length == 2 && words[0].startsWith("Xfrm") && !words[1].equals("0"))
                {
                    nonZero.put(words[0], Long.parseLong(words[1]));
                }
            }
            drops.put(side[0], nonZero);
        }
        return drops;
    }

    void build() throws IOException
    {
        final IpCommand ip = new IpCommand();
        ip.check("netns", "add", ueNs);
        ip.check("netns", "add", pcNs);
        final IpCommand ue = IpCommand.inNamespace(ueNs);
        final IpCommand pc = IpCommand.inNamespace(pcNs);
        ue.check("link", "set", "lo", "up");
        pc.check("link", "set", "lo", "up");
        ue.check("link", "add", ueVeth, "type", "veth", "peer", "name", pcVeth, "netns", pcNs);
        final String family = options.ipv4() ? "-4" : "-6";
        final String host = options.ipv4() ? "/32" : "/128";
        final String[] nodad = options.ipv4() ? new String[0] : new String[]{ "nodad" };
        ue.check(concat(new String[]{ family, "addr", "add", ueAddress + host, "dev", ueVeth }, nodad));
        pc.check(concat(new String[]{ family, "addr", "add", pcscfAddress + host, "dev", pcVeth }, nodad));
        ue.check("link", "set", ueVeth, "up");
        pc.check("link", "set", pcVeth, "up");
        ue.check(family, "route", "add", pcscfAddress + host, "dev", ueVeth);
        pc.check(family, "route", "add", ueAddress + host, "dev", pcVeth);
    }

    private static String[] concat(final String[] a, final String[] b)
    {
        final String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private void startDaemon(final String side, final String netns, final String peer) throws IOException
    {
        final Subscriber subscriber = Subscriber.testSet1();
        startDaemon(side, netns, peer + (options.ipv4() ? "/32" : "/128"), List.of(
            // The packet ring hands each SA change over from the raw socket by widening first, which can deliver a
            // packet twice (the replay window drops the copy, as XfrmInStateSeqError): with SAs changing at every
            // step of the exchange that would blur the demo's check that nothing was dropped. Four messages a second
            // need no ring.
            "carrier.ring=off",
            "sip.k=" + Hex.encode(subscriber.k()),
            "sip.opc=" + Hex.encode(subscriber.opc())));
    }

    /**
     * Start a daemon in the lab (its config in a 0600 file, never on the command line).
     *
     * @param side   {@code ue} or {@code pc}: its role, log, socket and counters file.
     * @param netns  its namespace.
     * @param steer  the prefix it steers.
     * @param config more config lines (keys, carrier.ring, ...).
     * @throws IOException when it cannot be started.
     */
    void startDaemon(final String side, final String netns, final String steer, final List<String> config)
        throws IOException
    {
        final Path file = work.resolve(side + ".conf");
        Files.writeString(file, "", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final List<String> lines = new ArrayList<>(List.of(
            "tun.name=esp4j0",
            "carrier=" + options.carrier(),
            "steer=" + steer,
            "counters.file=" + countersFile(side),
            "control.socket=" + socket(side),
            "sip.role=" + (side.equals("ue") ? "ue" : "pcscf")));
        lines.addAll(config);
        lines.add("");
        Files.writeString(file, String.join("\n", lines), StandardCharsets.US_ASCII);
        start("daemon-" + side, netns, java(true, List.of("run", "--config", file.toString())));
    }

    /** The capture outlives the lab, for Wireshark. */
    Path capture()
    {
        return Path.of(System.getProperty("java.io.tmpdir"), "esp4j-demo-" + id + ".pcap");
    }

    private Path countersFile(final String side)
    {
        return Path.of("/dev/shm/esp4j-demo-" + id + "-" + side + ".counters");
    }

    private Path socket(final String side)
    {
        return work.resolve(side + ".sock");
    }

    List<String> java(final boolean daemon, final List<String> args)
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of("--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        if (daemon && Runtime.version().feature() >= 21)
        {
            command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.esp4j.cli.Esp4jMain"));
        command.addAll(args);
        return command;
    }

    Process start(final String name, final String netns, final List<String> command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(command);
        final Process process = new ProcessBuilder(full).redirectErrorStream(true)
            .redirectOutput(work.resolve(name + ".log").toFile()).start();
        processes.put(name, process);
        return process;
    }

    String log(final String name)
    {
        try
        {
            return Files.readString(work.resolve(name + ".log"), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    void awaitLog(final String name, final String text) throws IOException, InterruptedException
    {
        final Process process = processes.get(name);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!log(name).contains(text))
        {
            if (!process.isAlive() || System.nanoTime() - deadline > 0)
            {
                throw new IOException(name + " did not start (" + (process.isAlive() ? "timeout" : "exit " +
                    process.exitValue()) + "):\n" + log(name));
            }
            Thread.sleep(5);
        }
    }

    String control(final String side, final String... words)
    {
        final List<String> args = new ArrayList<>(List.of(words));
        args.addAll(List.of("--socket", socket(side).toString()));
        final ByteArrayOutputStream text = new ByteArrayOutputStream();
        final PrintStream print = new PrintStream(text, true, StandardCharsets.UTF_8);
        final String[] rest = args.subList(1, args.size()).toArray(new String[0]);
        final int status = words[0].equals("stat") ? ControlClient.runStat(rest, print, print) :
            ControlClient.runXfrm(rest, print, print);
        return status == 0 ? text.toString(StandardCharsets.UTF_8) : "";
    }

    /** The SA tables and per-SA counters while the four SAs are up (a de-registration removes them at the end). */
    private final class SaSnapshot
    {
        String ueStates = "";
        String pcStates = "";
        String ueStats = "";
        String pcStats = "";
        final List<String> lines = new ArrayList<>();

        void poll()
        {
            final String ue = control("ue", "xfrm", "state", "list");
            final String pc = control("pc", "xfrm", "state", "list");
            if (count(ue) >= 4 && count(pc) >= 4)
            {
                ueStates = ue;
                pcStates = pc;
                ueStats = control("ue", "stat", "--sa");
                pcStats = control("pc", "stat", "--sa");
                final String keyed = control("ue", "xfrm", "state", "list", "--keys");
                if (!keyed.isEmpty())
                {
                    lines.clear();
                    lines.addAll(EspSaLines.fromStateList(keyed));
                }
            }
        }

        List<String> wiresharkLines()
        {
            return lines;
        }

        private int count(final String states)
        {
            return states.split("proto esp spi", -1).length - 1;
        }
    }

    private void printTables(final SaSnapshot snapshot)
    {
        out.println();
        out.println("UE daemon SAs (while registered):");
        out.print(indent(snapshot.ueStates));
        out.print(indent(perSa(snapshot.ueStats)));
        out.println("P-CSCF daemon SAs (while registered):");
        out.print(indent(snapshot.pcStates));
        out.print(indent(perSa(snapshot.pcStats)));
        if (snapshot.ueStates.isEmpty() || snapshot.pcStates.isEmpty())
        {
            failures.add("the daemons never both held the four SAs");
        }
    }

    /** One line per SA from {@code stat --sa}: SPI, packets, bytes, replay and integrity failures. */
    static String perSa(final String stats)
    {
        final StringBuilder lines = new StringBuilder();
        String spi = null;
        String current = null;
        boolean nextIsCurrent = false;
        for (final String raw : stats.split("\n"))
        {
            final String line = raw.trim();
            if (line.startsWith("proto esp spi "))
            {
                spi = line.split("\\s+")[3];
            }
            else if (line.equals("lifetime current:"))
            {
                nextIsCurrent = true;
                continue;
            }
            else if (nextIsCurrent)
            {
                current = line;
            }
            else if (line.startsWith("replay-window") && line.contains(" failed ") && spi != null)
            {
                lines.append("counters spi ").append(spi).append(": ").append(current).append(", ").append(line)
                    .append('\n');
                spi = null;
            }
            nextIsCurrent = false;
        }
        return lines.toString();
    }

    private static String indent(final String text)
    {
        return text.isEmpty() ? "  (none)\n" : text.replaceAll("(?m)^", "  ");
    }

    /** The capture against the ladder (see {@link WireCheck}). */
    private void checkWire(final Path pcap, final List<Matcher> ladder) throws IOException
    {
        final List<WireCheck.Expected> expected = new ArrayList<>(ladder.size());
        for (final Matcher line : ladder)
        {
            expected.add(new WireCheck.Expected(line.group(2).equals("sent"), Integer.parseInt(line.group(5)),
                Integer.parseInt(line.group(7)), line.group(8), line.group(9) + " " + line.group(10),
                line.group(13) == null ? -1 : Long.parseLong(line.group(13))));
        }
        final boolean nullCipher = options.ealg() == EncryptionAlgorithm.NULL;
        final WireCheck check = WireCheck.check(WirePacket.read(pcap, 12, nullCipher), expected,
            java.net.InetAddress.getByName(ueAddress), nullCipher, options.deregister(), "veth");
        failures.addAll(check.failures());
        out.println();
        out.println(check.summary(pcap));
    }

    private static double registerTo200(final List<Matcher> ladder)
    {
        double first = -1;
        for (final Matcher line : ladder)
        {
            if (first < 0 && line.group(8).equals("REGISTER"))
            {
                first = Double.parseDouble(line.group(1));
            }
            else if (first >= 0 && line.group(8).startsWith("200") && line.group(10).equals("REGISTER"))
            {
                return Double.parseDouble(line.group(1)) - first;
            }
        }
        return -1;
    }

    private void printKeep()
    {
        final String self = "./esp4j";
        out.println();
        out.println("the lab is left running (--keep):");
        out.println("  sudo ip netns exec " + ueNs + " " + self + " stat --sa --socket " + socket("ue"));
        out.println("  sudo ip netns exec " + pcNs + " " + self + " xfrm state list --socket " + socket("pc"));
        out.println("  sudo ip netns exec " + ueNs + " " + self + " sim ue" + (options.ipv4() ? " --ipv4" : "") +
            " --reregister 1 --deregister    # register again");
        out.println("  sudo ip netns exec " + ueNs + " tcpdump -ni " + ueVeth + " esp or udp port 4500 or port 5060");
        final StringBuilder pids = new StringBuilder();
        processes.forEach((name, process) ->
        {
            if (process.isAlive())
            {
                pids.append(' ').append(process.pid());
            }
        });
        out.println("remove it with:");
        out.println("  sudo kill" + pids + "; sleep 2; sudo ip netns del " + ueNs + "; sudo ip netns del " + pcNs +
            "; sudo rm -rf " + work + " /dev/shm/esp4j-demo-" + id + "-*.counters");
    }

    void stopProcess(final String name) throws InterruptedException
    {
        final Process process = processes.get(name);
        if (process == null || !process.isAlive())
        {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            failures.add(name + " did not stop on SIGTERM within " + STOP_TIMEOUT_MS / 1000 + " s");
        }
    }

    /**
     * Stop every process (SIGTERM, the daemons clean up after themselves), delete the namespaces and check that
     * nothing is left: no namespace, process, counters file or control socket.
     */
    public synchronized void close()
    {
        if (kept || closed)
        {
            return;
        }
        closed = true;
        try
        {
            for (final String name : List.copyOf(processes.keySet()))
            {
                stopProcess(name);
            }
            final IpCommand ip = new IpCommand();
            ip.run("netns", "del", ueNs);
            ip.run("netns", "del", pcNs);
            final String left = ip.run("netns", "list").output();
            if (left.contains(ueNs) || left.contains(pcNs))
            {
                failures.add("namespaces left behind: " + left.trim());
            }
            for (final String side : new String[]{ "ue", "pc" })
            {
                if (Files.deleteIfExists(countersFile(side)))
                {
                    failures.add("the " + side + " daemon left its counters file");
                }
            }
            for (final Process process : processes.values())
            {
                if (process.isAlive())
                {
                    failures.add("process " + process.pid() + " left running");
                }
            }
            if (!Boolean.getBoolean("esp4j.demo.keepFiles"))
            {
                try (java.util.stream.Stream<Path> files = Files.walk(work))
                {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        }
        catch (final IOException | InterruptedException ex)
        {
            failures.add("tear-down: " + ex.getMessage());
        }
    }

    /**
     * @return what failed during the tear-down (empty when all was removed).
     */
    List<String> failures()
    {
        return failures;
    }

    Path work()
    {
        return work;
    }

    /** @return the UE side's namespace. */
    String ueNs()
    {
        return ueNs;
    }

    /** @return the P-CSCF side's namespace. */
    String pcNs()
    {
        return pcNs;
    }

    /** @return the UE side's end of the veth. */
    String ueVeth()
    {
        return ueVeth;
    }

    /** @return the UE side's address on the veth. */
    String ueAddress()
    {
        return ueAddress;
    }

    /** @return the P-CSCF side's address on the veth. */
    String pcscfAddress()
    {
        return pcscfAddress;
    }
}
