package org.esp4j.tun.daemon;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.esp4j.core.counters.CountersFile;
import org.esp4j.core.counters.SaCounter;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.SpdEventListener;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.xfrm.XfrmPreload;
import org.esp4j.core.xfrm.XfrmPreloadReader;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.tun.carrier.CarrierReceiver;
import org.esp4j.tun.carrier.PacketRingReceiver;
import org.esp4j.tun.carrier.RawIpReceiver;
import org.esp4j.tun.carrier.RawIpSender;
import org.esp4j.tun.carrier.UdpEncapCarrier;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.jna.CpuSet;
import org.esp4j.tun.jna.IoUring;
import org.esp4j.tun.log.LogLevel;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.PollFds;
import org.esp4j.tun.routing.EspEarlyDrop;
import org.esp4j.tun.routing.InboundClearFilter;
import org.esp4j.tun.routing.LocalAddresses;
import org.esp4j.tun.routing.IpCommand;
import org.esp4j.tun.routing.NftCommand;
import org.esp4j.tun.routing.PolicyRouting;
import org.esp4j.tun.routing.SteeringPrefix;
import org.esp4j.tun.sip.SipSniffer;
import org.esp4j.tun.sip.DaemonSipBridge;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The userspace ESP daemon: a TUN device, the carriers, policy routing that steers the traffic of the out-policies
 * into the TUN, and two packet agents (outbound: TUN to carrier; inbound: carrier to TUN), each with its own
 * {@link EspProcessor}, sharing one SAD, SPD and counters.
 * <pre>
 *   app socket -> kernel -> ip rule "to PEER" -> table -> TUN -> OutboundAgent -> EspProcessor.outbound
 *        -> raw socket (IPPROTO_RAW, SO_MARK) or UDP/4500 socket (SO_MARK) -> ip rule "fwmark" -> main -> wire
 *   wire -> kernel -> packet ring (unfragmented ESP, then dropped at prerouting) / raw IPPROTO_ESP socket /
 *        UDP 4500 socket -> InboundAgent -> EspProcessor.inbound
 *        -> TUN -> kernel -> app socket
 * </pre>
 * This class is the wiring: {@link #start()} sets up the counters file, the preloaded SAs (continuing their
 * sequence numbers, {@link SequenceReservations}), the TUN, routing (with its blackhole routes) and the inbound filter,
 * then the carriers and the agents -- the {@link DaemonConductor}, the one owner of control state, which applies
 * every later change to the SAD, the SPD and the host state ({@link DaemonHostState}); the two packet agents; the SIP
 * sniffer -- and the control endpoint; {@link #close()} undoes it in reverse (also removing rules, routes and the
 * TUN). Embeddable: one instance per network namespace (the process's). Control through {@link DaemonControl}, whose
 * changes run on the conductor.
 */
public final class EspDaemon implements DaemonControl, AutoCloseable
{
    /** Headroom of the TUN MTU below the path MTU: the largest ESP overhead, rounded up to 8. */
    public static final int TUN_MTU_HEADROOM = (OutboundAgent.MAX_ESP_OVERHEAD + 7) & ~7;
    static final int DEFAULT_PATH_MTU = 1500;
    static final int MAX_SAS_IN_COUNTERS_FILE = 1024;
    private static final Pattern DEV = Pattern.compile("\\bdev (\\S+)");
    private static final Pattern MTU = Pattern.compile("\\bmtu (?:lock )?(\\d+)");
    /** How long the control socket and the SIP bridge wait for the conductor to apply a change. */
    static final long CHANGE_TIMEOUT_NS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    private final DaemonConfig config;
    private final Consumer<String> log;
    private final ControlEndpointFactory controlFactory;
    private final NanoClock clock = SystemNanoClock.INSTANCE;
    private final DaemonEvents events;
    private final IpCommand ip = new IpCommand();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private CountersFile countersFile;
    private XfrmCounters counters;
    private DaemonCounters daemonCounters;
    private SecurityAssociationDatabase sad;
    private SecurityPolicyDatabase spd;
    private TunDevice tun;
    private PolicyRouting routing;
    private InboundClearFilter inboundFilter;
    /** The raw carrier's packet ring and its nftables half (carrier.ring), or null. */
    private PacketRingReceiver packetRing;
    private EspEarlyDrop espEarlyDrop;
    private AgentRunner outboundRunner;
    private AgentRunner inboundRunner;
    private AgentRunner sipRunner;
    private DaemonSipBridge sipBridge;
    private DaemonConductor conductor;
    private SequenceReservations reservations;
    private AgentRunner conductorRunner;
    private org.esp4j.tun.jna.EventFd holdWake;
    private OutboundAgent outboundAgent;
    private AutoCloseable controlEndpoint;
    private int tunMtu;
    /** One per agent (each owns its processor), or null: see {@link #icvBatch}. */
    private IcvBatch outboundIcvBatch;
    private IcvBatch inboundIcvBatch;
    private int pathMtu;
    private volatile boolean running;
    private volatile boolean closed;

    public EspDaemon(final DaemonConfig config)
    {
        this(config, null, null);
    }

    /**
     * @param config         settings.
     * @param log            where to log (null: standard error with a timestamp). Keys are never logged.
     * @param controlFactory control endpoint to start, or null to look one up with {@link ServiceLoader}.
     */
    public EspDaemon(final DaemonConfig config, final Consumer<String> log, final ControlEndpointFactory controlFactory)
    {
        this.config = config;
        this.log = log != null ? log : new DaemonLog(config.tunName(), config.logLevel());
        this.controlFactory = controlFactory;
        this.events = new DaemonEvents(this.log);
    }

    /** Start everything; on failure everything started so far is undone and the exception rethrown. */
    public synchronized void start() throws IOException
    {
        if (running || closed)
        {
            throw new IllegalStateException(closed ? "closed" : "already running");
        }
        try
        {
            start0();
        }
        catch (final IOException | RuntimeException ex)
        {
            LogLevel.log(log, LogLevel.ERROR, "start failed: " + ex.getMessage());
            close();
            throw ex;
        }
    }

    private void start0() throws IOException
    {
        // first, so that crypto.multibuffer=on without the Vector API module fails before anything is set up
        outboundIcvBatch = icvBatch(config.multiBuffer());
        inboundIcvBatch = icvBatch(config.multiBuffer());
        checkPacketCpus(config.packetCpus());
        final Path countersPath = config.countersFile();
        if (countersPath.getParent() != null)
        {
            Files.createDirectories(countersPath.getParent());
        }
        countersFile = CountersFile.create(countersPath, XfrmCounter.values().length +
            DaemonCounters.Counter.values().length + MAX_SAS_IN_COUNTERS_FILE * SaCounter.values().length,
            config.countersGroup());
        final org.agrona.concurrent.status.CountersManager manager = countersFile.newCountersManager();
        counters = new XfrmCounters(manager);
        daemonCounters = new DaemonCounters(manager);
        sad = new SecurityAssociationDatabase(counters, clock, events);
        spd = new SecurityPolicyDatabase();
        preload();
        if (config.preload() != null) // only preloaded SAs come back after a restart: nothing to reserve for others
        {
            reservations = SequenceReservations.load(sequencesFile(), log);
            final int resumed = reservations.resume(sad);
            if (resumed > 0)
            {
                log.accept(resumed + " preloaded SA(s) continue their outbound sequence numbers from " +
                    sequencesFile());
            }
            reservations.reserve(sad); // before any packet: what this run sends lies below the file's marks
        }

        routing = new PolicyRouting(ip, config.routingSettings(), log);
        routing.installBlackholes(); // first: a crashed run's steering rules lead nowhere but into a blackhole
        final List<SteeringPrefix> prefixes = DaemonHostState.steeringPrefixes(config.steer(), spd.list());
        pathMtu = config.pathMtu() > 0 ? config.pathMtu() : detectPathMtu(prefixes);
        tunMtu = config.tunMtu() > 0 ? config.tunMtu() : pathMtu - TUN_MTU_HEADROOM;
        if (tunMtu < 1280)
        {
            log.accept("warning: TUN MTU " + tunMtu + " is below the IPv6 minimum 1280");
        }

        tun = openTun();
        tun.configure(ip, tunMtu, config.tunTxQueueLength());
        // routes and filters before any agent runs: no packet of a protected flow passes before they are in force
        routing.install(prefixes, localAddress(true), localAddress(false));
        installInboundFilter();
        openCarriersAndAgents();
        running = true;

        startControlEndpoint();
        log.accept("running: tun " + tun.name() + " mtu " + tunMtu + " path mtu " + pathMtu + " carrier " +
            config.carrier().name().toLowerCase() + " mark 0x" + Integer.toHexString(config.mark()) + " table " +
            config.routingSettings().table() + (tun.vnetHeaderLength() > 0 ? ", offloads on" : ", offloads off") +
            (inboundFilter != null ? ", inbound filter nft table inet " + inboundFilter.table() : ", inbound filter off") +
            (packetRing != null ? ", ESP packet ring (early drop nft table inet " + espEarlyDrop.table() + ")" : "") +
            (outboundIcvBatch != null ? ", multi-buffer HMAC-SHA-1/MD5 " + outboundIcvBatch.lanes() + " lanes" : "") +
            (config.packetThreads() == DaemonConfig.PacketThreads.ONE ? ", one packet thread" : "") +
            (config.packetThreads() == DaemonConfig.PacketThreads.AUTO ? ", one packet thread while sparse" : "") +
            (config.idleSpinUs() > 0 ? ", idle spin " + config.idleSpinUs() + " us" +
                (config.idleSpinLoadPct() < 100 ? " below " + config.idleSpinLoadPct() + " % load" : "") : "") +
            (config.packetCpus().length > 0 ? ", packet threads on CPU " + cpuList(config.packetCpus()) : "") +
            (config.packetYield() != PacketScheduling.Yield.OFF ? ", packet.yield=" +
                config.packetYield().name().toLowerCase(java.util.Locale.ROOT) : "") +
            (config.packetSched() != PacketScheduling.Policy.OTHER ? ", SCHED_BATCH packet threads" : "") +
            (config.packetSliceUs() > 0 ? ", packet threads' slice " + config.packetSliceUs() + " us" : "") +
            ", " + sad.size() + " SAs, " + spd.size() + " policies, counters " +
            countersPath);
    }

    /**
     * The nftables table that drops clear packets the in-policies require to be ESP (see {@link InboundClearFilter});
     * {@code inbound.filter=auto} goes on without it, with a warning, where {@code nft} does not work.
     */
    private void installInboundFilter() throws IOException
    {
        final DaemonConfig.InboundFilter setting = config.inboundFilter();
        final NftCommand nft = new NftCommand();
        final boolean available = nft.available();
        final int[] udpPorts = config.carrier().udp() ? new int[] { config.udpPort() } : new int[0];
        final InboundClearFilter filter = available ? new InboundClearFilter(nft, config.tunName(), udpPorts, log) : null;
        if (setting == DaemonConfig.InboundFilter.OFF)
        {
            if (filter != null)
            {
                filter.remove(); // a table left by a crashed run that had the filter on
            }
            return;
        }
        if (!available)
        {
            if (setting == DaemonConfig.InboundFilter.ON)
            {
                throw new IOException("inbound.filter=on but nft does not work here (install nftables)");
            }
            log.accept("warning: nft not found or not permitted: clear packets on protected selectors are not " +
                "dropped (inbound.filter=auto)");
            return;
        }
        try
        {
            filter.sync(spd.list());
        }
        catch (final IOException ex)
        {
            if (setting == DaemonConfig.InboundFilter.ON)
            {
                throw ex;
            }
            log.accept("warning: nft refused the inbound filter, clear packets on protected selectors are not " +
                "dropped (inbound.filter=auto): " + ex.getMessage());
            return;
        }
        inboundFilter = filter;
    }

    private TunDevice openTun() throws IOException
    {
        final TunDevice tun = openTunDevice();
        tun.readWithIoUring(config.tunIoUring());
        if (config.tunIoUring())
        {
            // the readers fall back to read(2) on their own, silently: say so once, here
            final String unavailable = IoUring.probe();
            if (unavailable != null)
            {
                log.accept("tun.io_uring: io_uring unavailable, the TUN is read with read(2): " + unavailable);
            }
        }
        return tun;
    }

    private TunDevice openTunDevice() throws IOException
    {
        if (config.tunOffload())
        {
            try
            {
                return TunDevice.open(config.tunName(), 1, true);
            }
            catch (final IOException ex)
            {
                log.accept("TUN offloads unavailable, one packet per read: " + ex.getMessage());
            }
        }
        return TunDevice.open(config.tunName(), 1, false);
    }

    private void preload() throws IOException
    {
        final Path preload = config.preload();
        if (preload == null)
        {
            return;
        }
        final XfrmPreload loaded = XfrmPreloadReader.read(preload);
        for (final SaConfig state : loaded.states())
        {
            sad.add(state);
        }
        for (final PolicyConfig policy : loaded.policies())
        {
            spd.add(policy);
        }
        log.accept("preloaded " + loaded.states().size() + " SAs and " + loaded.policies().size() +
            " policies from " + preload);
    }

    private void openCarriersAndAgents() throws IOException
    {
        final int capacity = EspProcessor.MAX_PACKET_LENGTH;
        final RawIpSender[] rawSenders = new RawIpSender[2];
        final UdpEncapCarrier[] udpCarriers = new UdpEncapCarrier[2];
        final List<RawIpReceiver> rawReceivers = new ArrayList<>();
        final List<UdpEncapCarrier> udpList = new ArrayList<>();
        final int[] families = { LibC.AF_INET, LibC.AF_INET6 };
        final PacketRingReceiver ring = config.carrier().raw() ? openPacketRing() : null;
        for (int i = 0; i < 2; i++)
        {
            final int family = families[i];
            try
            {
                rawSenders[i] = register(new RawIpSender(family, config.mark(), capacity, pathMtu));
                if (config.carrier().raw())
                {
                    rawReceivers.add(register(new RawIpReceiver(family, capacity)));
                }
                if (config.carrier().udp())
                {
                    udpCarriers[i] = register(new UdpEncapCarrier(family, config.udpPort(), config.mark(), capacity,
                        config.udpChecksum()));
                    udpList.add(udpCarriers[i]);
                }
            }
            catch (final IOException ex)
            {
                if (i == 0 || rawSenders[0] == null)
                {
                    throw ex;
                }
                log.accept("IPv6 carrier unavailable, IPv4 only: " + ex.getMessage());
            }
        }

        final ErrorHandler errorHandler = throwable ->
        {
            daemonCounters.increment(DaemonCounters.Counter.TunAgentErrors);
            LogLevel.log(log, LogLevel.ERROR, "agent error: " + throwable);
        };
        final FragmentGuard fragmentGuard = new FragmentGuard(spd);
        final EspProcessor outboundProcessor = new EspProcessor(sad, spd, counters, clock, events);
        final EspProcessor inboundProcessor = new EspProcessor(sad, spd, counters, clock, events);
        outboundProcessor.icvBatch(outboundIcvBatch);
        inboundProcessor.icvBatch(inboundIcvBatch);
        final OutboundAgent outbound = new OutboundAgent(tun, outboundProcessor,
            fragmentGuard, counters, daemonCounters, rawSenders, udpCarriers, config.carrier().raw(), pathMtu,
            config.burst());
        final List<CarrierReceiver> receivers = new ArrayList<>();
        if (ring != null)
        {
            receivers.add(ring);
        }
        receivers.addAll(rawReceivers);
        receivers.addAll(udpList);
        final List<Integer> receiverFds = new ArrayList<>();
        if (ring != null)
        {
            receiverFds.add(ring.fd());
        }
        rawReceivers.forEach(r -> receiverFds.add(r.fd()));
        udpList.forEach(u -> receiverFds.add(u.fd()));
        final InboundAgent inbound = new InboundAgent(tun, inboundProcessor,
            counters, daemonCounters, receivers.toArray(new CarrierReceiver[0]), ring != null ? 1 : 0, config.burst(),
            config.tunUsoSegments());

        // with the SIP bridge, the conductor wakes the outbound agent when held packets may go (HoldArea)
        holdWake = config.sipRole() != null ? register(new org.esp4j.tun.jna.EventFd()) : null;
        final DaemonConfig.PacketThreads threads = config.packetThreads();
        final boolean oneThread = threads == DaemonConfig.PacketThreads.ONE;
        final boolean handoff = threads == DaemonConfig.PacketThreads.AUTO;
        // auto: the outbound thread's hand-off eventfd after its own descriptors, the carriers after it while lent
        final int outboundFdCount = (holdWake != null ? 2 : 1) + (handoff ? 1 : 0);
        final org.esp4j.tun.jna.EventFd lendWake = handoff ? register(new org.esp4j.tun.jna.EventFd()) : null;
        final org.esp4j.tun.jna.EventFd homeWake = handoff ? register(new org.esp4j.tun.jna.EventFd()) : null;
        final PollFds outboundFds = outboundFds(outboundFdCount + (oneThread ? receivers.size() : 0), lendWake);
        // one thread: one poll over the TUN, the hold wake-up and the carriers, the receivers' after the others
        final PollFds inboundFds = oneThread ? outboundFds : new PollFds(receivers.size());
        addReceivers(inboundFds, receiverFds);
        inbound.pollReadiness(inboundFds, oneThread ? outboundFdCount : 0);
        if (!oneThread)
        {
            // the TUN is outboundFds' first descriptor (and lentFds', which the outbound thread polls while lent)
            outbound.pollReadiness(outboundFds, 0);
        }
        final PollFds lentFds = handoff ?
            addReceivers(outboundFds(outboundFdCount + receivers.size(), lendWake), receiverFds) : null;
        if (handoff)
        {
            inbound.lentPollReadiness(lentFds, outboundFdCount);
            outbound.lentPollReadiness(lentFds, 0);
        }

        outboundAgent = outbound;
        final DaemonHostState hostState = new DaemonHostState(sad, spd, counters, daemonCounters, config.steer(),
            routing, inboundFilter, packetRing, espEarlyDrop, outbound, reservations, config.tunName(), log);
        hostState.syncPacketRing(); // before the conductor runs: this thread still owns the host state
        conductor = new DaemonConductor(spd, hostState, clock, log);
        if (config.sipRole() != null)
        {
            startSipBridge(outbound);
        }

        // the conductor: sleeps until its next timer when idle; a queued change unparks it
        conductorRunner = new AgentRunner(ConductorIdleStrategy.of(conductor), errorHandler, null, conductor);
        final long spinNs = java.util.concurrent.TimeUnit.MICROSECONDS.toNanos(config.idleSpinUs());
        final PacketScheduling scheduling = packetScheduling();
        final int out = PacketScheduling.OUTBOUND_THREAD;
        final int in = PacketScheduling.INBOUND_THREAD;
        // packet.yield=udp: one mark per packet thread, set by the agents it runs (the inbound agent's follows it
        // when it is lent to the outbound thread)
        final PacketScheduling.DatagramMark outMark = new PacketScheduling.DatagramMark();
        final PacketScheduling.DatagramMark inMark = oneThread ? outMark : new PacketScheduling.DatagramMark();
        outbound.datagramMark(outMark);
        inbound.datagramMarks(inMark, outMark);
        if (oneThread)
        {
            // both directions on one thread: a round trip's two hops through this daemon need one thread awake,
            // not two, and an idle window after one direction's packet also covers the other direction's reply
            final PollIdleStrategy idle = packetIdle(outboundFds, spinNs, new PacketLoad(1), 0);
            outbound.idleWindow(idle);
            inbound.idleWindows(idle, null);
            outboundRunner = new AgentRunner(scheduling.idleStrategy(idle, out, true, outMark), errorHandler, null,
                new org.agrona.concurrent.CompositeAgent(outbound, inbound));
        }
        else if (handoff)
        {
            // one thread while sparse, two under bulk (InboundHandoff)
            final PacketLoad load = new PacketLoad(2);
            final PollFds homeWakeFds = new PollFds(1).add(homeWake.fd(), LibC.POLLIN);
            final int loadPct = config.idleSpinLoadPct();
            final InboundHandoff handoffToken = new InboundHandoff(lendWake::signal, homeWake::signal,
                InboundHandoff.lendBelowPercent(loadPct), InboundHandoff.returnAtPercent(loadPct), daemonCounters.counter(DaemonCounters.Counter.TunInboundLent),
                daemonCounters.counter(DaemonCounters.Counter.TunInboundReturned));
            final InboundHandoff.Guest guest = new InboundHandoff.Guest(handoffToken, outbound, inbound,
                outboundFds::poll, lentFds::poll, lendWake::clear);
            final InboundHandoff.Home home = new InboundHandoff.Home(handoffToken, inbound, inbound.roleName(),
                inboundFds::poll, homeWakeFds::poll, homeWake::clear, load,
                org.agrona.concurrent.SystemNanoClock.INSTANCE);
            final PollIdleStrategy guestIdle = packetIdle(guest, spinNs, load, 0).loadListener(guest);
            outbound.idleWindow(guestIdle);
            final PollIdleStrategy homeIdle = packetIdle(home, spinNs, load, 1).loadListener(home);
            inbound.idleWindows(homeIdle, guestIdle);
            outboundRunner = new AgentRunner(scheduling.idleStrategy(guestIdle, out, false, outMark), errorHandler,
                null, guest);
            inboundRunner = new AgentRunner(scheduling.idleStrategy(homeIdle, in, false, inMark), errorHandler, null,
                home);
        }
        else
        {
            final PacketLoad load = new PacketLoad(2);
            final PollIdleStrategy outboundIdle = packetIdle(outboundFds, spinNs, load, 0);
            outbound.idleWindow(outboundIdle);
            final PollIdleStrategy inboundIdle = packetIdle(inboundFds, spinNs, load, 1);
            inbound.idleWindows(inboundIdle, null);
            outboundRunner = new AgentRunner(scheduling.idleStrategy(outboundIdle, out, false, outMark),
                errorHandler, null, outbound);
            inboundRunner = new AgentRunner(scheduling.idleStrategy(inboundIdle, in, false, inMark), errorHandler,
                null, inbound);
        }
        final int[] packetCpus = config.packetCpus();
        AgentRunner.startOnThread(conductorRunner);
        AgentRunner.startOnThread(outboundRunner, packetThreadFactory(packetCpus, 0, scheduling));
        if (inboundRunner != null)
        {
            AgentRunner.startOnThread(inboundRunner, packetThreadFactory(packetCpus, packetCpus.length - 1,
                scheduling));
        }
        if (sipRunner != null)
        {
            AgentRunner.startOnThread(sipRunner);
        }
    }

    /**
     * The raw carrier's packet ring ({@link PacketRingReceiver}) and the nftables table that drops what it took
     * ({@link EspEarlyDrop}); {@code carrier.ring=auto} goes on with the raw socket alone where either does not work.
     * Takes nothing until {@link DaemonHostState#syncPacketRing()} names the host's addresses.
     */
    private PacketRingReceiver openPacketRing() throws IOException
    {
        final DaemonConfig.CarrierRing setting = config.carrierRing();
        final NftCommand nft = new NftCommand();
        final EspEarlyDrop drop = nft.available() ?
            new EspEarlyDrop(nft, config.tunName(), PacketRingReceiver.MAX_IP_LENGTH, log) : null;
        if (setting == DaemonConfig.CarrierRing.OFF)
        {
            if (drop != null)
            {
                drop.remove(); // a table left by a crashed run that had the ring on
            }
            return null;
        }
        String why = "nft not found or not permitted (install nftables)";
        if (drop != null)
        {
            try
            {
                packetRing = register(new PacketRingReceiver(
                    daemonCounters.counter(DaemonCounters.Counter.TunRingPacketsRead),
                    daemonCounters.counter(DaemonCounters.Counter.TunRingDrops),
                    daemonCounters.counter(DaemonCounters.Counter.TunRingLeftToKernel)));
                espEarlyDrop = drop;
                return packetRing;
            }
            catch (final IOException ex)
            {
                why = ex.getMessage();
                drop.remove();
            }
        }
        if (setting == DaemonConfig.CarrierRing.ON)
        {
            throw new IOException("carrier.ring=on but the packet ring is unavailable: " + why);
        }
        log.accept("packet ring unavailable, ESP through the raw socket only (carrier.ring=auto): " + why);
        return null;
    }

    /** @return {@code packet.cpus} as written: the outbound thread's CPU, then the inbound's if it differs. */
    private static String cpuList(final int[] cpus)
    {
        return cpus.length == 2 && cpus[0] != cpus[1] ? cpus[0] + " (outbound), " + cpus[1] + " (inbound)" :
            String.valueOf(cpus[0]);
    }

    /** Fails the start if {@code packet.cpus} names a CPU this process may not run on (taskset, cgroup cpuset). */
    private static void checkPacketCpus(final int[] cpus)
    {
        if (cpus.length == 0)
        {
            return;
        }
        final List<Integer> allowed = CpuSet.allowedForThisThread();
        for (final int cpu : cpus)
        {
            if (!allowed.contains(cpu))
            {
                throw new IllegalArgumentException("packet.cpus: CPU " + cpu + " is not one this process may run on (" +
                    CpuSet.toList(allowed) + ")");
            }
        }
    }

    /**
     * @return the factory of a packet thread: unpinned if {@code cpus} is empty, else a thread that first keeps itself
     *         on {@code cpus[index]} ({@code packet.cpus}). The CPU was checked at start; if the kernel still refuses
     *         (a CPU taken away since), the thread logs it and carries packets unpinned.
     */
    /** A packet thread's idle strategy: the window of {@code idle.spin.us} while the packet load is below the setting. */
    private PollIdleStrategy packetIdle(final PollFds fds, final long spinNs, final PacketLoad load, final int slot)
    {
        return packetIdle((PollIdleStrategy.Poller)fds::poll, spinNs, load, slot);
    }

    private PollIdleStrategy packetIdle(
        final PollIdleStrategy.Poller poller, final long spinNs, final PacketLoad load, final int slot)
    {
        return new PollIdleStrategy(poller, config.idlePollMs(), spinNs, config.idleSpinLoadPct(),
            org.agrona.concurrent.SystemNanoClock.INSTANCE, Thread::yield, load, slot,
            daemonCounters.counter(DaemonCounters.Counter.TunIdleSpinWindows),
            daemonCounters.counter(DaemonCounters.Counter.TunIdleSpinSkipped));
    }

    /** The outbound agent's descriptors: the TUN, the hold wake-up (SIP bridge), the hand-off wake-up (auto). */
    private PollFds outboundFds(final int capacity, final org.esp4j.tun.jna.EventFd lendWake)
    {
        final PollFds fds = new PollFds(capacity).add(tun.fd(0), LibC.POLLIN);
        if (holdWake != null)
        {
            fds.add(holdWake.fd(), LibC.POLLIN);
        }
        if (lendWake != null)
        {
            fds.add(lendWake.fd(), LibC.POLLIN);
        }
        return fds;
    }

    /** The receivers' descriptors, in the inbound agent's order (ring, raw, UDP), after what {@code fds} holds. */
    private static PollFds addReceivers(final PollFds fds, final List<Integer> receiverFds)
    {
        receiverFds.forEach(fd -> fds.add(fd, LibC.POLLIN));
        return fds;
    }

    private java.util.concurrent.ThreadFactory packetThreadFactory(
        final int[] cpus, final int index, final PacketScheduling scheduling)
    {
        if (cpus.length == 0 && !scheduling.setsThreads())
        {
            return Thread::new;
        }
        final int cpu = cpus.length == 0 ? -1 : cpus[index];
        return runnable -> new Thread(() ->
        {
            final int errno = cpu < 0 ? 0 : CpuSet.pinThisThread(cpu);
            if (errno != 0)
            {
                log.accept("warning: packet thread " + Thread.currentThread().getName() + " not kept on CPU " + cpu +
                    ": " + LibC.describe(errno));
            }
            scheduling.applyToThisThread(log);
            runnable.run();
        });
    }

    /** {@code packet.yield}, {@code packet.sched}, {@code packet.slice.us}. */
    private PacketScheduling packetScheduling()
    {
        return new PacketScheduling(config.packetYield(), config.packetSched(),
            java.util.concurrent.TimeUnit.MICROSECONDS.toNanos(config.packetSliceUs()), PacketScheduling.LINUX);
    }

    /**
     * The SIP bridge: outbound SIP is seen on the TUN before protection, inbound SIP through raw UDP/TCP sockets;
     * the SAs it decides on go into this daemon's SAD and SPD, and the steering follows the new policies.
     */
    private void startSipBridge(final OutboundAgent outbound) throws IOException
    {
        final SipBridgeSettings settings = config.sipBridge();
        // A daemon with only the UDP carrier can send nothing else: its SIP-bridge SAs are ESP-in-UDP (RFC 3948).
        sipBridge = new DaemonSipBridge(settings.role(), settings.aka(), settings.keyring(), sad, spd, clock::nanoTime,
            log, config.carrier().raw() ? 0 : config.udpPort(), new ConductorChangeApplier(conductor, CHANGE_TIMEOUT_NS));
        sipBridge.tcpFlows(config.sipTcpFlows());
        sipBridge.summaryPeriod(java.util.concurrent.TimeUnit.SECONDS.toNanos(config.logSummaryS()));
        final org.esp4j.tun.jna.EventFd wake = holdWake;
        sipBridge.holdArea(new org.esp4j.tun.sip.HoldArea(clock, CHANGE_TIMEOUT_NS,
            new org.esp4j.tun.sip.HoldArea.Counters(
                daemonCounters.counter(DaemonCounters.Counter.TunSipHeld),
                daemonCounters.counter(DaemonCounters.Counter.TunSipHeldReleased),
                daemonCounters.counter(DaemonCounters.Counter.TunSipHoldFull),
                daemonCounters.counter(DaemonCounters.Counter.TunSipHoldNotInForce)),
            sipBridge::onHeldDropped,
            new org.esp4j.tun.sip.HoldArea.Wake()
            {
                public void signal()
                {
                    wake.signal();
                }

                public void clear()
                {
                    wake.clear();
                }
            }));
        final SipSniffer sniffer = register(new SipSniffer(sipBridge));
        sniffer.counters(new org.esp4j.tun.sip.SipBridgeCounters(
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpFlows),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpBufferedBytes),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpFlowsEvicted),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpFlowsIdleExpired),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpFlowsOverflowed),
            daemonCounters.counter(DaemonCounters.Counter.TunSipFlowConflicts),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpSegmentsAhead),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpHolesSkipped),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpPartialsDroppedByNewConnection),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpPartialsDroppedByClose),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpSegmentsOfEarlierConnection),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpSegmentsOutsideWindow),
            daemonCounters.counter(DaemonCounters.Counter.TunSipTcpFlowsResynchronised)));
        sniffer.receiveDropped(daemonCounters.counter(DaemonCounters.Counter.TunSipWatchReceiveDropped));
        final PollFds fds = new PollFds(sniffer.fds().length);
        for (final int fd : sniffer.fds())
        {
            fds.add(fd, LibC.POLLIN);
        }
        outbound.plaintextObserver(sipBridge);
        sipRunner = new AgentRunner(new PollIdleStrategy(fds, config.idlePollMs(), 0, 100, new PacketLoad(1), 0,
            daemonCounters.counter(DaemonCounters.Counter.TunIdleSpinWindows),
            daemonCounters.counter(DaemonCounters.Counter.TunIdleSpinSkipped)), throwable ->
        {
            daemonCounters.increment(DaemonCounters.Counter.TunAgentErrors);
            LogLevel.log(log, LogLevel.ERROR, "agent error: " + throwable);
        }, null, sniffer);
        final String keys;
        if (settings.keyring() != null)
        {
            keys = ", AKA " + settings.algorithmName() + " for " + settings.keyring();
        }
        else if (settings.aka() != null)
        {
            keys = ", AKA " + settings.algorithmName();
        }
        else if (settings.role() == Role.PCSCF)
        {
            keys = ", keys from the S-CSCF's 401 (ck=/ik=)";
        }
        else
        {
            keys = ", no subscriber keys (SAs cannot be keyed)";
        }
        log.accept("sip-bridge: role " + settings.role().cliName() + keys);
    }

    /** @return the SIP bridge, or null when the daemon runs without one. */
    public DaemonSipBridge sipBridge()
    {
        return sipBridge;
    }

    private <T extends AutoCloseable> T register(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    private void startControlEndpoint()
    {
        ControlEndpointFactory factory = controlFactory;
        if (factory == null)
        {
            factory = ServiceLoader.load(ControlEndpointFactory.class).findFirst().orElse(null);
        }
        if (factory == null)
        {
            log.accept("no control endpoint installed");
            return;
        }
        try
        {
            controlEndpoint = factory.start(this, config.controlSocket());
            log.accept("control socket " + config.controlSocket());
        }
        catch (final IOException | RuntimeException ex)
        {
            LogLevel.log(log, LogLevel.ERROR, "control endpoint failed to start: " + ex.getMessage());
        }
    }

    /**
     * The preferred source of the table's route: an out-policy template's source, else the source selector of an
     * out-policy that names one host (an allow-only set of policies has no template). Without either the kernel
     * picks any address of the host, which need not be one the policies select (PolicyRouting falls back to no src
     * where the kernel refuses the address).
     */
    private InetAddress localAddress(final boolean ipv4)
    {
        InetAddress selected = null;
        for (final SecurityPolicy policy : spd.list())
        {
            if (policy.direction() != PolicyDirection.OUT)
            {
                continue;
            }
            final TemplateConfig template = policy.template();
            if (template != null && template.source() != null && (template.source() instanceof Inet4Address) == ipv4)
            {
                return template.source();
            }
            final InetAddress source = policy.selector().sourceAddress();
            if (selected == null && source != null && (source instanceof Inet4Address) == ipv4 &&
                policy.selector().sourcePrefixLength() == source.getAddress().length * 8)
            {
                selected = source;
            }
        }
        return selected;
    }

    private int detectPathMtu(final List<SteeringPrefix> prefixes)
    {
        for (final SteeringPrefix prefix : prefixes)
        {
            try
            {
                final String route = ip.run(prefix.familyOption(), "route", "get", prefix.address().getHostAddress())
                    .output();
                final Matcher mtu = MTU.matcher(route);
                if (mtu.find())
                {
                    return Integer.parseInt(mtu.group(1));
                }
                final Matcher dev = DEV.matcher(route);
                if (dev.find())
                {
                    return Integer.parseInt(Files.readString(Path.of("/sys/class/net", dev.group(1), "mtu")).trim());
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                log.accept("path MTU towards " + prefix + " unknown: " + ex.getMessage());
            }
        }
        return DEFAULT_PATH_MTU;
    }

    // ------------------------------------------------------------------ DaemonControl

    public DaemonConfig config()
    {
        return config;
    }

    public String tunName()
    {
        return tun == null ? config.tunName() : tun.name();
    }

    public int tunMtu()
    {
        return tunMtu;
    }

    public int pathMtu()
    {
        return pathMtu;
    }

    public SecurityAssociationDatabase sad()
    {
        return sad;
    }

    public SecurityPolicyDatabase spd()
    {
        return spd;
    }

    public XfrmCounters counters()
    {
        return counters;
    }

    public DaemonCounters daemonCounters()
    {
        return daemonCounters;
    }

    public Path countersFile()
    {
        return config.countersFile();
    }

    /** @return the outbound sequence reservations beside the counters file ({@link SequenceReservations}). */
    public Path sequencesFile()
    {
        return config.countersFile().resolveSibling(config.countersFile().getFileName() + ".seq");
    }

    public AutoCloseable subscribe(final SpdEventListener listener)
    {
        return events.subscribe(listener);
    }

    public <T> T apply(final java.util.function.Supplier<T> change)
    {
        final DaemonConductor owner = conductor;
        if (owner == null || !running)
        {
            throw new IllegalStateException("daemon not running");
        }
        return owner.apply(change, CHANGE_TIMEOUT_NS);
    }

    public AutoCloseable subscribePolicyEvents(final DaemonConductor.PolicyEventListener listener)
    {
        final DaemonConductor owner = conductor;
        if (owner == null)
        {
            throw new IllegalStateException("daemon not running");
        }
        return owner.subscribe(listener);
    }

    public void requestShutdown()
    {
        final Thread thread = new Thread(this::close, "esp4j-shutdown");
        thread.setDaemon(false);
        thread.start();
    }

    public boolean isRunning()
    {
        return running;
    }

    /** Wait until the daemon is closed. */
    public boolean awaitClose(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return stopped.await(timeout, unit);
    }

    /** Stop the agents and the control endpoint, remove rules, routes and the TUN, close the sockets. Idempotent. */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        running = false;
        closeQuietly(controlEndpoint);
        if (outboundRunner != null)
        {
            outboundRunner.close();
        }
        if (inboundRunner != null)
        {
            inboundRunner.close();
        }
        if (sipRunner != null)
        {
            sipRunner.close();
        }
        if (conductorRunner != null)
        {
            conductorRunner.close();
        }
        if (routing != null)
        {
            routing.remove();
        }
        if (inboundFilter != null)
        {
            inboundFilter.remove();
        }
        if (espEarlyDrop != null)
        {
            espEarlyDrop.remove();
        }
        if (tun != null)
        {
            tun.close();
        }
        for (final AutoCloseable closeable : closeables)
        {
            closeQuietly(closeable);
        }
        if (sad != null)
        {
            sad.flush();
        }
        if (countersFile != null)
        {
            countersFile.close();
            try
            {
                Files.deleteIfExists(config.countersFile());
            }
            catch (final IOException ex)
            {
                LogLevel.log(log, LogLevel.ERROR, "cannot delete " + config.countersFile() + ": " + ex.getMessage());
            }
        }
        log.accept("stopped");
        stopped.countDown();
    }

    private void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable != null)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ex)
            {
                LogLevel.log(log, LogLevel.ERROR, "close failed: " + ex.getMessage());
            }
        }
    }
    /** One batch per agent (each owns its processor); null where the setting or the JVM says hash packet by packet. */
    private static IcvBatch icvBatch(final DaemonConfig.MultiBuffer setting)
    {
        switch (setting)
        {
            case OFF:
                return null;
            case ON:
                final IcvBatch batch = IcvBatch.create(1);
                if (batch == null)
                {
                    throw new IllegalArgumentException(
                        "crypto.multibuffer=on needs the JVM option --add-modules jdk.incubator.vector");
                }
                return batch;
            default:
                return IcvBatch.createIfFaster();
        }
    }
}
