package org.esp4j.tun.daemon;

import org.esp4j.core.redact.Redaction;
import org.esp4j.sip.aka.SubscriberKeys;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.tun.carrier.Ipv4UdpChecksum;
import org.esp4j.tun.jna.CpuSet;
import org.esp4j.tun.log.LogLevel;
import org.esp4j.tun.routing.PolicyRouting;
import org.esp4j.tun.routing.SteeringPrefix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The daemon's typed context: its settings, read from a {@code key=value} file ({@code #} comments, blank lines
 * ignored) or set through the {@link Builder}, parsed and validated once when built (as aeron's
 * {@code MediaDriver.Context}), the SIP bridge's included. The keys, their types, defaults and meanings are the
 * table {@link DaemonSetting}; an unknown key is an error, so a misspelt setting never goes unnoticed. Errors are one
 * line naming the key and never echo anything that looks like a key ({@link Redaction}): a malformed line is named by
 * its number and first word only. Immutable; build with {@link #builder()} or {@link #parse(Path)}.
 */
public final class DaemonConfig
{
    /** Carriers the daemon opens. */
    public enum Carrier
    {
        RAW, UDP, BOTH;

        public boolean raw()
        {
            return this != UDP;
        }

        public boolean udp()
        {
            return this != RAW;
        }
    }

    /** The inbound filter setting. */
    public enum InboundFilter
    {
        /** Install where {@code nft} works, else warn and go on without. */
        AUTO,
        /** Install or refuse to start. */
        ON,
        /** Never install. */
        OFF
    }

    /** The multi-buffer ICV setting. */
    public enum MultiBuffer
    {
        /** Where it is known faster: JDK 25 or later, {@code jdk.incubator.vector} loaded, 16 or more vector lanes. */
        AUTO,
        /** Whenever {@code jdk.incubator.vector} is loaded (also on JDK 17, where it is slower), or refuse to start. */
        ON,
        /** Each packet's ICV on its own, with the JDK's digests. */
        OFF
    }

    /** The packet-ring setting of the raw carrier. */
    public enum CarrierRing
    {
        /** With the raw carrier, where the packet socket and {@code nft} work; else the raw socket alone. */
        AUTO,
        /** With the raw carrier, or refuse to start. */
        ON,
        /** The raw socket alone. */
        OFF
    }

    /** How many threads carry packets ({@code packet.threads}). */
    public enum PacketThreads
    {
        /** An outbound agent (TUN to carrier) and an inbound agent (carrier to TUN), each on its own thread. */
        TWO,
        /** Both agents on one thread that polls the TUN and the carriers together. */
        ONE,
        /**
         * Two threads, but the inbound agent runs on the outbound agent's thread while the packet load is low (one
         * thread awake per round trip) and on its own under bulk traffic ({@link InboundHandoff}).
         */
        AUTO
    }

    /** What the packet threads are tuned for ({@code profile}): the defaults of two other settings. */
    public enum Profile
    {
        /** {@code packet.threads=two}, {@code idle.spin.us=0}: two threads always, no window. */
        THROUGHPUT,
        /**
         * {@code packet.threads=one}, {@code idle.spin.us=}{@value #LATENCY_IDLE_SPIN_US}: the shortest round trips
         * of request/response traffic, for less TCP rate and more CPU per packet (README, RESULTS.md).
         */
        LATENCY,
        /**
         * {@code packet.threads=auto}, {@code idle.spin.us=}{@value #LATENCY_IDLE_SPIN_US}: one thread and the
         * window while the traffic is sparse, two threads under bulk traffic (the default).
         */
        AUTO
    }

    /** Every key the daemon and its SIP bridge read, from {@link DaemonSetting}. */
    static final List<String> KEYS = DaemonSetting.keys();

    public static final String DEFAULT_TUN_NAME = "esp4j0";
    public static final int DEFAULT_MARK = 0x4500;
    public static final int DEFAULT_TABLE = 4500;
    public static final int DEFAULT_MARK_RULE_PRIORITY = 4500;
    public static final int DEFAULT_STEER_RULE_PRIORITY = 4501;
    public static final int DEFAULT_BURST = 64;
    /**
     * {@code tun.uso.segments}: as many datagrams per TUN write as the coalescer takes. Smaller caps (8, 16) were
     * measured against it for the receiving application's socket buffer and gave no rate that held over rounds.
     */
    public static final int DEFAULT_TUN_USO_SEGMENTS = org.esp4j.tun.offload.UdpCoalescer.MAX_SEGMENTS;
    public static final int DEFAULT_TUN_TX_QUEUE_LENGTH = 4096;
    public static final int DEFAULT_IDLE_POLL_MS = 100;
    /** Default period of the SIP bridge's summary line, seconds. */
    public static final int DEFAULT_LOG_SUMMARY_S = 60;
    /** Longest period of the SIP bridge's summary line, seconds: a day. */
    public static final int MAX_LOG_SUMMARY_S = 86_400;
    /** {@code idle.spin.us} of {@code profile=throughput}: no window. */
    public static final int THROUGHPUT_IDLE_SPIN_US = 0;
    /**
     * {@code profile} when none is set: {@code auto}, whose round trips are shorter than {@code throughput}'s at the
     * same TCP rate and CPU per datagram (benchmarks/RESULTS.md).
     */
    public static final Profile DEFAULT_PROFILE = Profile.AUTO;
    /** {@code idle.spin.us} of {@code profile=latency}: the window measured best with one packet thread. */
    public static final int LATENCY_IDLE_SPIN_US = 100;
    /** {@code idle.spin.load.pct}: bulk traffic keeps a packet thread busier than this, request/response does not. */
    public static final int DEFAULT_IDLE_SPIN_LOAD_PCT = 50;
    /** Longest {@code idle.spin.us}: a window this long already keeps a CPU busy between sparse packets. */
    public static final int MAX_IDLE_SPIN_US = 10_000;
    /** {@code packet.slice.us} bounds: the kernel clamps a custom slice to 0.1-100 ms. */
    public static final int MIN_PACKET_SLICE_US = 100;
    public static final int MAX_PACKET_SLICE_US = 100_000;

    private final Map<String, String> values;
    private final Path baseDirectory;
    private final Map<String, String> environment;

    private final Carrier carrier;
    private final boolean tunOffload;
    private final boolean tunIoUring;
    private final InboundFilter inboundFilter;
    private final MultiBuffer multiBuffer;
    private final CarrierRing carrierRing;
    private final Ipv4UdpChecksum udpChecksum;
    private final Profile profile;
    private final PacketThreads packetThreads;
    private final LogLevel logLevel;
    private final int[] packetCpus;
    private final PacketScheduling.Yield packetYield;
    private final PacketScheduling.Policy packetSched;
    private final int packetSliceUs;
    private final String tunName;
    private final int mark;
    private final PolicyRouting.Settings routingSettings;
    private final List<SteeringPrefix> steer;
    private final int udpPort;
    private final int tunMtu;
    private final int tunTxQueueLength;
    private final int pathMtu;
    private final int burst;
    private final int tunUsoSegments;
    private final int idlePollMs;
    private final int logSummaryS;
    private final int idleSpinUs;
    private final int idleSpinLoadPct;
    private final Path preload;
    private final Path countersFile;
    private final String countersGroup;
    private final Path controlSocket;
    private final Role sipRole;
    private final Path sipKeyFile;
    private final Path sipSubscribers;
    private final String sipK;
    private final String sipOp;
    private final String sipOpc;
    private final String sipAlgorithm;
    private final int sipTcpFlows;
    private SipBridgeSettings sipBridge;

    /** Parse and check every value once; the first bad one is the error. */
    private DaemonConfig(final Map<String, String> values, final Path baseDirectory,
        final Map<String, String> environment)
    {
        this.values = Map.copyOf(values);
        this.baseDirectory = baseDirectory;
        this.environment = environment;
        for (final String key : values.keySet())
        {
            if (!KEYS.contains(key))
            {
                throw new IllegalArgumentException("unknown setting '" + Redaction.redact(key) + "' (known: " +
                    String.join(", ", KEYS) + ")");
            }
        }
        carrier = parseCarrier();
        tunOffload = parseOnOff(DaemonSetting.TUN_OFFLOAD, "on");
        tunIoUring = parseOnOff(DaemonSetting.TUN_IO_URING, "off");
        inboundFilter = choice(DaemonSetting.INBOUND_FILTER, InboundFilter.AUTO, InboundFilter.values());
        multiBuffer = choice(DaemonSetting.CRYPTO_MULTIBUFFER, MultiBuffer.AUTO, MultiBuffer.values());
        carrierRing = choice(DaemonSetting.CARRIER_RING, CarrierRing.AUTO, CarrierRing.values());
        udpChecksum = choice(DaemonSetting.UDP_CHECKSUM, Ipv4UdpChecksum.AUTO, Ipv4UdpChecksum.values());
        profile = choice(DaemonSetting.PROFILE, DEFAULT_PROFILE, Profile.values());
        final boolean latency = profile != Profile.THROUGHPUT;
        packetThreads = choice(DaemonSetting.PACKET_THREADS, profile == Profile.LATENCY ? PacketThreads.ONE :
            profile == Profile.AUTO ? PacketThreads.AUTO : PacketThreads.TWO, PacketThreads.values());
        logLevel = choice(DaemonSetting.LOG_LEVEL, LogLevel.INFO, LogLevel.values());
        logSummaryS = integer(DaemonSetting.LOG_SUMMARY_S, DEFAULT_LOG_SUMMARY_S);
        if (logSummaryS < 0 || logSummaryS > MAX_LOG_SUMMARY_S)
        {
            throw new IllegalArgumentException(DaemonSetting.LOG_SUMMARY_S.key() + " must be 0.." + MAX_LOG_SUMMARY_S +
                ": " + logSummaryS);
        }
        tunName = get(DaemonSetting.TUN_NAME, DEFAULT_TUN_NAME);
        mark = integer(DaemonSetting.MARK, DEFAULT_MARK);
        routingSettings = new PolicyRouting.Settings(tunName, mark, integer(DaemonSetting.TABLE, DEFAULT_TABLE),
            integer(DaemonSetting.RULE_PRIORITY_MARK, DEFAULT_MARK_RULE_PRIORITY),
            integer(DaemonSetting.RULE_PRIORITY_STEER, DEFAULT_STEER_RULE_PRIORITY));
        steer = parseSteer();
        udpPort = integer(DaemonSetting.UDP_PORT, 4500);
        if (udpPort < 1 || udpPort > 65535)
        {
            throw new IllegalArgumentException("udp.port must be 1..65535");
        }
        tunMtu = integer(DaemonSetting.TUN_MTU, 0);
        tunTxQueueLength = integer(DaemonSetting.TUN_TXQUEUELEN, DEFAULT_TUN_TX_QUEUE_LENGTH);
        pathMtu = integer(DaemonSetting.PATH_MTU, 0);
        burst = Math.max(1, integer(DaemonSetting.BURST, DEFAULT_BURST));
        tunUsoSegments = integer(DaemonSetting.TUN_USO_SEGMENTS, DEFAULT_TUN_USO_SEGMENTS);
        if (tunUsoSegments < 1 || tunUsoSegments > org.esp4j.tun.offload.UdpCoalescer.MAX_SEGMENTS)
        {
            throw new IllegalArgumentException(DaemonSetting.TUN_USO_SEGMENTS.key() + " must be 1.." +
                org.esp4j.tun.offload.UdpCoalescer.MAX_SEGMENTS + ": " + tunUsoSegments);
        }
        idlePollMs = Math.max(1, integer(DaemonSetting.IDLE_POLL_MS, DEFAULT_IDLE_POLL_MS));
        idleSpinUs = integer(DaemonSetting.IDLE_SPIN_US, latency ? LATENCY_IDLE_SPIN_US : THROUGHPUT_IDLE_SPIN_US);
        if (idleSpinUs < 0 || idleSpinUs > MAX_IDLE_SPIN_US)
        {
            throw new IllegalArgumentException("idle.spin.us must be 0.." + MAX_IDLE_SPIN_US + ": " + idleSpinUs);
        }
        idleSpinLoadPct = integer(DaemonSetting.IDLE_SPIN_LOAD_PCT, DEFAULT_IDLE_SPIN_LOAD_PCT);
        if (idleSpinLoadPct < 1 || idleSpinLoadPct > 100)
        {
            throw new IllegalArgumentException("idle.spin.load.pct must be 1..100: " + idleSpinLoadPct);
        }
        packetCpus = parsePacketCpus();
        packetYield = choice(DaemonSetting.PACKET_YIELD, PacketScheduling.Yield.UDP, PacketScheduling.Yield.values());
        packetSched = choice(DaemonSetting.PACKET_SCHED, PacketScheduling.Policy.OTHER,
            PacketScheduling.Policy.values());
        packetSliceUs = integer(DaemonSetting.PACKET_SLICE_US, 0);
        if (packetSliceUs != 0 && (packetSliceUs < MIN_PACKET_SLICE_US || packetSliceUs > MAX_PACKET_SLICE_US))
        {
            throw new IllegalArgumentException(DaemonSetting.PACKET_SLICE_US.key() + " must be 0 or " +
                MIN_PACKET_SLICE_US + ".." + MAX_PACKET_SLICE_US + ": " + packetSliceUs);
        }
        preload = optionalPath(DaemonSetting.PRELOAD);
        countersFile = resolve(get(DaemonSetting.COUNTERS_FILE, "/dev/shm/esp4j-" + tunName + ".counters"));
        countersGroup = get(DaemonSetting.COUNTERS_GROUP, null);
        controlSocket = resolve(get(DaemonSetting.CONTROL_SOCKET, "/run/esp4j/" + tunName + ".sock"));
        sipRole = parseSipRole();
        sipKeyFile = optionalPath(DaemonSetting.SIP_KEYFILE);
        sipSubscribers = optionalPath(DaemonSetting.SIP_SUBSCRIBERS);
        sipK = get(DaemonSetting.SIP_K, "");
        sipOp = get(DaemonSetting.SIP_OP, "");
        sipOpc = get(DaemonSetting.SIP_OPC, "");
        sipAlgorithm = get(DaemonSetting.SIP_ALGORITHM, "");
        sipTcpFlows = integer(DaemonSetting.SIP_TCP_FLOWS, org.esp4j.sip.TcpReassembly.DEFAULT_MAX_FLOWS);
        if (sipTcpFlows < 1 || sipTcpFlows > org.esp4j.sip.TcpReassembly.MAX_FLOWS_LIMIT)
        {
            throw new IllegalArgumentException(DaemonSetting.SIP_TCP_FLOWS.key() + " must be 1.." +
                org.esp4j.sip.TcpReassembly.MAX_FLOWS_LIMIT + ": " + sipTcpFlows);
        }
        if (!sipAlgorithm.isEmpty() && !SubscriberKeys.MILENAGE.equals(sipAlgorithm) &&
            !SubscriberKeys.TEST_USIM.equals(sipAlgorithm))
        {
            throw new IllegalArgumentException(SipBridgeSettings.ALGORITHM + " must be milenage or test-usim");
        }
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** Read a config file; relative paths in it are resolved against its directory. */
    public static DaemonConfig parse(final Path file) throws IOException
    {
        final Builder builder = new Builder();
        builder.baseDirectory = file.toAbsolutePath().getParent();
        int lineNumber = 0;
        for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            lineNumber++;
            final int hash = raw.indexOf('#');
            final String line = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
            if (line.isEmpty())
            {
                continue;
            }
            final int eq = line.indexOf('=');
            if (eq <= 0)
            {
                // not the line: it may be "sip.k 465b..." (a key with a blank instead of '=')
                throw new IllegalArgumentException(file + ":" + lineNumber + ": expected key=value, got a line " +
                    "starting '" + Redaction.redact(line.split("[\\s]+", 2)[0]) + "'");
            }
            builder.set(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
        return builder.build();
    }

    public String tunName()
    {
        return tunName;
    }

    /** @return configured TUN MTU, 0 for automatic. */
    public int tunMtu()
    {
        return tunMtu;
    }

    /** @return the TUN's transmit queue length (0: kernel default). */
    public int tunTxQueueLength()
    {
        return tunTxQueueLength;
    }

    /** @return true if the TUN is opened with offloads (TSO/checksum from the kernel, coalesced TCP to it). */
    /** @return true to read the TUN through io_uring where the kernel allows it ({@code tun.io_uring}, default off). */
    public boolean tunIoUring()
    {
        return tunIoUring;
    }

    public boolean tunOffload()
    {
        return tunOffload;
    }

    /** @return whether clear packets that in-policies require to be ESP are dropped by an nftables table. */
    public InboundFilter inboundFilter()
    {
        return inboundFilter;
    }

    /** @return whether HMAC-SHA-1 and HMAC-MD5 ICVs are computed many packets at a time (see {@code IcvBatch}). */
    public MultiBuffer multiBuffer()
    {
        return multiBuffer;
    }

    public CarrierRing carrierRing()
    {
        return carrierRing;
    }

    /** @return configured path MTU, 0 for automatic. */
    public int pathMtu()
    {
        return pathMtu;
    }

    public Carrier carrier()
    {
        return carrier;
    }

    public int udpPort()
    {
        return udpPort;
    }

    /** @return the UDP checksum of IPv4 ESP-in-UDP ({@code udp.checksum}, default auto). */
    public Ipv4UdpChecksum udpChecksum()
    {
        return udpChecksum;
    }

    public int mark()
    {
        return mark;
    }

    public PolicyRouting.Settings routingSettings()
    {
        return routingSettings;
    }

    /** @return extra prefixes to steer into the TUN. */
    public List<SteeringPrefix> steer()
    {
        return steer;
    }

    /** @return the file of many subscribers' keys ({@code sip.subscribers}, relative to this file), or null. */
    public Path sipSubscribers()
    {
        return sipSubscribers;
    }

    /** @return the SIP bridge's subscriber key file ({@code sip.keyfile}), or null. */
    public Path sipKeyFile()
    {
        return sipKeyFile;
    }

    /** @return the SIP bridge's role ({@code sip.role}), or null for no SIP bridge. */
    public Role sipRole()
    {
        return sipRole;
    }

    /** @return {@code sip.k}, hex, or empty. A key: never log it. */
    public String sipK()
    {
        return sipK;
    }

    /** @return {@code sip.op}, hex, or empty. A key: never log it. */
    public String sipOp()
    {
        return sipOp;
    }

    /** @return {@code sip.opc}, hex, or empty. A key: never log it. */
    public String sipOpc()
    {
        return sipOpc;
    }

    /** @return {@code sip.tcp.flows}: most SIP-over-TCP flows the SIP bridge keeps sequence numbers for. */
    public int sipTcpFlows()
    {
        return sipTcpFlows;
    }

    /** @return {@code sip.algorithm} ({@code milenage} or {@code test-usim}), or empty for the key file's. */
    public String sipAlgorithm()
    {
        return sipAlgorithm;
    }

    /**
     * The SIP bridge's settings with the subscriber's keys resolved (config, key file or environment, see
     * {@link SipBridgeSettings}): resolved on the first call, which reads the key file, and the same after.
     *
     * @return the settings, or null without {@code sip.role}.
     * @throws IllegalArgumentException naming the bad key or file.
     */
    public synchronized SipBridgeSettings sipBridge()
    {
        if (sipRole != null && sipBridge == null)
        {
            sipBridge = SipBridgeSettings.from(this, environment);
        }
        return sipBridge;
    }

    /** @return the group that may read the counters file ({@code counters.group}), or null for the owner only. */
    public String countersGroup()
    {
        return countersGroup;
    }

    /** @return the preload file, or null. */
    public Path preload()
    {
        return preload;
    }

    public Path countersFile()
    {
        return countersFile;
    }

    public Path controlSocket()
    {
        return controlSocket;
    }

    public int burst()
    {
        return burst;
    }

    /** @return the most datagrams of one UDP flow the inbound agent joins into one TUN write. */
    public int tunUsoSegments()
    {
        return tunUsoSegments;
    }

    public int idlePollMs()
    {
        return idlePollMs;
    }

    /** @return the period of the SIP bridge's summary line in seconds ({@code log.summary.s}); 0: none. */
    public int logSummaryS()
    {
        return logSummaryS;
    }

    /** @return how long the packet agents yield after work before they poll, in microseconds. */
    public int idleSpinUs()
    {
        return idleSpinUs;
    }

    /** @return the packet thread's load, in percent, from which its idle window is not opened. */
    public int idleSpinLoadPct()
    {
        return idleSpinLoadPct;
    }

    /** @return what the packet threads' defaults are tuned for. */
    public Profile profile()
    {
        return profile;
    }

    /** @return whether the outbound and inbound agents run on two threads or share one. */
    public PacketThreads packetThreads()
    {
        return packetThreads;
    }

    /** @return how much the daemon logs ({@code log.level}). */
    public LogLevel logLevel()
    {
        return logLevel;
    }

    /**
     * @return the CPU of each packet thread ({@code packet.cpus}): empty (the scheduler places them), one CPU for
     *         every packet thread, or two: the outbound agent's then the inbound agent's (only with two threads).
     */
    public int[] packetCpus()
    {
        return packetCpus.clone();
    }

    /** @return {@code packet.yield}: which packet threads yield after a duty cycle with work. */
    public PacketScheduling.Yield packetYield()
    {
        return packetYield;
    }

    /** @return {@code packet.sched}: the packet threads' scheduling policy. */
    public PacketScheduling.Policy packetSched()
    {
        return packetSched;
    }

    /** @return {@code packet.slice.us}: the packet threads' custom scheduler slice, 0 for the kernel's default. */
    public int packetSliceUs()
    {
        return packetSliceUs;
    }

    /** @return a builder holding these values. */
    public Builder toBuilder()
    {
        final Builder builder = new Builder();
        builder.values.putAll(values);
        builder.baseDirectory = baseDirectory;
        builder.environment = environment;
        return builder;
    }

    private String get(final DaemonSetting setting, final String defaultValue)
    {
        final String value = values.get(setting.key());
        return value == null || value.isEmpty() ? defaultValue : value;
    }

    private Carrier parseCarrier()
    {
        final String value = get(DaemonSetting.CARRIER, "raw").toUpperCase(Locale.ROOT);
        try
        {
            return Carrier.valueOf(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("carrier must be raw, udp or both: " +
                Redaction.redact(value.toLowerCase(Locale.ROOT)));
        }
    }

    private boolean parseOnOff(final DaemonSetting setting, final String defaultValue)
    {
        final String value = get(setting, defaultValue).toLowerCase(Locale.ROOT);
        switch (value)
        {
            case "on":
            case "true":
            case "yes":
                return true;
            case "off":
            case "false":
            case "no":
                return false;
            default:
                throw new IllegalArgumentException(setting.key() + " must be on or off: " + Redaction.redact(value));
        }
    }

    private <E extends Enum<E>> E choice(final DaemonSetting setting, final E defaultValue, final E[] values)
    {
        final String value = get(setting, defaultValue.name().toLowerCase(Locale.ROOT));
        final StringBuilder names = new StringBuilder();
        for (final E candidate : values)
        {
            final String name = candidate.name().toLowerCase(Locale.ROOT);
            if (name.equals(value.toLowerCase(Locale.ROOT)))
            {
                return candidate;
            }
            names.append(names.length() == 0 ? "" : candidate.ordinal() == values.length - 1 ? " or " : ", ").append(name);
        }
        throw new IllegalArgumentException(setting.key() + " must be " + names + ": " + Redaction.redact(value));
    }

    private int[] parsePacketCpus()
    {
        final String value = get(DaemonSetting.PACKET_CPUS, "").trim();
        if (value.isEmpty())
        {
            return new int[0];
        }
        final String[] items = value.split(",", -1);
        final int most = packetThreads == PacketThreads.ONE ? 1 : 2;
        if (items.length > most)
        {
            throw new IllegalArgumentException("packet.cpus takes " + (most == 1 ?
                "one CPU with packet.threads=one" : "one or two CPUs") + ": " + Redaction.redact(value));
        }
        final int[] cpus = new int[items.length];
        for (int i = 0; i < items.length; i++)
        {
            try
            {
                cpus[i] = Integer.parseInt(items[i].trim());
            }
            catch (final NumberFormatException ex)
            {
                cpus[i] = -1;
            }
            if (cpus[i] < 0 || cpus[i] >= CpuSet.MAX_CPUS)
            {
                throw new IllegalArgumentException("packet.cpus must be CPU numbers 0.." +
                    (CpuSet.MAX_CPUS - 1) + ", comma-separated: " + Redaction.redact(value));
            }
        }
        return cpus;
    }

    private List<SteeringPrefix> parseSteer()
    {
        final List<SteeringPrefix> prefixes = new ArrayList<>();
        for (final String item : get(DaemonSetting.STEER, "").split(","))
        {
            if (!item.isBlank())
            {
                prefixes.add(SteeringPrefix.parse(item.trim()));
            }
        }
        return List.copyOf(prefixes);
    }

    private Role parseSipRole()
    {
        final String value = get(DaemonSetting.SIP_ROLE, "");
        if (value.isEmpty())
        {
            return null;
        }
        try
        {
            return Role.parse(value);
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalArgumentException(SipBridgeSettings.ROLE + " must be ue or pcscf");
        }
    }

    private int integer(final DaemonSetting setting, final int defaultValue)
    {
        final String value = get(setting, null);
        if (value == null)
        {
            return defaultValue;
        }
        try
        {
            return value.startsWith("0x") || value.startsWith("0X") ?
                (int)Long.parseLong(value.substring(2), 16) : Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(setting.key() + " must be a number: " + Redaction.redact(value));
        }
    }

    private Path optionalPath(final DaemonSetting setting)
    {
        final String value = get(setting, "");
        return value.isEmpty() ? null : resolve(value);
    }

    private Path resolve(final String value)
    {
        final Path path = Path.of(value);
        return path.isAbsolute() || baseDirectory == null ? path : baseDirectory.resolve(path);
    }

    /** @return the settings given, the SIP bridge's keys shown as set, never their values. */
    public String toString()
    {
        final Map<String, String> shown = new LinkedHashMap<>(values);
        for (final String secret : List.of(SipBridgeSettings.K, SipBridgeSettings.OP, SipBridgeSettings.OPC))
        {
            shown.computeIfPresent(secret, (key, value) -> "<set>");
        }
        return "DaemonConfig" + shown;
    }

    /** Builder: {@link #set(String, String)} with the keys of the file. */
    public static final class Builder
    {
        private final Map<String, String> values = new LinkedHashMap<>();
        private Path baseDirectory;
        private Map<String, String> environment = System.getenv();

        public Builder set(final String key, final String value)
        {
            values.put(key, value);
            return this;
        }

        public Builder baseDirectory(final Path directory)
        {
            baseDirectory = directory;
            return this;
        }

        /**
         * @param environment where the SIP bridge finds {@code ESP4J_K} etc. when neither the config nor a key file
         *                    gives the keys (default: this process's environment).
         * @return this.
         */
        public Builder environment(final Map<String, String> environment)
        {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /**
         * @return the context, every value parsed and checked.
         * @throws IllegalArgumentException one line naming the first bad setting.
         */
        public DaemonConfig build()
        {
            return new DaemonConfig(values, baseDirectory, environment);
        }
    }
}
