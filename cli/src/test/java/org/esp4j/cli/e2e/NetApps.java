package org.esp4j.cli.e2e;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.tun.carrier.RawIpSender;
import org.esp4j.tun.jna.LibC;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The applications of the end-to-end test, run inside a namespace with {@code ip netns exec NS java ... NetApps}:
 * <ul>
 *   <li>{@code echo-server ADDR UDP_PORTS TCP_PORTS}: UDP and TCP echo on the given ports (comma separated), prints
 *   {@code ECHO-READY}; stops by itself after {@link #SERVER_LIFETIME_MS}.</li>
 *   <li>{@code client LOCAL REMOTE UDP_COUNT}: UDP {@code LOCAL:38003 -> REMOTE:50718}, TCP
 *   {@code LOCAL:39003 -> REMOTE:50717} (2 MiB echoed: enough for TSO super-packets and coalesced trains), UDP {@code LOCAL:5060 -> REMOTE:5060}; each answer must
 *   equal what was sent; prints {@code CLIENT-OK ...}, exit 0, or the failure and exit 1.</li>
 *   <li>{@code inject HEX MARK}: send the IP packet HEX through a header-included raw socket with SO_MARK.</li>
 * </ul>
 * Every wait is bounded.
 */
public final class NetApps
{
    static final int UE_PORT_C = 38003;
    static final int UE_PORT_S = 39003;
    static final int PCSCF_PORT_S = 50718;
    static final int PCSCF_PORT_C = 50717;
    static final int SIP_PORT = 5060;
    static final long SERVER_LIFETIME_MS = 600_000;
    static final int TCP_BYTES = 2 * 1024 * 1024;
    static final int BIG_DATAGRAM = 3000;
    /** Per attempt; generous for a loaded host (a negative check, {@link #udpEchoed}, waits 1 s). */
    private static final int TIMEOUT_MS = 10_000;

    private NetApps()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        switch (args[0])
        {
            case "echo-server" -> echoServer(InetAddress.getByName(args[1]), ports(args[2]), ports(args[3]));
            case "client" -> System.exit(client(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Integer.parseInt(args[3])));
            case "inject" -> inject(HexFormat.of().parseHex(args[1]), Integer.decode(args[2]));
            case "inject-flow" -> injectFlow(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.decode(args[5]));
            case "flow" -> flow(InetAddress.getByName(args[1]), InetAddress.getByName(args[2]),
                Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static int[] ports(final String list)
    {
        return list.isEmpty() ? new int[0] : Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static void echoServer(final InetAddress address, final int[] udpPorts, final int[] tcpPorts)
        throws Exception
    {
        for (final int port : udpPorts)
        {
            final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, port));
            daemon(() ->
            {
                final byte[] buffer = new byte[65536];
                while (true)
                {
                    final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                    socket.receive(packet);
                    socket.send(new DatagramPacket(buffer, packet.getLength(), packet.getSocketAddress()));
                }
            });
        }
        for (final int port : tcpPorts)
        {
            final ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(address, port));
            daemon(() ->
            {
                while (true)
                {
                    final Socket socket = server.accept();
                    daemon(() ->
                    {
                        try (socket)
                        {
                            socket.getInputStream().transferTo(socket.getOutputStream());
                        }
                    });
                }
            });
        }
        System.out.println("ECHO-READY");
        System.out.flush();
        Thread.sleep(SERVER_LIFETIME_MS);
        System.exit(0);
    }

    interface Body
    {
        void run() throws Exception;
    }

    private static void daemon(final Body body)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                body.run();
            }
            catch (final Exception ex)
            {
                System.out.println("server thread ended: " + ex);
            }
        });
        thread.setDaemon(true);
        thread.start();
    }

    private static int client(final InetAddress local, final InetAddress remote, final int udpCount)
    {
        try
        {
            final int udp = udpEcho(local, UE_PORT_C, remote, PCSCF_PORT_S, udpCount, "protected");
            final int tcp = tcpEcho(local, UE_PORT_S, remote, PCSCF_PORT_C);
            final int sip = udpEcho(local, SIP_PORT, remote, SIP_PORT, 2, "sip");
            // bigger than the TUN MTU: the kernel fragments before the TUN; bypass fragments pass ...
            udpEcho(local, SIP_PORT + 2, remote, SIP_PORT, 1, "sip-big-" + "s".repeat(BIG_DATAGRAM));
            // ... fragments of protected traffic are dropped, never sent in clear
            if (udpEchoed(local, UE_PORT_C, remote, PCSCF_PORT_S, "protected-big-" + "p".repeat(BIG_DATAGRAM)))
            {
                throw new IllegalStateException("a fragmented protected datagram got through");
            }
            System.out.println("CLIENT-OK udp=" + udp + " tcp=" + tcp + " sip=" + sip + " big-sip=1 big-protected=0");
            return 0;
        }
        catch (final Exception ex)
        {
            System.out.println("CLIENT-FAILED " + ex);
            ex.printStackTrace(System.out);
            return 1;
        }
    }

    private static int udpEcho(
        final InetAddress local, final int localPort, final InetAddress remote, final int remotePort, final int count,
        final String tag) throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(local, localPort)))
        {
            socket.setSoTimeout(TIMEOUT_MS);
            final byte[] in = new byte[65536];
            for (int i = 0; i < count; i++)
            {
                final byte[] out = (tag + "-" + i + "-" + "x".repeat(i * 97 % 1000)).getBytes(StandardCharsets.US_ASCII);
                boolean echoed = false;
                for (int attempt = 0; attempt < 3 && !echoed; attempt++)
                {
                    socket.send(new DatagramPacket(out, out.length, remote, remotePort));
                    try
                    {
                        final DatagramPacket packet = new DatagramPacket(in, in.length);
                        socket.receive(packet);
                        echoed = Arrays.equals(out, 0, out.length, in, 0, packet.getLength());
                    }
                    catch (final SocketTimeoutException ex)
                    {
                        System.out.println("udp " + tag + " " + i + " attempt " + attempt + " timed out");
                    }
                }
                if (!echoed)
                {
                    throw new IllegalStateException("no UDP echo for " + tag + " datagram " + i);
                }
            }
            return count;
        }
    }

    /** One datagram, one short wait: @return true if it was echoed. */
    private static boolean udpEchoed(
        final InetAddress local, final int localPort, final InetAddress remote, final int remotePort, final String text)
        throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(local, localPort)))
        {
            socket.setSoTimeout(1000);
            final byte[] out = text.getBytes(StandardCharsets.US_ASCII);
            socket.send(new DatagramPacket(out, out.length, remote, remotePort));
            try
            {
                final byte[] in = new byte[65536];
                final DatagramPacket packet = new DatagramPacket(in, in.length);
                socket.receive(packet);
                return true;
            }
            catch (final SocketTimeoutException ex)
            {
                return false;
            }
        }
    }

    private static int tcpEcho(final InetAddress local, final int localPort, final InetAddress remote,
        final int remotePort) throws Exception
    {
        try (Socket socket = new Socket())
        {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(local, localPort));
            socket.connect(new InetSocketAddress(remote, remotePort), TIMEOUT_MS);
            socket.setSoTimeout(60_000);
            // not periodic: a segment put at the wrong offset or left out cannot go unnoticed
            final byte[] out = new byte[TCP_BYTES];
            new java.util.Random(localPort).nextBytes(out);
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final OutputStream stream = socket.getOutputStream();
                    stream.write(out);
                    stream.flush();
                }
                catch (final Exception ex)
                {
                    System.out.println("tcp write failed: " + ex);
                }
            });
            writer.start();
            final byte[] in = new byte[TCP_BYTES];
            new DataInputStream(socket.getInputStream()).readFully(in);
            writer.join(60_000);
            if (!Arrays.equals(out, in))
            {
                throw new IllegalStateException("TCP echo differs");
            }
            return TCP_BYTES;
        }
    }

    /**
     * A steady protected flow UE:port-c -> P-CSCF:port-s: {@code count} datagrams, one per {@code intervalMs}, each
     * echoed or not (a send refused while the daemon is down is counted, not fatal). Prints
     * {@code FLOW sent=N echoed=N refused=N} at the end, and {@code FLOW-ECHOED} at the first echo.
     */
    private static void flow(final InetAddress local, final InetAddress remote, final int count, final int intervalMs)
        throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(local, UE_PORT_C)))
        {
            final java.util.concurrent.atomic.AtomicInteger echoed = new java.util.concurrent.atomic.AtomicInteger();
            socket.setSoTimeout(200);
            final Thread receiver = new Thread(() ->
            {
                final byte[] in = new byte[2048];
                while (!socket.isClosed())
                {
                    try
                    {
                        socket.receive(new DatagramPacket(in, in.length));
                        if (echoed.incrementAndGet() == 1)
                        {
                            System.out.println("FLOW-ECHOED");
                            System.out.flush();
                        }
                    }
                    catch (final java.io.IOException ex)
                    {
                        // timeout, or a refused send reported on the socket: keep listening
                    }
                }
            });
            receiver.setDaemon(true);
            receiver.start();
            int refused = 0;
            for (int i = 0; i < count; i++)
            {
                final byte[] out = ("flow-" + i).getBytes(StandardCharsets.US_ASCII);
                try
                {
                    socket.send(new DatagramPacket(out, out.length, remote, PCSCF_PORT_S));
                }
                catch (final java.io.IOException ex)
                {
                    refused++;
                }
                Thread.sleep(intervalMs);
            }
            // the last echoes: until every sent datagram is echoed, or none came for 1 s (at most 5 s)
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            long quietSince = System.nanoTime();
            for (int seen = echoed.get(); seen < count - refused && System.nanoTime() - deadline < 0 &&
                System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(1); seen = echoed.get())
            {
                Thread.sleep(20);
                if (echoed.get() != seen)
                {
                    quietSince = System.nanoTime();
                }
            }
            System.out.println("FLOW sent=" + count + " echoed=" + echoed.get() + " refused=" + refused);
            System.out.flush();
        }
        System.exit(0);
    }

    /**
     * Forged clear datagrams UE:port-c -> P-CSCF:port-s sent past the daemon (marked), {@code count} of them, one per
     * {@code intervalMs}, each saying {@code forged <nanoTime>} (the time it was sent, comparable across the
     * processes of the host). Prints {@code INJECTING} first and {@code INJECTED n} at the end.
     */
    private static void injectFlow(final InetAddress src, final InetAddress dst, final int count,
        final int intervalMs, final int mark) throws Exception
    {
        final boolean ipv4 = src instanceof java.net.Inet4Address;
        try (RawIpSender sender = new RawIpSender(ipv4 ? LibC.AF_INET : LibC.AF_INET6, mark, 65536, 65535))
        {
            System.out.println("INJECTING");
            System.out.flush();
            int sent = 0;
            for (int i = 0; i < count; i++)
            {
                final byte[] packet = TunDaemonEndToEndTest.clearUdp(src, UE_PORT_C, dst, PCSCF_PORT_S, ipv4,
                    ("forged " + System.nanoTime()).getBytes(StandardCharsets.US_ASCII));
                sent += sender.send(new UnsafeBuffer(packet), 0, packet.length) == packet.length ? 1 : 0;
                Thread.sleep(intervalMs);
            }
            System.out.println("INJECTED " + sent);
            System.out.flush();
        }
        System.exit(0);
    }

    private static void inject(final byte[] packet, final int mark) throws Exception
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(packet);
        final int family = Ipv4Header.version(buffer, 0) == 4 ? LibC.AF_INET : LibC.AF_INET6;
        try (RawIpSender sender = new RawIpSender(family, mark, 65536, 65535))
        {
            final int n = sender.send(buffer, 0, packet.length);
            System.out.println(n == packet.length ? "INJECTED " + n : "INJECT-FAILED " + n);
            System.exit(n == packet.length ? 0 : 1);
        }
    }
}
