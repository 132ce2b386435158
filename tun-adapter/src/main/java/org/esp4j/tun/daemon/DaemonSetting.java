package org.esp4j.tun.daemon;

import org.esp4j.tun.offload.UdpCoalescer;

import java.util.ArrayList;
import java.util.List;

/**
 * The one table of the daemon's config keys ({@code key=value} in the config file, some also options of
 * {@code esp4j run}): name, type, default and a one-line description. {@link DaemonConfig} accepts exactly these
 * keys, {@code esp4j run --help} prints them from here, and a test checks README's table against this one.
 */
public enum DaemonSetting
{
    TUN_NAME("tun.name", "NAME", DaemonConfig.DEFAULT_TUN_NAME, "TUN device name"),
    TUN_MTU("tun.mtu", "BYTES", "0", "TUN MTU; 0: the path MTU less the largest ESP overhead"),
    TUN_TXQUEUELEN("tun.txqueuelen", "PACKETS", String.valueOf(DaemonConfig.DEFAULT_TUN_TX_QUEUE_LENGTH),
        "packets the kernel queues in the TUN for the daemon (kernel default 500; 0: kernel default)"),
    TUN_OFFLOAD("tun.offload", "on|off", "on",
        "virtio-net header with TCP segmentation (TSO) and coalescing (GRO) on the TUN"),
    TUN_IO_URING("tun.io_uring", "on|off", "off",
        "read the TUN through io_uring while packets queue, one system call per burst (Linux 6.7+, else read(2)), " +
            "read(2) while sparse; off: one read(2) per packet"),
    TUN_USO_SEGMENTS("tun.uso.segments", "DATAGRAMS", String.valueOf(DaemonConfig.DEFAULT_TUN_USO_SEGMENTS),
        "most received datagrams of one UDP flow joined into one TUN write (UDP segmentation offload, 1.." +
        UdpCoalescer.MAX_SEGMENTS + "; 1: one write per datagram)"),
    PATH_MTU("path.mtu", "BYTES", "0", "MTU of the path the carrier uses; 0: the MTU of the link towards the first peer"),
    CARRIER("carrier", "raw|udp|both", "raw", "raw: ESP as IP protocol 50; udp: RFC 3948 on udp.port; both"),
    UDP_PORT("udp.port", "PORT", "4500", "UDP port of the ESP-in-UDP carrier (1..65535)"),
    UDP_CHECKSUM("udp.checksum", "zero|kernel|auto", "auto",
        "IPv4 ESP-in-UDP checksum: zero (RFC 3948 §2.1, no UDP GSO), kernel (checksummed GSO trains) or auto " +
        "(trains of 4+ as kernel, the rest zero)"),
    MARK("mark", "NUMBER", "0x4500", "SO_MARK of the daemon's sockets (decimal or 0x hex)"),
    TABLE("table", "NUMBER", String.valueOf(DaemonConfig.DEFAULT_TABLE), "routing table leading into the TUN " +
        "(its route prefers as source an out-policy template's source, else the host source selector of an out-policy)"),
    RULE_PRIORITY_MARK("rule.priority.mark", "NUMBER", String.valueOf(DaemonConfig.DEFAULT_MARK_RULE_PRIORITY),
        "priority of the ip rule 'fwmark MARK lookup main'"),
    RULE_PRIORITY_STEER("rule.priority.steer", "NUMBER", String.valueOf(DaemonConfig.DEFAULT_STEER_RULE_PRIORITY),
        "priority of the ip rules 'to PEER lookup TABLE'"),
    STEER("steer", "PREFIX[,PREFIX]", "", "extra prefixes to steer into the TUN, besides the out-policies' destinations"),
    PRELOAD("preload", "FILE", "", "ip xfrm 'state add ...' / 'policy add ...' lines loaded at start"),
    COUNTERS_FILE("counters.file", "FILE", "/dev/shm/esp4j-TUN.counters", "the counters file"),
    COUNTERS_GROUP("counters.group", "GROUP", "",
        "group that may read the counters file (mode 0640); empty: owner only (0600)"),
    CONTROL_SOCKET("control.socket", "FILE", "/run/esp4j/TUN.sock", "the control socket"),
    BURST("burst", "PACKETS", String.valueOf(DaemonConfig.DEFAULT_BURST),
        "packets drained per descriptor per duty cycle (at least 1)"),
    IDLE_POLL_MS("idle.poll.ms", "MS", String.valueOf(DaemonConfig.DEFAULT_IDLE_POLL_MS),
        "longest poll() when idle (at least 1)"),
    IDLE_SPIN_US("idle.spin.us", "US", String.valueOf(DaemonConfig.LATENCY_IDLE_SPIN_US),
        "after work, packet agents yield the CPU this long before sleeping in poll() (0: two yields; " +
        "profile=throughput: " + DaemonConfig.THROUGHPUT_IDLE_SPIN_US + ")"),
    IDLE_SPIN_LOAD_PCT("idle.spin.load.pct", "PERCENT", String.valueOf(DaemonConfig.DEFAULT_IDLE_SPIN_LOAD_PCT),
        "open the idle.spin.us window only while the packet threads were busy less than this share of the last " +
        "~2 ms, and end it when another thread took the CPU for 250 us (1..100; 100: a fixed window)"),
    PROFILE("profile", "throughput|latency|auto", "auto",
        "defaults of packet.threads and idle.spin.us: two and 0 (throughput), one and " +
        DaemonConfig.LATENCY_IDLE_SPIN_US + " (latency: request/response traffic alone), or auto and " +
        DaemonConfig.LATENCY_IDLE_SPIN_US + " (one thread while sparse, two under bulk; see README)"),
    PACKET_THREADS("packet.threads", "two|one|auto", "auto",
        "outbound and inbound agents on two threads (profile=throughput), on one that polls the TUN and the " +
        "carriers together (profile=latency), or auto: the inbound agent on the outbound thread once the packet load has been below " +
        "idle.spin.load.pct/4 for 20 ms and the outbound thread is not in a busy run, on its own from " +
        "idle.spin.load.pct/2 (profile=auto)"),
    PACKET_CPUS("packet.cpus", "CPU[,CPU]", "",
        "keep the packet threads on these CPUs: one for all, or the outbound's then the inbound's (empty: any)"),
    PACKET_YIELD("packet.yield", "off|inbound|outbound|both|udp", "udp",
        "packet threads that yield the CPU (sched_yield) after each duty cycle with work, so the application their " +
        "TUN write or carrier send woke runs before their next burst; udp: both threads, only after a duty cycle " +
        "that carried a UDP datagram"),
    PACKET_SCHED("packet.sched", "other|batch", "other",
        "the packet threads' scheduling policy: SCHED_OTHER, or SCHED_BATCH (their wake-ups do not preempt the " +
        "applications)"),
    PACKET_SLICE_US("packet.slice.us", "US", "0",
        "the packet threads' scheduler slice (EEVDF custom slice, Linux 6.12+; " +
        DaemonConfig.MIN_PACKET_SLICE_US + ".." + DaemonConfig.MAX_PACKET_SLICE_US + "; 0: the kernel's default)"),
    INBOUND_FILTER("inbound.filter", "auto|on|off", "auto",
        "nftables drop of clear packets that in-policies require to be ESP (on fails without nft)"),
    CRYPTO_MULTIBUFFER("crypto.multibuffer", "auto|on|off", "auto",
        "HMAC-SHA-1/MD5 ICVs of up to 16 packets at once in AVX-512 lanes (Vector API; auto: JDK 25+ and 16 lanes)"),
    CARRIER_RING("carrier.ring", "auto|on|off", "auto",
        "raw carrier: ESP to the host's addresses from an AF_PACKET ring dropped at prerouting, not the raw socket"),
    LOG_LEVEL("log.level", "error|warn|info|debug", "info",
        "daemon log on stderr: error; warn (also warnings, start, stop); info (also a line per SIP event and SA change)"),
    LOG_SUMMARY_S("log.summary.s", "SECONDS", String.valueOf(DaemonConfig.DEFAULT_LOG_SUMMARY_S),
        "SIP bridge: a summary line (at warn) at most this often, after a period in which something happened; 0: none"),
    SIP_ROLE(SipBridgeSettings.ROLE, "ue|pcscf", "", "run the SIP bridge in this role; empty: no SIP bridge"),
    SIP_KEYFILE(SipBridgeSettings.KEYFILE, "FILE", "", "the subscriber's key file (mode 0600)"),
    SIP_K(SipBridgeSettings.K, "HEX", "", "the subscriber's K (128 bits; a key file or ESP4J_K is safer)"),
    SIP_OP(SipBridgeSettings.OP, "HEX", "", "the operator's OP (needs sip.k)"),
    SIP_OPC(SipBridgeSettings.OPC, "HEX", "", "the subscriber's OPc (needs sip.k)"),
    SIP_ALGORITHM(SipBridgeSettings.ALGORITHM, "milenage|test-usim", "",
        "AKA algorithm; empty: the key file's, else milenage"),
    SIP_SUBSCRIBERS(SipBridgeSettings.SUBSCRIBERS, "FILE", "",
        "many subscribers' keys by IMPI (a UE farm's; SubscriberSet, mode 0600), instead of one subscriber's"),
    SIP_TCP_FLOWS("sip.tcp.flows", "FLOWS", String.valueOf(org.esp4j.sip.TcpReassembly.DEFAULT_MAX_FLOWS),
        "SIP-over-TCP flows whose sequence numbers the SIP bridge keeps (about 400 B each; 256 of them buffer)");

    private static final List<String> KEYS;

    static
    {
        final List<String> keys = new ArrayList<>();
        for (final DaemonSetting setting : values())
        {
            keys.add(setting.key);
        }
        KEYS = List.copyOf(keys);
    }

    private final String key;
    private final String type;
    private final String defaultValue;
    private final String description;

    DaemonSetting(final String key, final String type, final String defaultValue, final String description)
    {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** @return the key as written in the config file. */
    public String key()
    {
        return key;
    }

    /** @return the form of its value, e.g. {@code on|off} or {@code BYTES}. */
    public String type()
    {
        return type;
    }

    /** @return the default as text (empty: none); {@code TUN} stands for the TUN's name. */
    public String defaultValue()
    {
        return defaultValue;
    }

    /** @return one line saying what it does. */
    public String description()
    {
        return description;
    }

    /** @return every key, in table order. */
    public static List<String> keys()
    {
        return KEYS;
    }

    /**
     * @param key a key.
     * @return the setting, or null for an unknown key.
     */
    public static DaemonSetting byKey(final String key)
    {
        for (final DaemonSetting setting : values())
        {
            if (setting.key.equals(key))
            {
                return setting;
            }
        }
        return null;
    }

    /** @return this setting as a row of README's table of keys (Markdown; {@code |} escaped). */
    public String markdownRow()
    {
        return "| `" + key + "` | `" + type.replace("|", "\\|") + "` | " +
            (defaultValue.isEmpty() ? "" : "`" + defaultValue + "`") + " | " + description.replace("|", "\\|") + " |";
    }

    /** @return the table as {@code esp4j run --help} prints it, one key a line. */
    public static String helpText()
    {
        final StringBuilder sb = new StringBuilder("config file keys (key=value; an unknown key is an error):\n");
        for (final DaemonSetting setting : values())
        {
            sb.append(String.format("  %-20s %-20s %s%s%n", setting.key, setting.type, setting.description,
                setting.defaultValue.isEmpty() ? "" : " [" + setting.defaultValue + "]"));
        }
        return sb.toString();
    }
}
