package org.esp4j.cli.sip;

import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.sim.FarmAddresses;
import org.esp4j.sip.sim.FarmShard;
import org.esp4j.sip.sim.PcscfFarm;
import org.esp4j.sip.sim.PcscfSim;
import org.esp4j.sip.sim.PcscfSimConfig;
import org.esp4j.sip.sim.SimAlgorithms;
import org.esp4j.sip.sim.SimFlow;
import org.esp4j.sip.sim.SimLadder;
import org.esp4j.sip.sim.SocketSimTransport;
import org.esp4j.sip.sim.Subscriber;
import org.esp4j.sip.sim.SubscriberSet;
import org.esp4j.sip.sim.UeFarm;
import org.esp4j.sip.sim.UeSim;
import org.esp4j.sip.sim.UeSimConfig;
import org.esp4j.sip.util.InetAddressText;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code esp4j sim ue|pcscf}: the IMS registration simulators on real sockets (see {@link UeSim} and
 * {@link PcscfSim}). They do SIP only: run each behind an esp4j daemon in its role (or a kernel with ESP) for the
 * IPsec. Keys come from {@code --subscriber FILE} (default TS 35.208 test set 1) and are never printed.
 */
public final class SimCommand
{
    static final String USAGE = String.join(System.lineSeparator(),
        "usage: esp4j sim ue    [--ue ADDR] [--pcscf ADDR] [--ipv4] [--pcscf-port N] [--port-c N] [--port-s N]",
        "                       [--spi-c N] [--spi-s N] [--alg ALG] [--ealg EALG] [--transport udp|tcp]",
        "                       [--reregister N [--rechallenge [--new-port-c N]]] [--deregister [--hold FILE]]",
        "                       [--subscriber FILE] [--timeout SECONDS]",
        "       esp4j sim ue    --ues N --ue-prefix PREFIX [--ue-dev DEV] [--rate R] [--concurrency C]",
        "                       [--reregister N] [--reregister-interval S] [--hold FILE | --hold-time S]",
        "                       [--sustain S] [--shard I/S] [--times FILE] [options above]",
        "       esp4j sim pcscf [--address ADDR] [--ipv4] [--port N] [--port-c N] [--port-s N] [--spi-c N] [--spi-s N]",
        "                       [--alg ALG] [--ealg EALG] [--transport udp|tcp] [--rechallenge [--new-port-c N]]",
        "                       [--subscriber FILE] [--timeout SECONDS] [--ues N]",
        "",
        "Defaults are the seed trace's: UE 2001::1:d1ae:bb37:d9c9:81d0 port-c 38003 port-s 39003 spi-c 565817",
        "spi-s 565818; P-CSCF 2001:0:0:1::2 port 5060 port-c 50717 port-s 50718 spi-c 3458785863 spi-s 2821032177;",
        "--ipv4 uses 192.0.2.1 (UE) and 192.0.2.2 (P-CSCF). ALG: hmac-md5-96|hmac-sha-1-96 (default: UE offers both)",
        "or aes-gmac (Rel-15, with ealg null); EALG: null|aes-cbc (default null) or aes-gcm (Rel-15, with alg null).",
        "Requests over 1300 bytes go over TCP unless --transport says otherwise.",
        "The subscriber FILE holds impi, impu, domain, k, op|opc, sqn, amf as 'key = value' lines (default: TS 35.208",
        "test set 1, IMPI 001010123456789@ims.mnc01.mcc001.3gppnetwork.org). 'sim ue' exits 0 once the procedure",
        "completed, 1 when it failed; 'sim pcscf' runs until SIGTERM or the timeout (default: none). --hold FILE:",
        "stay registered until FILE exists, then de-register. --rechallenge (TS 33.203 7.4): the UE's re-REGISTERs",
        "offer new SAs (SPIs + 2, port-c --new-port-c, default port-c + 2) and the P-CSCF answers them with a fresh",
        "challenge and a new Security-Server (SPIs + 2, port-c --new-port-c, default port-c + 2) over the old SAs.",
        "--ues N (a UE farm): UE i takes the (i+1)-th address of PREFIX (added to DEV, default lo, and removed at the",
        "end), subscriber i of the --subscriber file (or derived from it or test set 1: see README), spi-c/spi-s + 2i;",
        "at most R procedures started per second (default: no limit) and C in flight (default 100); N re-registrations",
        "each S seconds after the last (or every S s while held), then all de-register. 'sim pcscf --ues N' serves",
        "the same N subscribers (its spi-c/spi-s + i). --shard I/S: this process runs shard I of S of the N UEs",
        "(UEs (I-1)*N/S to I*N/S - 1, each with its address, subscriber and SPIs of the whole farm; R and C are this",
        "process's own); --times FILE: write the first REGISTER's and the last registration's time and each UE's",
        "time-to-200, to summarise shards together. --sustain S: sustained load: each UE de-registers once registered",
        "and registers again (new AKA, new SAs) for S seconds, then all de-register; the progress line carries the",
        "registrations so far and the wall clock (epoch ms).");

    /** The seed's UE address. */
    public static final String SEED_UE = "2001::1:d1ae:bb37:d9c9:81d0";
    /** The seed's P-CSCF address. */
    public static final String SEED_PCSCF = "2001:0:0:1::2";
    /** The IPv4 lab's UE address (TEST-NET-1). */
    public static final String IPV4_UE = "192.0.2.1";
    /** The IPv4 lab's P-CSCF address. */
    public static final String IPV4_PCSCF = "192.0.2.2";

    private SimCommand()
    {
    }

    /**
     * @param args after {@code sim}.
     * @param out  standard output: the ladder.
     * @param err  errors.
     * @return 0 done, 1 failed, 2 usage.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 0 || !List.of("ue", "pcscf", "-h", "--help").contains(args[0]))
        {
            err.println("esp4j sim: expected 'ue' or 'pcscf'");
            err.println(USAGE);
            return 2;
        }
        if (args[0].startsWith("-") || List.of(args).contains("--help") || List.of(args).contains("-h"))
        {
            out.println(USAGE);
            return 0;
        }
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("esp4j sim " + args[0] + ": " + ex.getMessage());
            return 2;
        }
        try
        {
            if (options.ues > 0)
            {
                return options.ue ? runUeFarm(options, out) : runPcscfFarm(options, out);
            }
            return options.ue ? runUe(options, out) : runPcscf(options, out);
        }
        catch (final IOException ex)
        {
            err.println("esp4j sim " + args[0] + ": " + ex.getMessage());
            return 1;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("esp4j sim " + args[0] + ": " + ex.getMessage());
            return 2;
        }
    }

    private static int runUe(final Options options, final PrintStream out) throws IOException
    {
        UeSimConfig config = ueConfig(options).withProcedure(options.reregister, options.deregister)
            .withHoldFile(options.hold);
        if (options.rechallenge)
        {
            config = config.withRenewal(options.newPortC(config.portC(), config.portS()));
        }
        final SimLadder ladder = new SimLadder("UE", out);
        try (SocketSimTransport transport = new SocketSimTransport(config.ue()))
        {
            transport.listen(config.portC(), false).listen(config.portS(), true);
            if (config.renewPortC() != 0)
            {
                transport.listen(config.renewPortC(), false);
            }
            final UeSim ue = new UeSim(config, transport, ladder);
            out.println("sim ue: " + config.subscriber().impi() + " at " + InetAddressText.format(config.ue()) +
                " registering with " + InetAddressText.format(config.pcscf(), config.pcscfPort()));
            ue.start(nowMs());
            final long deadline = nowMs() + options.timeoutMs;
            final SocketSimTransport.Handler handler = handler(ue::onMessage, out);
            while (!ue.isFinished() && nowMs() - deadline < 0)
            {
                transport.poll(10, handler);
                ue.doWork(nowMs());
            }
            if (ue.state() != UeSim.State.DONE)
            {
                out.println("sim ue: FAILED: " + (ue.failure() != null ? ue.failure() :
                    "not done within " + options.timeoutMs / 1000 + " s (state " + ue.state() + ")"));
                return 1;
            }
            out.println("sim ue: DONE");
            return 0;
        }
    }

    private static int runPcscf(final Options options, final PrintStream out) throws IOException
    {
        PcscfSimConfig config = pcscfConfig(options);
        if (options.rechallenge)
        {
            config = config.withRechallenge(options.newPortC(config.portC(), config.portS()));
        }
        final SimLadder ladder = new SimLadder("P-CSCF", out);
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread hook = new Thread(() -> running.set(false));
        Runtime.getRuntime().addShutdownHook(hook);
        try (SocketSimTransport transport = new SocketSimTransport(config.address()))
        {
            transport.listen(config.port(), true).listen(config.portS(), true).listen(config.portC(), false);
            if (config.renewPortC() != 0)
            {
                transport.listen(config.renewPortC(), false);
            }
            final PcscfSim pcscf = new PcscfSim(config, transport, ladder);
            out.println("sim pcscf: listening on " + InetAddressText.format(config.address(), config.port()) +
                " (UDP, TCP), port-c " + config.portC() + ", port-s " + config.portS() + " for " +
                config.subscriber().impi());
            out.flush();
            final long deadline = options.timeoutMs == DEFAULT_TIMEOUT_MS ? Long.MAX_VALUE : nowMs() + options.timeoutMs;
            final SocketSimTransport.Handler handler = handler(pcscf::onMessage, out);
            while (running.get() && nowMs() < deadline)
            {
                transport.poll(10, handler);
                pcscf.doWork(nowMs());
                out.flush();
            }
            out.println("sim pcscf: stopped; " + pcscf.registrations() + " registrations, " + pcscf.deregistrations() +
                " de-registrations");
            return 0;
        }
    }

    /** The UE the options describe (the farm's template), before its procedure. */
    private static UeSimConfig ueConfig(final Options options)
    {
        final UeSimConfig config = UeSimConfig.seed(options.ueAddress, options.pcscfAddress)
            .withPorts(options.port != 0 ? options.port : 5060,
                options.portC != 0 ? options.portC : UeSimConfig.SEED_PORT_C,
                options.portS != 0 ? options.portS : UeSimConfig.SEED_PORT_S)
            .withSubscriber(options.subscriber, options.spiC >= 0 ? options.spiC : UeSimConfig.SEED_SPI_C,
                options.spiS >= 0 ? options.spiS : UeSimConfig.SEED_SPI_S)
            .withTransport(options.transport);
        return options.alg != null || options.ealg != null ?
            config.withAlgorithms(options.alg != null ? List.of(options.alg) : config.algorithms(),
                options.ealg != null ? options.ealg : EncryptionAlgorithm.NULL) : config;
    }

    /** The P-CSCF the options describe, before a re-challenge. */
    private static PcscfSimConfig pcscfConfig(final Options options)
    {
        final PcscfSimConfig config = PcscfSimConfig.seed(options.pcscfAddress)
            .withPorts(options.port != 0 ? options.port : 5060,
                options.portC != 0 ? options.portC : PcscfSimConfig.SEED_PORT_C,
                options.portS != 0 ? options.portS : PcscfSimConfig.SEED_PORT_S)
            .withSubscriber(options.subscriber, options.spiC >= 0 ? options.spiC : PcscfSimConfig.SEED_SPI_C,
                options.spiS >= 0 ? options.spiS : PcscfSimConfig.SEED_SPI_S)
            .withTransport(options.transport);
        return options.alg != null || options.ealg != null ?
            config.withAlgorithms(options.alg != null ? List.of(options.alg) : config.algorithms(),
                options.ealg != null ? List.of(options.ealg) : config.ealg()) : config;
    }

    private static SubscriberSet subscribers(final Options options)
    {
        return options.subscriberFile != null ? SubscriberSet.read(options.subscriberFile, options.ues) :
            SubscriberSet.derived(Subscriber.testSet1(), options.ues);
    }

    private static int runUeFarm(final Options options, final PrintStream out) throws IOException
    {
        final UeSimConfig template = ueConfig(options);
        final SubscriberSet subscribers = subscribers(options);
        final FarmShard shard = options.shard != null ? FarmShard.parse(options.shard, options.ues) :
            FarmShard.whole(options.ues);
        final FarmAddresses addresses = new FarmAddresses(options.uePrefix, shard, options.ueDev);
        final UeFarm.Settings settings = new UeFarm.Settings(template, subscribers, shard.first(), shard.count(),
            addresses::address, options.rate, options.concurrency, options.reregister, options.reregisterIntervalMs, options.holdMs,
            options.hold, options.timeoutMs, options.sustainMs);
        final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        final AtomicReference<UeFarm> running = new AtomicReference<>();
        // Ctrl-C/SIGTERM: de-register what is registered (bounded by the farm's timeout), then the addresses go.
        final Thread hook = new Thread(() ->
        {
            final UeFarm farm = running.get();
            if (farm != null)
            {
                farm.stop();
                try
                {
                    finished.await(STOP_GRACE_S, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ignore)
                {
                    Thread.currentThread().interrupt();
                }
            }
            addresses.close();
        }, "sim-ue-farm-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (SocketSimTransport transport = new SocketSimTransport(addresses.address(shard.first())))
        {
            addresses.add();
            out.println("sim ue: farm of " + shard.count() + " UEs " +
                (shard.isWhole() ? "" : "(shard " + shard + " of " + options.ues + ") ") +
                InetAddressText.format(addresses.address(shard.first())) + ".." +
                InetAddressText.format(addresses.address(shard.end() - 1)) + " on " + options.ueDev +
                ", registering with " + InetAddressText.format(template.pcscf(), template.pcscfPort()) +
                (options.rate > 0 ? " at " + (long)options.rate + "/s" : "") + ", " + options.concurrency +
                " in flight at most");
            out.flush();
            final UeFarm farm = new UeFarm(settings, transport, out);
            running.set(farm);
            final boolean ok = farm.run();
            if (options.times != null)
            {
                farm.writeTimes(options.times);
            }
            out.println(ok ? "sim ue: DONE" : "sim ue: FAILED: " + farm.failed() + " of " + shard.count() + " UEs failed");
            return ok ? 0 : 1;
        }
        finally
        {
            finished.countDown();
            addresses.close();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // the hook is running: it removes the addresses itself
            }
        }
    }

    private static int runPcscfFarm(final Options options, final PrintStream out) throws IOException
    {
        final PcscfSimConfig config = pcscfConfig(options);
        final PcscfSimConfig template = config;
        final SubscriberSet subscribers = subscribers(options);
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread hook = new Thread(() -> running.set(false));
        Runtime.getRuntime().addShutdownHook(hook);
        try (SocketSimTransport transport = new SocketSimTransport(config.address()))
        {
            // connections to thousands of UEs through two busy daemons: opened in the poll loop, not one at a time
            // with the blocking 5 s limit (a UE whose connection fails is a warning, not the end of the farm)
            transport.connectWithoutBlocking();
            transport.listen(config.port(), true).listen(config.portS(), true).listen(config.portC(), false);
            final PcscfFarm farm = new PcscfFarm(template, subscribers, transport, out);
            out.println("sim pcscf: listening on " + InetAddressText.format(config.address(), config.port()) +
                " (UDP, TCP), port-c " + config.portC() + ", port-s " + config.portS() + " for " + subscribers);
            out.flush();
            final long deadline = options.timeoutMs == DEFAULT_TIMEOUT_MS ? Long.MAX_VALUE : nowMs() + options.timeoutMs;
            long lastStatus = nowMs();
            String last = "";
            while (running.get() && nowMs() < deadline)
            {
                transport.poll(5, farm);
                farm.doWork(nowMs());
                if (nowMs() - lastStatus >= 5000)
                {
                    lastStatus = nowMs();
                    final String status = farm.status();
                    if (!status.equals(last))
                    {
                        out.println("sim pcscf: " + status);
                        out.flush();
                        last = status;
                    }
                }
            }
            out.println("sim pcscf: stopped; " + farm.status());
            return 0;
        }
    }

    private interface MessageSink
    {
        void onMessage(SimFlow flow, SipMessage message, long nowMs) throws IOException;
    }

    private static SocketSimTransport.Handler handler(final MessageSink sink, final PrintStream out)
    {
        return new SocketSimTransport.Handler()
        {
            public void onMessage(final SimFlow flow, final SipMessage message) throws IOException
            {
                sink.onMessage(flow, message, nowMs());
            }

            public void onBadInput(final SimFlow flow, final String reason)
            {
                out.println("    dropped from " + flow + ": " + reason);
            }
        };
    }

    private static long nowMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    private static final long DEFAULT_TIMEOUT_MS = 120_000;
    private static final long STOP_GRACE_S = 40;

    private static final class Options
    {
        boolean ue;
        InetAddress ueAddress;
        InetAddress pcscfAddress;
        int port;
        int portC;
        int portS;
        long spiC = -1;
        long spiS = -1;
        IntegrityAlgorithm alg;
        EncryptionAlgorithm ealg;
        Transport transport;
        int reregister;
        boolean rechallenge;
        int newPortC;
        boolean deregister;
        Path hold;
        Subscriber subscriber = Subscriber.testSet1();
        Path subscriberFile;
        long timeoutMs = DEFAULT_TIMEOUT_MS;
        int ues;
        String uePrefix;
        String ueDev = "lo";
        double rate;
        int concurrency = 100;
        long reregisterIntervalMs;
        long holdMs;
        long sustainMs;
        String shard;
        Path times;

        /** The port-c of a renewed set: --new-port-c, else port-c + 2; never port-c or port-s themselves. */
        int newPortC(final int portC, final int portS)
        {
            final int chosen = newPortC != 0 ? newPortC : portC + 2;
            if (chosen == portC || chosen == portS || chosen > 65535)
            {
                throw new IllegalArgumentException("--new-port-c " + chosen + " must differ from port-c " + portC +
                    " and port-s " + portS + " and be at most 65535");
            }
            return chosen;
        }

        static Options parse(final String[] args)
        {
            final Options options = new Options();
            options.ue = args[0].equals("ue");
            String ue = null;
            String pcscf = null;
            boolean ipv4 = false;
            String algText = null;
            String ealgText = null;
            for (int i = 1; i < args.length; i++)
            {
                final String arg = args[i];
                switch (arg)
                {
                    case "--ue" -> ue = value(args, ++i, arg);
                    case "--pcscf", "--address" -> pcscf = value(args, ++i, arg);
                    case "--ipv4" -> ipv4 = true;
                    case "--port", "--pcscf-port" -> options.port = port(args, ++i, arg);
                    case "--port-c" -> options.portC = port(args, ++i, arg);
                    case "--port-s" -> options.portS = port(args, ++i, arg);
                    case "--spi-c" -> options.spiC = spi(args, ++i, arg);
                    case "--spi-s" -> options.spiS = spi(args, ++i, arg);
                    case "--alg" -> algText = value(args, ++i, arg);
                    case "--ealg" -> ealgText = value(args, ++i, arg);
                    case "--transport" -> options.transport = Transport.parse(value(args, ++i, arg));
                    case "--reregister" -> options.reregister = (int)number(args, ++i, arg, 1000);
                    case "--deregister" -> options.deregister = true;
                    case "--rechallenge" -> options.rechallenge = true;
                    case "--new-port-c" -> options.newPortC = port(args, ++i, arg);
                    case "--hold" -> options.hold = Path.of(value(args, ++i, arg));
                    case "--subscriber" -> options.subscriberFile = Path.of(value(args, ++i, arg));
                    case "--ues" -> options.ues = (int)number(args, ++i, arg, SubscriberSet.MAX_SUBSCRIBERS);
                    case "--ue-prefix" -> options.uePrefix = value(args, ++i, arg);
                    case "--ue-dev" -> options.ueDev = value(args, ++i, arg);
                    case "--rate" -> options.rate = number(args, ++i, arg, 1_000_000);
                    case "--concurrency" -> options.concurrency = (int)number(args, ++i, arg, 1_000_000);
                    case "--reregister-interval" -> options.reregisterIntervalMs = number(args, ++i, arg, 86_400) * 1000;
                    case "--hold-time" -> options.holdMs = number(args, ++i, arg, 86_400) * 1000;
                    case "--sustain" -> options.sustainMs = number(args, ++i, arg, 86_400) * 1000;
                    case "--shard" -> options.shard = value(args, ++i, arg);
                    case "--times" -> options.times = Path.of(value(args, ++i, arg));
                    case "--timeout" -> options.timeoutMs = number(args, ++i, arg, 86_400) * 1000;
                    default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
                }
            }
            if (options.subscriberFile != null)
            {
                // a farm's file may hold many subscribers (SubscriberSet); a single UE's holds one
                options.subscriber = options.ues > 0 ? SubscriberSet.read(options.subscriberFile, options.ues).get(0) :
                    Subscriber.read(options.subscriberFile);
            }
            if (options.sustainMs > 0 && (options.hold != null || options.holdMs > 0 || options.reregister > 0))
            {
                throw new IllegalArgumentException("--sustain: not with --hold, --hold-time or --reregister");
            }
            if (options.ues > 0 && options.rechallenge)
            {
                throw new IllegalArgumentException("--rechallenge: not with --ues (the renewed SPIs would meet the next UE's)");
            }
            if (options.ues > 0 && options.ue && options.uePrefix == null)
            {
                throw new IllegalArgumentException("--ues: needs --ue-prefix PREFIX (each UE its own address)");
            }
            if ((options.shard != null || options.times != null || options.sustainMs > 0) &&
                (options.ues == 0 || !options.ue))
            {
                throw new IllegalArgumentException((options.shard != null ? "--shard" :
                    options.times != null ? "--times" : "--sustain") + ": only for a UE farm (sim ue --ues N)");
            }
            if (options.shard != null)
            {
                FarmShard.parse(options.shard, options.ues); // a bad I/S is a usage error, before anything starts
            }
            if (options.ues > 0 && options.concurrency < 1)
            {
                throw new IllegalArgumentException("--concurrency: at least 1");
            }
            final SimAlgorithms algorithms = SimAlgorithms.parse(algText, ealgText);
            options.alg = algorithms.alg();
            options.ealg = algorithms.ealg();
            options.ueAddress = InetAddressText.parse("--ue", ue != null ? ue : ipv4 ? IPV4_UE : SEED_UE);
            options.pcscfAddress = InetAddressText.parse(options.ue ? "--pcscf" : "--address",
                pcscf != null ? pcscf : ipv4 ? IPV4_PCSCF : SEED_PCSCF);
            return options;
        }

        private static String value(final String[] args, final int index, final String option)
        {
            if (index >= args.length || args[index].startsWith("--"))
            {
                throw new IllegalArgumentException(option + ": missing value");
            }
            return args[index];
        }

        private static int port(final String[] args, final int index, final String option)
        {
            final long port = number(args, index, option, 65_535);
            if (port == 0)
            {
                throw new IllegalArgumentException(option + ": expected a port 1..65535");
            }
            return (int)port;
        }

        private static long spi(final String[] args, final int index, final String option)
        {
            final long spi = number(args, index, option, 0xFFFF_FFFFL);
            if (spi < 256)
            {
                throw new IllegalArgumentException(option + ": SPIs 0..255 are reserved (RFC 4303 §2.1)");
            }
            return spi;
        }

        private static long number(final String[] args, final int index, final String option, final long max)
        {
            final String text = value(args, index, option);
            try
            {
                final long value = text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
                if (value < 0 || value > max)
                {
                    throw new NumberFormatException();
                }
                return value;
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(option + ": expected a number 0.." + max + ", got '" + text + "'");
            }
        }
    }
}
