import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SaEventListener;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.esp4j.tun.daemon.DaemonConductor;
import org.esp4j.tun.routing.InboundClearFilter;
import org.esp4j.tun.routing.NftCommand;
import org.esp4j.tun.routing.SteeringPrefix;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The P-CSCF daemon's conductor while the lingering policies of UES de-registered UEs expire together (issue 14): the
 * conductor with its real host state (DaemonHostState: the nftables inbound filter in process, the policy view; no
 * routing, ring or packet agents), the SPD holding the policies of UES UEs in the SIP bridge's shape (4 SAs per UE,
 * one UDP and one TCP policy per SA: 8 policies per UE), one deferred removal per SA due at the same instant, as
 * PolicyLinger schedules them. Measured per trial: every busy duty cycle until no policy is left (max, p99, count,
 * total), and the round trip of a no-op control command offered every PROBE_MS from another thread meanwhile.
 * STAY more UEs stay registered (their policies keep the filter's table, so the expiry deletes set elements one by
 * one, as when part of the UEs de-register; with none left the table is deleted whole, a much cheaper change).
 * Trials alternate the conductor's bound (DEFERRED_PER_DUTY_CYCLE per cycle) and no bound (the code before it), in
 * interleaved pairs. Needs root (nftables); run it in a namespace of its own:
 *
 *   ip netns add esp4j-linger && ip netns exec esp4j-linger java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
 *     --add-opens java.base/java.nio=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -Xmx1g \
 *     -cp cli/target/esp4j.jar benchmarks/scripts/LingerExpiryCycles.java UES ROUNDS [STAY]; ip netns del esp4j-linger
 */
public class LingerExpiryCycles
{
    static final long PROBE_MS = 5;

    public static void main(final String[] args) throws Exception
    {
        final int ues = Integer.parseInt(args[0]);
        final int rounds = Integer.parseInt(args[1]);
        final int stay = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        System.out.printf("UEs %d de-registered (%d policies, %d lingering SAs) + %d staying, %d rounds, JDK %s%n",
            ues, ues * 8, ues * 4, stay, rounds, Runtime.version());
        for (int round = 1; round <= rounds; round++)
        {
            for (final boolean bounded : new boolean[] {false, true})
            {
                System.out.printf("round %d %-9s %s%n", round, bounded ? "bounded" : "unbounded", trial(ues, stay, bounded));
            }
        }
    }

    static String trial(final int ues, final int stay, final boolean bounded) throws Exception
    {
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
        final XfrmCounters counters = XfrmCounters.inMemory();
        final SecurityAssociationDatabase sad =
            new SecurityAssociationDatabase(counters, new SystemNanoClock(), SaEventListener.NO_OP);
        final InboundClearFilter filter = new InboundClearFilter(new NftCommand(), "esp4jlg0", new int[0], s -> { });
        final Object daemonCounters = Class.forName("org.esp4j.tun.daemon.DaemonCounters")
            .getConstructor(CountersManager.class)
            .newInstance(new CountersManager(new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(1 << 20)),
                new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(1 << 18))));
        final Class<?> hostClass = Class.forName("org.esp4j.tun.daemon.DaemonHostState");
        final Constructor<?> newHost = hostClass.getDeclaredConstructors()[0];
        newHost.setAccessible(true);
        final Collection<SteeringPrefix> steer = List.of(SteeringPrefix.parse("2001:db8:5d::/64"));
        final DaemonConductor.HostState host = (DaemonConductor.HostState)newHost.newInstance(sad, spd, counters,
            daemonCounters, steer, null, filter, null, null, null, null, "esp4jlg0", (java.util.function.Consumer<String>)s -> { });
        final DaemonConductor conductor = new DaemonConductor(spd, host, new SystemNanoClock(), System.err::println);
        final Method limit = DaemonConductor.class.getDeclaredMethod("deferredPerDutyCycle", int.class);
        limit.setAccessible(true);
        final java.lang.reflect.Field bound = DaemonConductor.class.getDeclaredField("DEFERRED_PER_DUTY_CYCLE");
        bound.setAccessible(true);
        limit.invoke(conductor, bounded ? bound.getInt(null) : Integer.MAX_VALUE);
        final Method scheduled = DaemonConductor.class.getDeclaredMethod("scheduled");
        scheduled.setAccessible(true);
        conductor.onStart();

        // the registered UEs' policies, installed as the bridge does, in one batch of the conductor
        final List<PolicyConfig[]> perSa = new ArrayList<>();
        for (int ue = 0; ue < ues + stay; ue++)
        {
            final String addr = "2001:db8:5d::" + Integer.toHexString(ue + 1);
            for (int sa = 0; sa < 4; sa++)
            {
                final boolean in = sa < 2;
                final int uePort = 5100 + (sa & 1), pcscfPort = 5062 + (sa & 1);
                final String spi = "0x" + Integer.toHexString(0x10000 + ue * 4 + sa);
                final PolicyConfig[] pair = new PolicyConfig[2];
                int i = 0;
                for (final String proto : new String[] {"udp", "tcp"})
                {
                    pair[i++] = XfrmPolicyParser.parseAdd(in ?
                        "src " + addr + "/128 dst 2001:db8:5c::2/128 proto " + proto + " sport " + uePort + " dport " +
                            pcscfPort + " dir in tmpl src " + addr + " dst 2001:db8:5c::2 proto esp spi " + spi +
                            " mode transport" :
                        "src 2001:db8:5c::2/128 dst " + addr + "/128 proto " + proto + " sport " + pcscfPort +
                            " dport " + uePort + " dir out tmpl src 2001:db8:5c::2 dst " + addr + " proto esp spi " +
                            spi + " mode transport");
                }
                perSa.add(pair);
            }
        }
        conductor.offer(() ->
        {
            for (final PolicyConfig[] pair : perSa)
            {
                spd.add(pair[0]);
                spd.add(pair[1]);
            }
            return null;
        });
        while (conductor.doWork() == 0)
        {
        }
        // the mass de-registration: one linger per SA, all due at the same instant (as PolicyLinger schedules them)
        final long lingerNs = 200_000_000L;
        conductor.offer(() ->
        {
            for (int i = 0; i < ues * 4; i++) // the staying UEs' SAs come last
            {
                final PolicyConfig[] pair = perSa.get(i);
                conductor.schedule("linger " + i, lingerNs, () ->
                {
                    spd.delete(pair[0].selector(), pair[0].direction());
                    spd.delete(pair[1].selector(), pair[1].direction());
                });
            }
            return null;
        });
        while (conductor.doWork() == 0)
        {
        }
        if (spd.size() != (ues + stay) * 8)
        {
            throw new IllegalStateException("preload: " + spd.size() + " policies");
        }

        final AtomicBoolean done = new AtomicBoolean();
        final long[] probes = new long[100_000];
        final int[] probeCount = {0};
        final Thread prober = new Thread(() ->
        {
            while (!done.get() && probeCount[0] < probes.length)
            {
                final long t0 = System.nanoTime();
                final CompletableFuture<Object> f = conductor.offer(() -> null);
                if (f != null)
                {
                    f.join();
                    probes[probeCount[0]++] = System.nanoTime() - t0;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(PROBE_MS * 1_000_000L);
            }
        });
        final long[] cycles = new long[1_000_000];
        int cycleCount = 0;
        final long dueNs = System.nanoTime() + lingerNs;
        prober.start();
        while (System.nanoTime() - dueNs < 0) // wait for the due time, serving the prober
        {
            conductor.doWork();
        }
        final long startNs = System.nanoTime();
        while ((int)scheduled.invoke(conductor) > 0)
        {
            final long t0 = System.nanoTime();
            final int work = conductor.doWork();
            if (work > 0 && cycleCount < cycles.length)
            {
                cycles[cycleCount++] = System.nanoTime() - t0;
            }
        }
        final long totalNs = System.nanoTime() - startNs;
        done.set(true);
        while (prober.isAlive())
        {
            conductor.doWork();
        }
        if (spd.size() != stay * 8)
        {
            throw new IllegalStateException(spd.size() + " policies left");
        }
        filter.remove();
        conductor.onClose();
        return "cycles " + cycleCount + " max " + ms(max(cycles, cycleCount)) + " p99 " + ms(p99(cycles, cycleCount)) +
            " p50 " + ms(percentile(cycles, cycleCount, 0.5)) + " sum " + ms(sum(cycles, cycleCount)) +
            " ms, expiry total " + ms(totalNs) + " ms; probe commands " + probeCount[0] + " max " +
            ms(max(probes, probeCount[0])) + " p99 " + ms(p99(probes, probeCount[0])) + " ms";
    }

    static long max(final long[] values, final int count)
    {
        long max = 0;
        for (int i = 0; i < count; i++)
        {
            max = Math.max(max, values[i]);
        }
        return max;
    }

    static long p99(final long[] values, final int count)
    {
        return percentile(values, count, 0.99);
    }

    static long percentile(final long[] values, final int count, final double fraction)
    {
        if (count == 0)
        {
            return 0;
        }
        final long[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        return sorted[Math.max(0, Math.min(count - 1, (int)Math.ceil(count * fraction) - 1))];
    }

    static long sum(final long[] values, final int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += values[i];
        }
        return sum;
    }

    static String ms(final long ns)
    {
        return String.format("%.1f", ns / 1e6);
    }
}
