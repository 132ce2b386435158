package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.message.SipStreamFramer;
import org.esp4j.sip.message.Transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The simulators' SIP over real sockets: UDP sockets and TCP listeners on the ports a simulator owns, TCP connections
 * it opens (from a given local port, e.g. port-c, or an ephemeral one) or accepts, all on one {@link Selector} that
 * the owner thread polls ({@link #poll}). TCP is framed by Content-Length ({@link SipStreamFramer}); a datagram or
 * stream that does not parse is reported to the handler and dropped (a stream's connection is closed), never thrown.
 * One thread only.
 * <p>
 * A TCP connection is opened in the calling thread ({@code connect} waits for the handshake, up to
 * 5 s), unless {@link #connectWithoutBlocking()} was called: then the handshake completes in
 * {@link #poll}, the messages sent meanwhile wait (in order, up to {@link #MAX_PENDING_BYTES}) and go out once it is
 * up, and a connection that fails or times out is reported through {@link Handler#onSendFailed}. A UE farm needs
 * that: its one thread opens a connection per UE for the protected REGISTER, and each handshake crosses two daemons'
 * ESP paths, so blocking on them one after the other makes the round trips, not the daemons, the limit.
 */
public final class SocketSimTransport implements SimTransport, AutoCloseable
{
    private static final int MAX_DATAGRAM = 65_535;
    private static final long WRITE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    /** A connection opened without blocking may take as long as a SIP transaction (RFC 3261 Timer B, 64*T1). */
    private static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(32);
    /**
     * Connections a TCP listener's kernel queue holds before accept (the kernel caps it at net.core.somaxconn): a
     * P-CSCF sim facing a farm's 200 concurrent UEs with Java's default of 50 dropped SYNs (TcpExtListenOverflows),
     * and the UEs' retransmitted SYNs (1 s, 3 s later) made their registrations slow or failed them.
     */
    static final int LISTEN_BACKLOG = 4096;
    /** Connections accepted per listener and poll at most (the rest wait in the kernel's queue). */
    private static final int ACCEPTS_PER_POLL = 256;
    /** Bytes that may wait for one connection's handshake; more is refused (a peer that never answers). */
    static final int MAX_PENDING_BYTES = 256 * 1024;

    /** Receives what the sockets deliver. */
    public interface Handler
    {
        /**
         * @param flow    where it arrived.
         * @param message the message.
         * @throws IOException when the answer cannot be sent.
         */
        void onMessage(SimFlow flow, SipMessage message) throws IOException;

        /**
         * @param flow   where it arrived.
         * @param reason one line.
         */
        void onBadInput(SimFlow flow, String reason);

        /**
         * A connection opened without blocking ({@link #connectWithoutBlocking()}) failed or timed out; the messages
         * waiting for it are dropped.
         *
         * @param flow   the connection's flow.
         * @param reason one line.
         */
        default void onSendFailed(SimFlow flow, String reason)
        {
            onBadInput(flow, reason);
        }
    }

    private static final class Connection
    {
        final SocketChannel channel;
        final SimFlow flow;
        final SipStreamFramer framer = new SipStreamFramer();
        /** Messages waiting for the handshake; null once connected. */
        ArrayDeque<ByteBuffer> pending;
        int pendingBytes;
        long connectDeadlineNs;

        Connection(final SocketChannel channel, final SimFlow flow)
        {
            this.channel = channel;
            this.flow = flow;
        }
    }

    private final Selector selector;
    private final InetAddress address;
    private final Map<InetSocketAddress, DatagramChannel> udp = new HashMap<>();
    private final Map<String, Connection> connections = new HashMap<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>(4);
    private final List<Connection> connecting = new ArrayList<>();
    private boolean connectWithoutBlocking;
    private final ByteBuffer buffer = ByteBuffer.allocate(MAX_DATAGRAM);

    /**
     * @param address the local address every socket binds to.
     * @throws IOException when no selector can be opened.
     */
    public SocketSimTransport(final InetAddress address) throws IOException
    {
        this.address = address;
        this.selector = Selector.open();
    }

    /**
     * Listen on a port for UDP, and for TCP when asked. A port the simulator connects from over TCP (port-c) must
     * not also listen for TCP: Linux refuses to bind a connecting socket to a listening port.
     *
     * @param port the port.
     * @param tcp  also accept TCP connections on it.
     * @return this.
     * @throws IOException naming the port when it cannot be bound.
     */
    public SocketSimTransport listen(final int port, final boolean tcp) throws IOException
    {
        return listen(address, port, tcp);
    }

    /**
     * Listen on a port of another local address (a UE farm: many UEs, each on its own address, on one selector).
     *
     * @param address the local address.
     * @param port    the port.
     * @param tcp     also accept TCP connections on it.
     * @return this.
     * @throws IOException naming the address and port when it cannot be bound.
     */
    public SocketSimTransport listen(final InetAddress address, final int port, final boolean tcp) throws IOException
    {
        final InetSocketAddress local = new InetSocketAddress(address, port);
        try
        {
            final DatagramChannel datagram = DatagramChannel.open(
                address instanceof java.net.Inet6Address ? java.net.StandardProtocolFamily.INET6 :
                java.net.StandardProtocolFamily.INET);
            datagram.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            datagram.bind(local);
            datagram.configureBlocking(false);
            datagram.register(selector, SelectionKey.OP_READ, datagram);
            udp.put(local, datagram);
            if (!tcp)
            {
                return this;
            }
            final ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(local, LISTEN_BACKLOG);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT, server);
            listeners.add(server);
        }
        catch (final IOException ex)
        {
            throw new IOException("cannot listen on " + org.esp4j.sip.util.InetAddressText.format(address, port) +
                ": " + ex.getMessage(), ex);
        }
        return this;
    }

    /**
     * Open TCP connections without waiting for their handshakes (see the class comment).
     *
     * @return this.
     */
    public SocketSimTransport connectWithoutBlocking()
    {
        connectWithoutBlocking = true;
        return this;
    }

    public SimFlow send(final SimFlow flow, final byte[] message) throws IOException
    {
        if (flow.transport() == Transport.UDP)
        {
            final DatagramChannel channel = udp.get(flow.local());
            if (channel == null)
            {
                throw new IOException("no UDP socket on " + flow.local());
            }
            channel.send(ByteBuffer.wrap(message), flow.remote());
            return flow;
        }
        Connection connection = connections.get(key(flow.local(), flow.remote()));
        if (connection == null || !connection.channel.isOpen())
        {
            connection = connectWithoutBlocking ? startConnect(flow) : connect(flow);
        }
        if (connection.pending != null)
        {
            if (connection.pendingBytes + message.length > MAX_PENDING_BYTES)
            {
                throw new IOException("TCP connection " + flow + " not up yet and " + connection.pendingBytes +
                    " bytes waiting for it");
            }
            connection.pending.add(ByteBuffer.wrap(message));
            connection.pendingBytes += message.length;
            return connection.flow;
        }
        write(connection, ByteBuffer.wrap(message));
        return connection.flow;
    }

    private void write(final Connection connection, final ByteBuffer bytes) throws IOException
    {
        final SimFlow flow = connection.flow;
        final long deadline = System.nanoTime() + WRITE_TIMEOUT_NS;
        while (bytes.hasRemaining())
        {
            if (connection.channel.write(bytes) == 0)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    close(connection);
                    throw new IOException("TCP send stalled on " + flow);
                }
                Thread.onSpinWait();
            }
        }
    }

    private Connection startConnect(final SimFlow flow) throws IOException
    {
        final SocketChannel channel = SocketChannel.open();
        final boolean connected;
        try
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.bind(new InetSocketAddress(flow.local().getAddress(), flow.local().getPort()));
            channel.configureBlocking(false);
            connected = channel.connect(flow.remote());
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot connect " + flow + ": " + ex.getMessage(), ex);
        }
        if (connected)
        {
            return register(channel);
        }
        final InetSocketAddress local = (InetSocketAddress)channel.getLocalAddress();
        final Connection connection = new Connection(channel, new SimFlow(Transport.TCP, local, flow.remote()));
        connection.pending = new ArrayDeque<>(2);
        connection.connectDeadlineNs = System.nanoTime() + CONNECT_TIMEOUT_NS;
        connections.put(key(local, flow.remote()), connection);
        connecting.add(connection);
        channel.register(selector, SelectionKey.OP_CONNECT, connection);
        return connection;
    }

    /** The handshake of a connection opened without blocking is over: send what waited, or report the failure. */
    private void onConnectable(final SelectionKey key, final Connection connection, final Handler handler)
    {
        try
        {
            if (!connection.channel.finishConnect())
            {
                return;
            }
            key.interestOps(SelectionKey.OP_READ);
            connecting.remove(connection);
            final ArrayDeque<ByteBuffer> waiting = connection.pending;
            connection.pending = null;
            connection.pendingBytes = 0;
            for (final ByteBuffer bytes : waiting)
            {
                write(connection, bytes);
            }
        }
        catch (final IOException ex)
        {
            failConnect(connection, "cannot connect " + connection.flow + ": " + ex.getMessage(), handler);
        }
    }

    private void failConnect(final Connection connection, final String reason, final Handler handler)
    {
        close(connection);
        handler.onSendFailed(connection.flow, reason);
    }

    private void expireConnects(final Handler handler)
    {
        final long now = System.nanoTime();
        for (int i = connecting.size() - 1; i >= 0; i--)
        {
            final Connection connection = connecting.get(i);
            if (now - connection.connectDeadlineNs > 0)
            {
                failConnect(connection, "cannot connect " + connection.flow + ": timed out", handler);
            }
        }
    }

    private Connection connect(final SimFlow flow) throws IOException
    {
        final SocketChannel channel = SocketChannel.open();
        try
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.bind(new InetSocketAddress(flow.local().getAddress(), flow.local().getPort()));
            channel.socket().connect(flow.remote(), (int)TimeUnit.SECONDS.toMillis(5));
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot connect " + flow + ": " + ex.getMessage(), ex);
        }
        return register(channel);
    }

    private Connection register(final SocketChannel channel) throws IOException
    {
        channel.configureBlocking(false);
        final InetSocketAddress local = (InetSocketAddress)channel.getLocalAddress();
        final InetSocketAddress remote = (InetSocketAddress)channel.getRemoteAddress();
        final Connection connection = new Connection(channel, new SimFlow(Transport.TCP, local, remote));
        connections.put(key(local, remote), connection);
        channel.register(selector, SelectionKey.OP_READ, connection);
        return connection;
    }

    /**
     * Wait up to a timeout for input and deliver every whole message.
     *
     * @param timeoutMs longest wait; 0 does not wait.
     * @param handler   receives the messages.
     * @return messages delivered.
     * @throws IOException when the selector fails.
     */
    public int poll(final long timeoutMs, final Handler handler) throws IOException
    {
        if (timeoutMs <= 0)
        {
            selector.selectNow();
        }
        else
        {
            selector.select(timeoutMs);
        }
        int delivered = 0;
        for (final Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); )
        {
            final SelectionKey key = it.next();
            it.remove();
            if (!key.isValid())
            {
                continue;
            }
            final Object attachment = key.attachment();
            if (attachment instanceof ServerSocketChannel server)
            {
                SocketChannel accepted;
                for (int i = 0; i < ACCEPTS_PER_POLL && (accepted = server.accept()) != null; i++)
                {
                    accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    register(accepted);
                }
            }
            else if (attachment instanceof DatagramChannel channel)
            {
                delivered += readDatagrams(channel, handler);
            }
            else if (attachment instanceof Connection connection)
            {
                if (key.isConnectable())
                {
                    onConnectable(key, connection, handler);
                }
                else if (connection.pending == null)
                {
                    delivered += readStream(connection, handler);
                }
            }
        }
        if (!connecting.isEmpty())
        {
            expireConnects(handler);
        }
        return delivered;
    }

    private int readDatagrams(final DatagramChannel channel, final Handler handler) throws IOException
    {
        int delivered = 0;
        InetSocketAddress from;
        while (true)
        {
            buffer.clear();
            from = (InetSocketAddress)channel.receive(buffer);
            if (from == null)
            {
                return delivered;
            }
            final SimFlow flow = new SimFlow(Transport.UDP, (InetSocketAddress)channel.getLocalAddress(), from);
            final SipMessage message;
            try
            {
                message = SipMessageParser.parse(buffer.array(), 0, buffer.position());
            }
            catch (final SipParseException ex)
            {
                handler.onBadInput(flow, ex.getMessage());
                continue;
            }
            handler.onMessage(flow, message);
            delivered++;
        }
    }

    private int readStream(final Connection connection, final Handler handler) throws IOException
    {
        buffer.clear();
        final int read;
        try
        {
            read = connection.channel.read(buffer);
        }
        catch (final IOException ex)
        {
            close(connection);
            return 0;
        }
        if (read < 0)
        {
            close(connection);
            return 0;
        }
        final List<SipMessage> messages;
        try
        {
            messages = connection.framer.onBytes(buffer.array(), 0, buffer.position());
        }
        catch (final SipParseException ex)
        {
            handler.onBadInput(connection.flow, ex.getMessage() + " (connection closed)");
            close(connection);
            return 0;
        }
        for (final SipMessage message : messages)
        {
            handler.onMessage(connection.flow, message);
        }
        return messages.size();
    }

    /**
     * Close the TCP connection of a flow, if it is open (a UE farm under sustained load: the connection of a UE's
     * unprotected REGISTER, from an ephemeral port, once the UE de-registered; else one per cycle would pile up).
     *
     * @param flow the connection's flow, as {@link #send} returned it.
     */
    public void closeTcp(final SimFlow flow)
    {
        final Connection connection = connections.get(key(flow.local(), flow.remote()));
        if (connection != null)
        {
            close(connection);
        }
    }

    private void close(final Connection connection)
    {
        connections.remove(key(connection.flow.local(), connection.flow.remote()));
        if (connection.pending != null)
        {
            connecting.remove(connection);
            connection.pending = null;
        }
        try
        {
            connection.channel.close();
        }
        catch (final IOException ignore)
        {
            // closing: nothing more to do with it
        }
    }

    private static String key(final InetSocketAddress local, final InetSocketAddress remote)
    {
        return local.getAddress().getHostAddress() + " " + local.getPort() + " " + remote;
    }

    public void close()
    {
        for (final Connection connection : List.copyOf(connections.values()))
        {
            close(connection);
        }
        for (final java.io.Closeable closeable : new ArrayList<java.io.Closeable>(udp.values()))
        {
            quietly(closeable);
        }
        listeners.forEach(SocketSimTransport::quietly);
        quietly(selector);
    }

    private static void quietly(final java.io.Closeable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final IOException ignore)
        {
            // closing
        }
    }
}
