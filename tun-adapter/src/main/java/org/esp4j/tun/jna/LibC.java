package org.esp4j.tun.jna;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The few libc calls the daemon needs, through JNA direct mapping ({@link Native#register(Class, NativeLibrary)}).
 * <p>
 * Every buffer, structure and address is passed as a {@code long} native address (usually
 * {@code UnsafeBuffer.addressOffset()} of a buffer over a direct {@link java.nio.ByteBuffer}), so a call allocates
 * nothing on the Java heap. Sizes are {@code long} ({@code size_t}/{@code ssize_t} on LP64 Linux).
 * <p>
 * After a call returns -1, {@link #errno()} gives the {@code errno} of that call: JNA saves it for direct-mapped
 * methods in a thread local read by {@link Native#getLastError()}. ({@code LastErrorException} is not used: it would
 * allocate an exception per failed call.)
 * <p>
 * Variadic functions ({@code ioctl}, {@code fcntl}, {@code open}) are declared with their fixed integer arguments, which
 * is ABI-compatible on x86-64 and aarch64 Linux for integer/pointer arguments.
 * <p>
 * Linux only (constants below are the Linux x86-64/aarch64 values).
 */
public final class LibC
{
    // ---------- address families, socket types, protocols
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    /** Packet sockets (link layer), packet(7). */
    public static final int AF_PACKET = 17;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPPROTO_ESP = 50;
    public static final int IPPROTO_ICMPV6 = 58;
    public static final int IPPROTO_RAW = 255;

    // ---------- socket options
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_MARK = 36;
    /** {@code SO_NO_CHECK}: IPv4 UDP datagrams leave with checksum 0. */
    public static final int SO_NO_CHECK = 11;

    public static final int IP_TOS = 1;
    public static final int IP_TTL = 2;
    public static final int IP_HDRINCL = 3;
    public static final int IP_PKTINFO = 8;
    public static final int IP_MTU_DISCOVER = 10;
    public static final int IP_RECVTTL = 12;
    public static final int IP_RECVTOS = 13;
    public static final int IP_PMTUDISC_DONT = 0;
    public static final int IP_PMTUDISC_DO = 2;

    public static final int SOL_UDP = 17;
    /** {@code setsockopt}/cmsg: UDP generic segmentation, {@code u16} segment size (Linux 4.18). */
    public static final int UDP_SEGMENT = 103;
    /** {@code setsockopt}: receive coalesced datagrams, cmsg {@code int} segment size (Linux 5.0). */
    public static final int UDP_GRO = 104;

    public static final int IPV6_V6ONLY = 26;
    public static final int IPV6_MTU_DISCOVER = 23;
    public static final int IPV6_HDRINCL = 36;
    public static final int IPV6_RECVPKTINFO = 49;
    public static final int IPV6_PKTINFO = 50;
    public static final int IPV6_RECVHOPLIMIT = 51;
    public static final int IPV6_HOPLIMIT = 52;
    public static final int IPV6_RECVTCLASS = 66;
    public static final int IPV6_TCLASS = 67;

    // ---------- flags
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;

    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    // ---------- packet sockets, packet(7), linux/if_packet.h, linux/if_ether.h
    public static final int SOL_PACKET = 263;
    public static final int PACKET_RX_RING = 5;
    public static final int PACKET_STATISTICS = 6;
    public static final int PACKET_VERSION = 10;
    /** Linux 4.20: packets this host sends are not handed to the socket. */
    public static final int PACKET_IGNORE_OUTGOING = 23;
    public static final int TPACKET_V2 = 1;
    /** All link-layer protocols (host byte order; {@code socket(2)} wants it big-endian). */
    public static final int ETH_P_ALL = 0x0003;
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_IPV6 = 0x86DD;
    /** {@code setsockopt(SOL_SOCKET)}: attach a classic BPF program ({@code struct sock_fprog}). */
    public static final int SO_ATTACH_FILTER = 26;

    // ---------- mmap(2)
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x1;
    public static final int MAP_LOCKED = 0x2000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_PRIVATE = 0x2;
    public static final int MAP_ANONYMOUS = 0x20;
    /** {@code MAP_FAILED}: {@code (void *)-1}. */
    public static final long MAP_FAILED = -1L;

    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    // ---------- errno values
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EINVAL = 22;
    public static final int EBUSY = 16;
    public static final int EIO = 5;
    public static final int EMSGSIZE = 90;
    public static final int ENOBUFS = 105;
    public static final int ENETUNREACH = 101;
    public static final int EHOSTUNREACH = 113;
    public static final int ECONNREFUSED = 111;

    static
    {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC()
    {
    }

    /** @return errno of the last native call made by this thread. */
    public static int errno()
    {
        return Native.getLastError();
    }

    /** @return the text of an errno value (allocates: control plane and error reports only). */
    public static String describe(final int errno)
    {
        String text;
        try
        {
            text = strerror(errno);
        }
        catch (final Throwable ex)
        {
            text = null;
        }
        return (text == null ? "errno" : text) + " (errno " + errno + ")";
    }

    // ------------------------------------------------------------------ natives

    /** {@code int open(const char *path, int flags)}. */
    public static native int open(String path, int flags);

    /** {@code int close(int fd)}. */
    public static native int close(int fd);

    /** {@code ssize_t read(int fd, void *buf, size_t count)}. */
    public static native long read(int fd, long buf, long count);

    /** {@code ssize_t write(int fd, const void *buf, size_t count)}. */
    public static native long write(int fd, long buf, long count);

    /** {@code int ioctl(int fd, unsigned long request, void *arg)}. */
    public static native int ioctl(int fd, long request, long arg);

    /** {@code int eventfd(unsigned int initval, int flags)} (flags: {@link #O_NONBLOCK} is EFD_NONBLOCK). */
    public static native int eventfd(int initval, int flags);

    /** {@code int fcntl(int fd, int cmd, int arg)}. */
    public static native int fcntl(int fd, int cmd, int arg);

    /** {@code int socket(int domain, int type, int protocol)}. */
    public static native int socket(int domain, int type, int protocol);

    /** {@code int setsockopt(int fd, int level, int name, const void *value, socklen_t length)}. */
    public static native int setsockopt(int fd, int level, int name, long value, int length);

    /** {@code int getsockopt(int fd, int level, int name, void *value, socklen_t *length)}. */
    public static native int getsockopt(int fd, int level, int name, long value, long lengthAddress);

    /** {@code int bind(int fd, const struct sockaddr *addr, socklen_t length)}. */
    public static native int bind(int fd, long sockaddr, int length);

    /** {@code ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t)}. */
    public static native long sendto(int fd, long buf, long length, int flags, long sockaddr, int sockaddrLength);

    /** {@code ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)}. */
    public static native long sendmsg(int fd, long msghdr, int flags);

    /** {@code int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags)}. */
    public static native int sendmmsg(int fd, long msgvec, int vlen, int flags);

    /**
     * {@code int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout)}.
     */
    public static native int recvmmsg(int fd, long msgvec, int vlen, int flags, long timeout);

    /** {@code ssize_t recvmsg(int fd, struct msghdr *msg, int flags)}. */
    public static native long recvmsg(int fd, long msghdr, int flags);

    /** {@code ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)}. */
    public static native long recvfrom(int fd, long buf, long length, int flags, long sockaddr, long sockaddrLength);

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}. */
    public static native int poll(long fds, long nfds, int timeoutMs);

    /** {@code unsigned int if_nametoindex(const char *ifname)}. */
    public static native int if_nametoindex(String name);

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    public static native long mmap(long address, long length, int prot, int flags, int fd, long offset);

    /** {@code int munmap(void *addr, size_t length)}. */
    public static native int munmap(long address, long length);

    /** {@code int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)} (pid 0: this thread). */
    public static native int sched_setaffinity(int pid, long cpuSetSize, long mask);

    /** {@code int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)} (pid 0: this thread). */
    public static native int sched_getaffinity(int pid, long cpuSetSize, long mask);

    /**
     * {@code syscall(2)} with six arguments (the unused ones 0), for system calls libc has no wrapper of (io_uring).
     * Variadic in C; passed as fixed integer arguments, which the x86-64 and AArch64 Linux ABIs treat alike.
     */
    public static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    /** {@code int setns(int fd, int nstype)}: move the calling thread into a namespace. */
    public static native int setns(int fd, int nstype);

    /** {@code int getpid(void)}. */
    public static native int getpid();

    /** {@code char *strerror(int errnum)}. */
    private static native String strerror(int errnum);
}
