package org.esp4j.benchmarks;

import org.agrona.concurrent.SystemNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TemplateConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * esp-core's control-plane cost per SA at scale (issue 14: control commands flat in the number of SAs): one op adds
 * an SA ({@code ip xfrm state add}) and its exact policy ({@code ip xfrm policy add}), then deletes both, with
 * {@link #entries} other SAs and policies already in the SAD and SPD. The SAD's per-SA counters are on a manager with
 * the daemon's room ({@link XfrmCounters#DEFAULT_SA_CAPACITY} SAs), so churn meets both the shared counters and, at
 * 40,000, the private ones. Compare the ops/s at 4 and 40,000 entries.
 * <pre>
 *   java -jar benchmarks/target/benchmarks.jar SadSpdChurnBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class SadSpdChurnBenchmark
{
    private static final int CHURNED = 1024;

    /** SAs and policies in the tables besides the churned one. */
    @Param({ "4", "40000" })
    public int entries;

    private SecurityAssociationDatabase sad;
    private SecurityPolicyDatabase spd;
    private SaConfig[] churnedSas;
    private PolicyConfig[] churnedPolicies;
    private int next;

    /** Fill the tables and make the churned SAs' configs. */
    @Setup(Level.Trial)
    public void setUp()
    {
        sad = new SecurityAssociationDatabase(XfrmCounters.inMemory(), new SystemNanoClock(), null);
        spd = new SecurityPolicyDatabase();
        for (int i = 0; i < entries; i++)
        {
            sad.add(sa(i));
            spd.add(policy(i));
        }
        churnedSas = new SaConfig[CHURNED];
        churnedPolicies = new PolicyConfig[CHURNED];
        for (int i = 0; i < CHURNED; i++)
        {
            churnedSas[i] = sa(entries + i);
            churnedPolicies[i] = policy(entries + i);
        }
    }

    /**
     * Add one SA and its policy, then delete both.
     *
     * @return SAs in the SAD (the entries), so that nothing is optimised away.
     */
    @Benchmark
    public int addAndDelete()
    {
        final SaConfig sa = churnedSas[next];
        final PolicyConfig policy = churnedPolicies[next];
        next = next + 1 == CHURNED ? 0 : next + 1;
        sad.add(sa);
        spd.add(policy);
        spd.delete(policy.selector(), policy.direction());
        sad.delete(sa.spi(), sa.destination());
        return sad.size();
    }

    private static SaConfig sa(final int index)
    {
        // all-zero keys: the SAD zeroes a config's keys when its SA goes, so the same config can be added again
        return SaConfig.builder().source(ue(index)).destination(PCSCF).spi(0x1000 + index)
            .integrity(IntegrityAlgorithm.HMAC_SHA1_96, new byte[20]).encryption(EncryptionAlgorithm.NULL, new byte[0])
            .selector(selector(index)).build();
    }

    private static PolicyConfig policy(final int index)
    {
        return new PolicyConfig(selector(index), PolicyDirection.IN, PolicyAction.PROTECT, 1000, 0,
            List.of(new TemplateConfig(ue(index), PCSCF, 0x1000 + index, 0, false)));
    }

    private static TrafficSelector selector(final int index)
    {
        return TrafficSelector.builder().source(ue(index)).destination(PCSCF).protocol(IpProtocol.UDP)
            .sourcePort(38003).destinationPort(50718).build();
    }

    private static final InetAddress PCSCF = address(new byte[]{ 10, (byte)255, 0, 1 });

    private static InetAddress ue(final int index)
    {
        return address(new byte[]{ 10, (byte)(1 + (index >>> 16)), (byte)(index >>> 8), (byte)index });
    }

    private static InetAddress address(final byte[] bytes)
    {
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
