package org.esp4j.benchmarks;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time the benchmark threads themselves spend per operation ({@code cpu.ns/op}), from
 * {@link ThreadMXBean#getThreadCpuTime(long)} of the JMH worker threads over each iteration.
 * <p>
 * Why: on a shared 2-core machine where others compile, wall-clock throughput of two benchmarks run a minute apart
 * depends on how much CPU each got. CPU time per op does not: a thread that is descheduled accrues none. It leaves
 * out GC and JIT threads, so a baseline that allocates is, if anything, favoured. Use with
 * {@code -prof org.esp4j.benchmarks.WorkerCpuProfiler}.
 */
public final class WorkerCpuProfiler implements InternalProfiler
{
    private static final String WORKER_MARK = "jmh-worker";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> startCpu = new HashMap<>();

    public WorkerCpuProfiler()
    {
        if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled())
        {
            threads.setThreadCpuTimeEnabled(true);
        }
    }

    @Override
    public String getDescription()
    {
        return "CPU ns per op of the JMH worker threads (load-independent cost)";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
        startCpu.clear();
        for (final ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds()))
        {
            if (info != null && info.getThreadName().contains(WORKER_MARK))
            {
                startCpu.put(info.getThreadId(), threads.getThreadCpuTime(info.getThreadId()));
            }
        }
    }

    @Override
    public Collection<? extends Result> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        long cpuNs = 0;
        for (final ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds()))
        {
            if (info != null && info.getThreadName().contains(WORKER_MARK))
            {
                final long now = threads.getThreadCpuTime(info.getThreadId());
                if (now >= 0)
                {
                    cpuNs += now - startCpu.getOrDefault(info.getThreadId(), 0L);
                }
            }
        }
        final long ops = result.getMetadata().getAllOps();
        final double perOp = ops == 0 ? Double.NaN : (double)cpuNs / ops;
        return List.of(new ScalarResult("cpu.ns/op", perOp, "ns/op", AggregationPolicy.AVG));
    }
}
