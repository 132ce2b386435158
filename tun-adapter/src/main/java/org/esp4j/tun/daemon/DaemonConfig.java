package org.esp4j.tun.daemon;

import org.esp4j.core.redact.Redaction;
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
 * Settings of one daemon, read from a {@code key=value} file ({@code #} comments, blank lines ignored):
 * <pre>
 * tun.name=esp4j0              # TUN device name
 * tun.mtu=0                    # 0: path MTU - MAX_ESP_OVERHEAD
 * tun.txqueuelen=4096          # packets the kernel queues in the TUN for the daemon (kernel default 500)
 * tun.offload=on               # virtio-net header with TCP segmentation (TSO) and coalescing (GRO) on the TUN
 * path.mtu=0                   # MTU of the path the carrier uses; 0: the MTU of the link towards the first peer
 * carrier=raw                  # raw (ESP as IP protocol 50), udp (RFC 3948 on udp.port) or both
 * udp.port=4500
 * udp.checksum=zero            # IPv4 ESP-in-UDP: zero (RFC 3948 §2.1, no UDP GSO) or kernel (checksummed GSO trains)
 * mark=0x4500                  # SO_MARK of the daemon's sockets
 * table=4500                   # routing table leading into the TUN
 * rule.priority.mark=4500      # ip rule: fwmark MARK lookup main
 * rule.priority.steer=4501     # ip rule: to PEER lookup TABLE
 * steer=                       # extra prefixes to steer (comma separated), besides the out-policies' destinations
 * preload=/etc/esp4j/sa.conf   # ip xfrm "state add ..." / "policy add ..." lines loaded at start
 * counters.file=/dev/shm/esp4j-TUN.counters
 * control.socket=/run/esp4j/TUN.sock   # used by the control endpoint, if one is installed
 * burst=64                     # packets drained per descriptor per duty cycle
 * idle.poll.ms=100             # longest poll() when idle
 * inbound.filter=auto          # drop clear packets that in-policies require to be ESP, with nftables:
 *                              #   on (fail without nft), off, auto (on where nft works)
 * crypto.multibuffer=auto      # HMAC-SHA-1/MD5 ICVs of up to 16 packets at once in AVX-512 lanes (Vector API):
 *                              #   auto (JDK 25+ with --add-modules jdk.incubator.vector, which ./esp4j run adds,
 *                              #   and 16 lanes), on (fail without the module), off
 * carrier.ring=auto            # raw carrier: unfragmented ESP to the host's addresses from a packet ring
 *                              #   (AF_PACKET, TPACKET_V2) with an nftables rule dropping it at prerouting,
 *                              #   instead of the raw socket: on (fail without), off, auto (on where it works)
 * counters.group=             # group that may read the counters file (mode 0640); empty: owner only (0600)
 * sip.role=, sip.keyfile=, sip.k=, sip.op=, sip.opc=, sip.algorithm=   # the SIP bridge (see SipBridgeSettings)
 * sip.subscribers=            # many subscribers' keys by IMPI (a UE farm's; SubscriberSet), instead of one
 * </pre>
 * An unknown key is an error, so a misspelt setting never goes unnoticed. Errors never echo anything that looks like
 * a key ({@link Redaction}): a malformed line is named by its number and first word only. Immutable; build with
 * {@link #builder()} or {@link #parse(Path)}.
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

    /** UDP checksum of IPv4 ESP-in-UDP ({@code udp.checksum}). */
    public enum UdpChecksum
    {
        /** Zero, as RFC 3948 §2.1 says it SHOULD be; the kernel then sends no UDP GSO trains. */
        ZERO,
        /** Computed by the kernel, so trains leave as UDP GSO (about twice the TCP throughput on a veth bench). */
        KERNEL
    }

    /** Every key the daemon and its SIP bridge read. */
    static final List<String> KEYS = List.of("tun.name", "tun.mtu", "tun.txqueuelen", "tun.offload", "path.mtu",
        "carrier", "udp.port", "mark", "table", "rule.priority.mark", "rule.priority.steer", "steer", "preload",
        "counters.file", "control.socket", "burst", "idle.poll.ms", "inbound.filter",
        "crypto.multibuffer", "carrier.ring", "counters.group", "udp.checksum",
        "sip.role", "sip.keyfile", "sip.k", "sip.op", "sip.opc", "sip.algorithm", "sip.subscribers");

    public static final String DEFAULT_TUN_NAME = "esp4j0";
    public static final int DEFAULT_MARK = 0x4500;
    public static final int DEFAULT_TABLE = 4500;
    public static final int DEFAULT_MARK_RULE_PRIORITY = 4500;
    public static final int DEFAULT_STEER_RULE_PRIORITY = 4501;
    public static final int DEFAULT_BURST = 64;
    public static final int DEFAULT_TUN_TX_QUEUE_LENGTH = 4096;
    public static final int DEFAULT_IDLE_POLL_MS = 100;

    private final Map<String, String> values;
    private final Path baseDirectory;

    private DaemonConfig(final Map<String, String> values, final Path baseDirectory)
    {
        this.values = Map.copyOf(values);
        this.baseDirectory = baseDirectory;
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
        final DaemonConfig config = builder.build();
        config.validate();
        return config;
    }

    private void validate()
    {
        for (final String key : values.keySet())
        {
            if (!KEYS.contains(key))
            {
                throw new IllegalArgumentException("unknown setting '" + Redaction.redact(key) + "' (known: " +
                    String.join(", ", KEYS) + ")");
            }
        }
        carrier();
        tunOffload();
        inboundFilter();
        multiBuffer();
        carrierRing();
        udpChecksum();
        routingSettings();
        steer();
        if (udpPort() < 1 || udpPort() > 65535)
        {
            throw new IllegalArgumentException("udp.port must be 1..65535");
        }
    }

    public String tunName()
    {
        return get("tun.name", DEFAULT_TUN_NAME);
    }

    /** @return configured TUN MTU, 0 for automatic. */
    public int tunMtu()
    {
        return integer("tun.mtu", 0);
    }

    /** @return the TUN's transmit queue length (0: kernel default). */
    public int tunTxQueueLength()
    {
        return integer("tun.txqueuelen", DEFAULT_TUN_TX_QUEUE_LENGTH);
    }

    /** @return true if the TUN is opened with offloads (TSO/checksum from the kernel, coalesced TCP to it). */
    public boolean tunOffload()
    {
        final String value = get("tun.offload", "on").toLowerCase(Locale.ROOT);
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
                throw new IllegalArgumentException("tun.offload must be on or off: " + Redaction.redact(value));
        }
    }

    /** @return whether clear packets that in-policies require to be ESP are dropped by an nftables table. */
    public InboundFilter inboundFilter()
    {
        return choice("inbound.filter", InboundFilter.AUTO, InboundFilter.values());
    }

    /** @return whether HMAC-SHA-1 and HMAC-MD5 ICVs are computed many packets at a time (see {@code IcvBatch}). */
    public MultiBuffer multiBuffer()
    {
        return choice("crypto.multibuffer", MultiBuffer.AUTO, MultiBuffer.values());
    }

    public CarrierRing carrierRing()
    {
        return choice("carrier.ring", CarrierRing.AUTO, CarrierRing.values());
    }

    private <E extends Enum<E>> E choice(final String key, final E defaultValue, final E[] values)
    {
        final String value = get(key, defaultValue.name().toLowerCase(Locale.ROOT));
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
        throw new IllegalArgumentException(key + " must be " + names + ": " + Redaction.redact(value));
    }

    /** @return configured path MTU, 0 for automatic. */
    public int pathMtu()
    {
        return integer("path.mtu", 0);
    }

    public Carrier carrier()
    {
        final String value = get("carrier", "raw").toUpperCase(Locale.ROOT);
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

    public int udpPort()
    {
        return integer("udp.port", 4500);
    }

    /** @return the UDP checksum of IPv4 ESP-in-UDP ({@code udp.checksum}, default zero). */
    public UdpChecksum udpChecksum()
    {
        return choice("udp.checksum", UdpChecksum.ZERO, UdpChecksum.values());
    }

    public int mark()
    {
        return integer("mark", DEFAULT_MARK);
    }

    public PolicyRouting.Settings routingSettings()
    {
        return new PolicyRouting.Settings(tunName(), mark(), integer("table", DEFAULT_TABLE),
            integer("rule.priority.mark", DEFAULT_MARK_RULE_PRIORITY),
            integer("rule.priority.steer", DEFAULT_STEER_RULE_PRIORITY));
    }

    /** @return extra prefixes to steer into the TUN. */
    public List<SteeringPrefix> steer()
    {
        final List<SteeringPrefix> prefixes = new ArrayList<>();
        for (final String item : get("steer", "").split(","))
        {
            if (!item.isBlank())
            {
                prefixes.add(SteeringPrefix.parse(item.trim()));
            }
        }
        return prefixes;
    }

    /** @return the SIP bridge's subscriber key file ({@code sip.keyfile}), or null. */
    public Path sipKeyFile()
    {
        final String value = get("sip.keyfile", "");
        return value.isEmpty() ? null : resolve(value);
    }

    /** @return the file of many subscribers' keys ({@code sip.subscribers}, relative to this file), or null. */
    public Path sipSubscribers()
    {
        final String value = get("sip.subscribers", "");
        return value.isEmpty() ? null : resolve(value);
    }

    /** @return the group that may read the counters file ({@code counters.group}), or null for the owner only. */
    public String countersGroup()
    {
        final String value = get("counters.group", "");
        return value.isEmpty() ? null : value;
    }

    /** @return the preload file, or null. */
    public Path preload()
    {
        final String value = get("preload", "");
        return value.isEmpty() ? null : resolve(value);
    }

    public Path countersFile()
    {
        return resolve(get("counters.file", "/dev/shm/esp4j-" + tunName() + ".counters"));
    }

    public Path controlSocket()
    {
        return resolve(get("control.socket", "/run/esp4j/" + tunName() + ".sock"));
    }

    public int burst()
    {
        return Math.max(1, integer("burst", DEFAULT_BURST));
    }

    public int idlePollMs()
    {
        return Math.max(1, integer("idle.poll.ms", DEFAULT_IDLE_POLL_MS));
    }

    /** @return the raw value of {@code key}, or {@code defaultValue}. */
    public String get(final String key, final String defaultValue)
    {
        final String value = values.get(key);
        return value == null || value.isEmpty() ? defaultValue : value;
    }

    /** @return every key and value as given. */
    public Map<String, String> values()
    {
        return values;
    }

    /** @return a builder holding these values. */
    public Builder toBuilder()
    {
        final Builder builder = new Builder();
        builder.values.putAll(values);
        builder.baseDirectory = baseDirectory;
        return builder;
    }

    private int integer(final String key, final int defaultValue)
    {
        final String value = get(key, null);
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
            throw new IllegalArgumentException(key + " must be a number: " + Redaction.redact(value));
        }
    }

    private Path resolve(final String value)
    {
        final Path path = Path.of(value);
        return path.isAbsolute() || baseDirectory == null ? path : baseDirectory.resolve(path);
    }

    public String toString()
    {
        return "DaemonConfig" + values;
    }

    /** Builder: {@link #set(String, String)} with the keys of the file. */
    public static final class Builder
    {
        private final Map<String, String> values = new LinkedHashMap<>();
        private Path baseDirectory;

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

        public DaemonConfig build()
        {
            final DaemonConfig config = new DaemonConfig(values, baseDirectory);
            config.validate();
            return config;
        }
    }
}
