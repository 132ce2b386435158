package org.esp4j.benchmarks;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import org.esp4j.tun.jna.EventFd;
import org.esp4j.tun.jna.IoUring;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.PollFds;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What the daemon's native calls cost on the packet threads, apart from the work they ask of the kernel: a JNA
 * direct-mapped call of a libc function that does not enter the kernel ({@code labs}) against a plain JNI call (JNA's
 * own {@code Native.getLastError}, which the data path makes after each failed call), and the calls an idle round or
 * a wake-up makes when there is nothing to read: {@code read(2)} of an empty non-blocking descriptor (an eventfd,
 * {@code EAGAIN}) with its errno, {@code poll(2)} without waiting, an {@code io_uring_enter(2)} with nothing due
 * ({@link IoUring}, as the TUN reader's ring), and {@code getpid(2)} (the cheapest system call, for the kernel's entry
 * and exit alone).
 * <p>
 * Run with {@code -prof gc}: every call should allocate nothing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class JnaCallBenchmark
{
    /** A libc function that stays in user space, mapped as the daemon maps its calls (JNA direct mapping). */
    static final class Trivial
    {
        static
        {
            Native.register(Trivial.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native long labs(long value);
    }

    private EventFd eventFd;
    private NativeArea value;
    private PollFds pollFds;
    private IoUring ring;
    private long operand = -42;

    @Setup
    public void setup() throws Exception
    {
        eventFd = new EventFd();
        value = new NativeArea(8);
        pollFds = new PollFds(1).add(eventFd.fd(), LibC.POLLIN);
        ring = IoUring.open(eventFd.fd(), 4, 64); // on the benchmark thread: the ring's single issuer
        ring.enter();
    }

    @TearDown
    public void tearDown()
    {
        ring.close();
        eventFd.close();
    }

    @Benchmark
    public long jnaDirectLabs()
    {
        return Trivial.labs(operand);
    }

    @Benchmark
    public int jniGetLastError()
    {
        return Native.getLastError();
    }

    @Benchmark
    public int emptyReadWithErrno()
    {
        final long n = LibC.read(eventFd.fd(), value.address(0), 8);
        return n >= 0 ? (int)n : LibC.errno();
    }

    @Benchmark
    public int pollWithoutWaiting()
    {
        return pollFds.poll(0);
    }

    @Benchmark
    public int ioUringEnterNothingDue()
    {
        return ring.enter();
    }

    @Benchmark
    public int getpid()
    {
        return LibC.getpid();
    }
}
