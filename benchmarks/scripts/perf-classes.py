#!/usr/bin/env python3
"""Shares of one thread's perf samples by what they are under: the system call (kernel work inside it), JNA and libc,
the JVM, Java (by its innermost esp4j or Agrona method), other kernel work (interrupts, timers, page faults).

    perf script -i RUN-perf-ue.data | benchmarks/scripts/perf-classes.py esp4j-outbound
    perf script -i RUN-perf-pc.data | benchmarks/scripts/perf-classes.py esp4j-inbound

For the .data files of `iperf-tun.sh PERF=1` (or `daemon-sides.py --perf DIR`), whose daemons run with
-XX:+PreserveFramePointer and leave their JIT's symbols in /tmp/perf-PID.map. A sample counts under the first system
call of SYSCALLS found anywhere in its stack, else by its leaf frame. The JDK's SHA-1 intrinsic is inlined into the
compiled MAC methods, so it counts as Java (CompositeTransform.computeMac, HmacEngine.finish).
"""
import collections
import sys

SYSCALLS = (
    ("io_uring_enter (the kernel's TUN reads in the ring)", ("__do_sys_io_uring_enter",)),
    ("TUN read(2)", ("tun_chr_read_iter", "ksys_read")),
    ("TUN write(2)", ("tun_chr_write_iter", "ksys_write")),
    ("sendmsg/sendmmsg (UDP/IP output, veth, the peer's input in softirq)", ("__sys_sendmsg", "__sys_sendmmsg")),
    ("recvmmsg/recvmsg", ("__sys_recvmmsg", "__sys_recvmsg", "do_recvmmsg")),
    ("poll", ("do_sys_poll",)),
    ("sched_yield", ("do_sched_yield", "__x64_sys_sched_yield")),  # the latter: its switch to another task
    ("futex", ("do_futex",)),
)


def classify(frames):
    """(class, innermost esp4j/Agrona method or None) of one sample, frames leaf first."""
    text = "\n".join(frames)
    for name, symbols in SYSCALLS:
        if any(symbol in text for symbol in symbols):
            return name, None
    leaf = frames[0] if frames else ""
    if "[kernel.kallsyms]" in leaf:
        return "other kernel (interrupts, timers, page faults)", None
    if "libc.so" in leaf or "libjnidispatch" in leaf or "/JNA/" in leaf or "/ffi" in leaf:  # JNA's unpacked library
        return "JNA dispatch and libc", None
    if "libjvm.so" in leaf or "[vdso]" in leaf:
        return "JVM runtime, vdso (clock reads)", None
    if "/tmp/perf-" in leaf:
        for frame in frames:
            if "org.esp4j" in frame or "org.agrona" in frame:
                return "Java", frame.split(None, 1)[-1].split("(")[0].split()[-1]
        return "Java", None
    return "other", None


def main():
    prefix = sys.argv[1] if len(sys.argv) > 1 else ""
    classes = collections.Counter()
    methods = collections.Counter()
    thread, frames = None, []

    def flush():
        if thread is not None and thread.startswith(prefix):
            name, method = classify(frames)
            classes[name] += 1
            if method:
                methods[method] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            thread, frames = None, []
        elif not line.startswith((" ", "\t")):
            flush()
            thread, frames = line.split()[0], []
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[-1])
    flush()
    total = max(sum(classes.values()), 1)
    for name, count in classes.most_common():
        print("%5.1f %%  %6d  %s" % (100.0 * count / total, count, name))
    print("samples", sum(classes.values()))
    print("Java, by the innermost esp4j/Agrona method:")
    for method, count in methods.most_common(12):
        print("  %5.1f %%  %s" % (100.0 * count / total, method))


if __name__ == "__main__":
    main()
