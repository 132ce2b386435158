package org.esp4j.tun.control;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.esp4j.core.redact.Redaction;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The daemon's control socket: a Unix-domain stream socket on which {@code esp4j xfrm ...} and {@code esp4j stat}
 * (see the cli module's {@code ControlClient}) read and change the SAD and SPD. The protocol is described in {@link ControlProtocol};
 * the commands in {@link ControlCommands}; {@code xfrm monitor} streams {@link ControlEvents} as
 * {@link MonitorFormatter} prints them.
 * <h2>Access</h2>
 * The socket file is made mode 0600 right after bind, in a parent directory created 0700 if it was missing, and
 * every connection's peer credentials ({@code SO_PEERCRED}) are checked: a peer of another user than the one owning
 * the socket (the daemon's) gets {@code error: permission denied} and is closed, root included (run the CLI as the
 * daemon's user). At start a stale socket file is removed; if a live daemon answers on it, start fails.
 * <h2>Threading</h2>
 * Everything (accept, read, commands, writes, monitor fan-out) runs on one thread: an Agrona {@link Agent} over
 * non-blocking channels and a {@link Selector}, idling in {@code select(5 ms)} while a client is connected (its
 * deadlines, monitor events), else in {@code select(100 ms)}, which a new client ends. {@link #start()} runs it on its own
 * thread {@code esp4j-control}; an embedder that has its own {@link AgentRunner} may instead call {@link #bind()}
 * and run this agent there. Commands run through the {@link #commandRunner} (the daemon's conductor, which the control
 * thread waits for; by default on this thread, calling the SAD and SPD directly).
 * The only state shared with other threads is the {@link ControlEvents} queue.
 * <h2>Bounds: nobody can lock the socket</h2>
 * The server never waits for a client: every write is non-blocking, and what the socket does not take at once waits
 * in that client's own bounded queue. So no client, however slow, delays another's answer for longer than it takes
 * to format its own.
 * <ul>
 *   <li>Requests over {@link ControlProtocol#MAX_REQUEST_BYTES} are refused; a request must arrive within
 *   {@link #REQUEST_TIMEOUT_MS}.</li>
 *   <li>At most {@link #MAX_CONNECTIONS} connections at once. When a new one would exceed that, the oldest
 *   connection that has not yet sent its request is closed (told why) to make room, so idle connections never lock
 *   out a client that has something to ask; only when every connection is busy (answering or monitoring) is the new
 *   one refused, with a one-line {@code error: too many control connections}. The listen backlog is
 *   {@link #LISTEN_BACKLOG}, so a burst of connects waits in the kernel instead of failing with EAGAIN.</li>
 *   <li>A response over {@link #MAX_RESPONSE_BYTES} is refused; one that would take the output waiting for all
 *   clients past {@link #OUTPUT_BUDGET_BYTES} is refused with {@code error: control socket busy} (small ones, up to
 *   {@link #SMALL_RESPONSE_BYTES}, always pass), so clients that do not read cannot make the daemon's heap grow.</li>
 *   <li>A client with output waiting that takes none of it for {@link #WRITE_TIMEOUT_MS} is dropped, not waited
 *   for (response or monitor alike): {@link #droppedSlowClients()}.</li>
 *   <li>At most {@link #MAX_MONITORS} monitors, so monitors cannot take the slots commands need; a monitor more
 *   than {@link #MONITOR_BACKLOG_BYTES} behind is told so and closed.</li>
 * </ul>
 */
public final class ControlServer implements Agent, AutoCloseable
{
    /** Connections open at once; past it the oldest idle one is closed, or the new one refused if none is idle. */
    public static final int MAX_CONNECTIONS = 512;

    /** {@code xfrm monitor} connections open at once; more are refused with an error. */
    public static final int MAX_MONITORS = 64;

    /** Connections the kernel queues until the server accepts them (capped by {@code net.core.somaxconn}). */
    public static final int LISTEN_BACKLOG = 1024;

    /** A client with output waiting that takes none of it for this long is dropped. */
    public static final long WRITE_TIMEOUT_MS = 5_000;

    /** Largest response sent; a larger one is refused (narrow the listing). */
    public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

    /** Output waiting for all clients together, beyond which a response other than a small one is refused. */
    public static final long OUTPUT_BUDGET_BYTES = 32L * 1024 * 1024;

    /** Responses up to this size are sent whatever the output budget says (counts, errors, single SAs). */
    public static final int SMALL_RESPONSE_BYTES = 64 * 1024;

    /** A connection that has not sent its whole request line by then is closed. */
    public static final long REQUEST_TIMEOUT_MS = 10_000;

    /** Unsent monitor output allowed before the monitor is closed as too slow. */
    public static final int MONITOR_BACKLOG_BYTES = 256 * 1024;

    private static final int INITIAL_REQUEST_BUFFER_BYTES = 1024;

    private static final long IDLE_SELECT_MS = 5;
    /**
     * With no client nothing but a new one (which ends the select) gives the thread work: wake up rarely (a wake-up
     * every 5 ms was a measurable share of a busy daemon's CPU per packet: benchmarks/RESULTS.md, issue 17).
     */
    private static final long IDLE_SELECT_NO_CLIENT_MS = 100;
    private static final long LINGER_MS = 2_000;
    private static final int EVENTS_PER_DUTY_CYCLE = 256;
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private final Path socketPath;
    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final XfrmCounters counters;
    private final ControlEvents events;
    private final List<Connection> connections = new ArrayList<>();
    private final List<Connection> monitors = new ArrayList<>();
    private final AtomicLong refusedPeers = new AtomicLong();
    private final AtomicLong droppedSlowClients = new AtomicLong();
    private final AtomicLong evictedIdleClients = new AtomicLong();
    private int maxConnections = MAX_CONNECTIONS;
    private long queuedResponseBytes;
    private volatile int monitorCount; // written by the control thread only, read by tests

    private ControlCommands commands;
    private ControlCommands.PolicyChangeListener policyChangeListener;
    private ControlCommands.Runner commandRunner = java.util.function.Supplier::get;
    private ErrorHandler errorHandler = ex -> System.err.println("esp4j control: " + ex);
    private UserPrincipal trustedUser;
    private ServerSocketChannel serverChannel;
    private Selector selector;
    private AgentRunner runner;
    private boolean closed;
    /** Set by {@link #close()}: the idle select no longer waits long. */
    private volatile boolean closing;

    /**
     * @param socketPath where to listen.
     * @param sad        the SAD the commands act on.
     * @param spd        the SPD the commands act on.
     * @param counters   the counters {@code stat} shows.
     * @param events     the events {@code xfrm monitor} shows: the SAD's listener (and the ESP processors' for
     *                   acquires), or subscribed to whatever dispatches those events.
     */
    public ControlServer(
        final Path socketPath,
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final XfrmCounters counters,
        final ControlEvents events)
    {
        this.socketPath = socketPath.toAbsolutePath();
        this.sad = sad;
        this.spd = spd;
        this.counters = counters;
        this.events = events;
    }

    /**
     * Be told after each change to the SPD made through the socket (e.g. the daemon re-syncs its steering rules).
     * Set before {@link #bind()}.
     *
     * @param listener called on the control thread, or null.
     * @return this.
     */
    public ControlServer policyChangeListener(final ControlCommands.PolicyChangeListener listener)
    {
        this.policyChangeListener = listener;
        return this;
    }

    /**
     * Run each command through this (e.g. the daemon hands it to its conductor and waits). Set before {@link #bind()}.
     *
     * @param runner runs the command it is given and returns its response.
     * @return this.
     */
    public ControlServer commandRunner(final ControlCommands.Runner runner)
    {
        this.commandRunner = runner;
        return this;
    }

    /**
     * Where unexpected errors of the control thread go (default: one line on stderr). Never given key material.
     *
     * @param errorHandler the handler.
     * @return this.
     */
    public ControlServer errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    /** Tests: accept only this user instead of the socket's owner. */
    ControlServer trustedUser(final UserPrincipal user)
    {
        this.trustedUser = user;
        return this;
    }

    /** Tests: a lower connection limit than {@link #MAX_CONNECTIONS}. Set before {@link #bind()}. */
    ControlServer maxConnections(final int maxConnections)
    {
        this.maxConnections = maxConnections;
        return this;
    }

    /** @return the socket's path. */
    public Path socketPath()
    {
        return socketPath;
    }

    /** @return connections refused because their peer was another user. */
    public long refusedPeers()
    {
        return refusedPeers.get();
    }

    /** @return clients dropped because they took none of their waiting output for {@link #WRITE_TIMEOUT_MS}. */
    public long droppedSlowClients()
    {
        return droppedSlowClients.get();
    }

    /** @return monitors connected now. */
    int monitorCount()
    {
        return monitorCount;
    }

    /** @return connections closed before their request to make room for a new one. */
    public long evictedIdleClients()
    {
        return evictedIdleClients.get();
    }

    /**
     * Bind the socket and run the server on its own thread.
     *
     * @return this.
     * @throws IOException if the socket cannot be created, or another daemon answers on it.
     */
    public ControlServer start() throws IOException
    {
        bind();
        runner = new AgentRunner(new SelectIdleStrategy(), errorHandler, null, this);
        AgentRunner.startOnThread(runner);
        return this;
    }

    /**
     * Create the socket (without starting a thread; {@link #start()} does both).
     *
     * @throws IOException if the socket cannot be created, or another daemon answers on it.
     */
    public void bind() throws IOException
    {
        if (serverChannel != null)
        {
            return;
        }
        final Path parent = socketPath.getParent();
        if (!Files.isDirectory(parent))
        {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
            Files.setPosixFilePermissions(parent, OWNER_ONLY_DIRECTORY);
        }
        removeStaleSocket();

        final ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            channel.bind(UnixDomainSocketAddress.of(socketPath), LISTEN_BACKLOG);
            // Narrow at once: the JDK cannot set the umask, so the file is briefly as the umask left it. The peer
            // check below closes that window for other users anyway.
            Files.setPosixFilePermissions(socketPath, OWNER_READ_WRITE);
            if (trustedUser == null)
            {
                trustedUser = Files.getOwner(socketPath, LinkOption.NOFOLLOW_LINKS);
            }
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_ACCEPT);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            Files.deleteIfExists(socketPath);
            throw ex;
        }
        serverChannel = channel;
        commands = new ControlCommands(sad, spd, counters, policyChangeListener);
    }

    public String roleName()
    {
        return "esp4j-control";
    }

    public int doWork() throws IOException
    {
        int workCount = 0;
        // Keys may already be selected by the idle strategy's select(): process the set, not selectNow's count.
        selector.selectNow();
        if (!selector.selectedKeys().isEmpty())
        {
            workCount += processSelectedKeys();
        }
        workCount += events.drain(this::onEvent, EVENTS_PER_DUTY_CYCLE);
        workCount += closeTimedOut(System.nanoTime());
        return workCount;
    }

    public void onClose()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Connection connection : new ArrayList<>(connections))
        {
            if (connection.monitorGroups != 0 && !connection.statusQueued)
            {
                // Best effort: a monitor learns why its stream ends.
                enqueue(connection, encodeStatus(ControlProtocol.errorStatus("daemon stopping")));
                connection.statusQueued = true;
                try
                {
                    queuedResponseBytes -= connection.flush(System.nanoTime());
                }
                catch (final IOException ignore)
                {
                    // closing anyway
                }
            }
            close(connection);
        }
        events.monitoring(false);
        try
        {
            if (selector != null)
            {
                selector.close();
            }
            if (serverChannel != null)
            {
                serverChannel.close();
                Files.deleteIfExists(socketPath);
            }
        }
        catch (final IOException ex)
        {
            errorHandler.onError(ex);
        }
    }

    /** Stop the thread (if {@link #start()}ed), close every connection and remove the socket file. */
    public void close()
    {
        if (runner != null)
        {
            closing = true; // selects of at most IDLE_SELECT_MS from now on, and end the one in progress
            selector.wakeup();
            runner.close();
        }
        else
        {
            onClose();
        }
    }

    private void removeStaleSocket() throws IOException
    {
        if (!Files.exists(socketPath, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        final BasicFileAttributes attributes =
            Files.readAttributes(socketPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isOther())
        {
            throw new IOException(socketPath + " exists and is not a socket: not replacing it");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            probe.connect(UnixDomainSocketAddress.of(socketPath));
            throw new IOException("another esp4j daemon answers on " + socketPath + ": stop it first");
        }
        catch (final IOException ex)
        {
            if (ex.getMessage() != null && ex.getMessage().startsWith("another esp4j daemon"))
            {
                throw ex;
            }
            // Nobody listens: a socket left by a daemon that died.
            Files.deleteIfExists(socketPath);
        }
    }

    private int processSelectedKeys()
    {
        int workCount = 0;
        final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext())
        {
            final SelectionKey key = keys.next();
            keys.remove();
            workCount++;
            if (!key.isValid())
            {
                continue;
            }
            if (key.isAcceptable())
            {
                acceptAll();
                continue;
            }
            final Connection connection = (Connection)key.attachment();
            try
            {
                if (key.isReadable())
                {
                    onReadable(connection);
                }
                if (key.isValid() && key.isWritable())
                {
                    onWritable(connection);
                }
            }
            catch (final IOException ex)
            {
                // The client went away mid-request or mid-response: only its connection is affected.
                close(connection);
            }
        }
        return workCount;
    }

    private void acceptAll()
    {
        while (true)
        {
            final SocketChannel channel;
            try
            {
                channel = serverChannel.accept();
                if (channel == null)
                {
                    return;
                }
            }
            catch (final IOException ex)
            {
                errorHandler.onError(ex);
                return;
            }
            accept(channel);
        }
    }

    private void accept(final SocketChannel channel)
    {
        try
        {
            if (connections.size() >= 2 * maxConnections)
            {
                // Refusals linger too (below); past this many, shed load without a word.
                channel.close();
                return;
            }
            channel.configureBlocking(false);
            final long nowNs = System.nanoTime();
            final Connection connection = new Connection(channel, nowNs +
                TimeUnit.MILLISECONDS.toNanos(REQUEST_TIMEOUT_MS), nowNs);
            connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            connections.add(connection);
            final String refusal = refusal(channel);
            if (refusal != null)
            {
                // Answered like any failed request (so the client reads why), and the request is never read.
                respond(connection, null, refusal);
            }
        }
        catch (final IOException ex)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // already failing
            }
        }
    }

    private String refusal(final SocketChannel channel) throws IOException
    {
        final UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        if (peer == null || !trustedUser.equals(peer.user()))
        {
            refusedPeers.incrementAndGet();
            return "permission denied: the esp4j daemon serves only user " + trustedUser.getName() +
                (peer == null ? "" : ", not " + peer.user().getName());
        }
        if (activeConnections() > maxConnections && !evictOldestIdle())
        {
            return "too many control connections (" + maxConnections + ", all busy): try again";
        }
        return null;
    }

    /** @return connections that count against the limit: all but those already answered and lingering. */
    private int activeConnections()
    {
        int active = 0;
        for (int i = 0; i < connections.size(); i++)
        {
            if (0 == connections.get(i).lingerDeadlineNs)
            {
                active++;
            }
        }
        return active;
    }

    /**
     * Close the connection that has waited longest without sending its request (the newest, just accepted, is not
     * a candidate: its request may be on its way). It is told why, in one write that does not wait.
     *
     * @return false if every connection is busy.
     */
    private boolean evictOldestIdle()
    {
        Connection oldest = null;
        for (int i = 0; i < connections.size() - 1; i++)
        {
            final Connection candidate = connections.get(i);
            if (!candidate.requestDone && 0 == candidate.lingerDeadlineNs &&
                (oldest == null || candidate.deadlineNs - oldest.deadlineNs < 0))
            {
                oldest = candidate;
            }
        }
        if (oldest == null)
        {
            return false;
        }
        evictedIdleClients.incrementAndGet();
        try
        {
            oldest.channel.write(encodeStatus(ControlProtocol.errorStatus(
                "closed: no request sent, and the control socket is full (" + maxConnections + " connections)")));
        }
        catch (final IOException ignore)
        {
            // closing it anyway
        }
        close(oldest);
        return true;
    }

    private void onReadable(final Connection connection) throws IOException
    {
        if (connection.requestDone)
        {
            // A monitor (or a client awaiting its response): input is ignored, but the end of it means "gone".
            final ByteBuffer discard = connection.in;
            discard.clear();
            if (connection.channel.read(discard) < 0)
            {
                close(connection);
            }
            return;
        }

        final int scanFrom = connection.in.position();
        final int read = connection.channel.read(connection.growInputIfFull());
        final ByteBuffer in = connection.in;
        final int end = indexOfLineEnd(in, scanFrom);
        if (end >= 0)
        {
            onRequest(connection, end);
        }
        else if (read < 0)
        {
            if (in.position() > 0)
            {
                onRequest(connection, in.position());
            }
            else
            {
                close(connection);
            }
        }
        else if (in.position() >= ControlProtocol.MAX_REQUEST_BYTES)
        {
            respond(connection, null, "request longer than " + ControlProtocol.MAX_REQUEST_BYTES +
                " bytes: refused");
        }
    }

    private void onRequest(final Connection connection, final int length) throws IOException
    {
        connection.requestDone = true;
        final ByteBuffer request = connection.in.flip().limit(length);
        final String line;
        try
        {
            line = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(request).toString();
        }
        catch (final CharacterCodingException ex)
        {
            respond(connection, null, "request is not valid UTF-8");
            return;
        }
        finally
        {
            // The line may hold keys: do not leave them in the buffer longer than needed.
            java.util.Arrays.fill(connection.in.array(), (byte)0);
            connection.in.clear();
        }

        final ControlCommands.Response response;
        try
        {
            final String requestLine = stripCarriageReturn(line);
            response = commandRunner.run(() -> commands.execute(requestLine));
        }
        catch (final RuntimeException ex)
        {
            // A bug, not bad input (that is answered by execute): the client still gets an answer, the thread lives.
            errorHandler.onError(ex);
            respond(connection, null, "internal error (" + ex.getClass().getSimpleName() + "): see the daemon's log");
            return;
        }
        if (response.monitorGroups() != 0 && response.isOk())
        {
            if (monitors.size() >= MAX_MONITORS)
            {
                respond(connection, null, "too many monitors (" + MAX_MONITORS + "): try again");
                return;
            }
            connection.monitorGroups = response.monitorGroups();
            connection.in = ByteBuffer.allocate(256);
            monitors.add(connection);
            monitorCount = monitors.size();
            events.monitoring(true);
            return;
        }
        respond(connection, response.output(), response.error());
    }

    private void respond(final Connection connection, final String output, final String error) throws IOException
    {
        connection.requestDone = true;
        // Errors may quote what the client sent: never a key, wherever it stood (output is what was asked for).
        String status = Redaction.redact(error);
        if (output != null && !output.isEmpty())
        {
            // UTF-8 may take more bytes than chars, and stuffing adds a few: checked again once encoded
            status = outputRefusal(output.length());
            if (null == status)
            {
                final ByteBuffer encoded = encodeLines(output);
                status = outputRefusal(encoded.remaining());
                if (null == status)
                {
                    enqueue(connection, encoded);
                }
            }
            status = null == status ? Redaction.redact(error) : status;
        }
        enqueue(connection, encodeStatus(
            status == null ? ControlProtocol.STATUS_OK : ControlProtocol.errorStatus(status)));
        connection.statusQueued = true;
        onWritable(connection);
    }

    private void enqueue(final Connection connection, final ByteBuffer buffer)
    {
        queuedResponseBytes += buffer.remaining();
        connection.queue(buffer);
    }

    /** @return why a response of that many bytes is not sent, or null to send it. */
    private String outputRefusal(final int bytes)
    {
        if (bytes > MAX_RESPONSE_BYTES)
        {
            return "response of " + bytes + " bytes exceeds the control socket's limit of " + MAX_RESPONSE_BYTES +
                " bytes: narrow the request";
        }
        if (bytes > SMALL_RESPONSE_BYTES && queuedResponseBytes + bytes > OUTPUT_BUDGET_BYTES)
        {
            return "control socket busy: " + queuedResponseBytes + " bytes of responses wait for clients that do " +
                "not read them; try again";
        }
        return null;
    }

    private void onWritable(final Connection connection) throws IOException
    {
        queuedResponseBytes -= connection.flush(System.nanoTime());
        if (connection.out.isEmpty())
        {
            if (connection.statusQueued)
            {
                lingerOrClose(connection);
                return;
            }
            if (connection.overflowed)
            {
                enqueue(connection, encodeStatus(ControlProtocol.errorStatus(
                    "monitor fell behind by more than " + MONITOR_BACKLOG_BYTES + " bytes: events were dropped")));
                connection.statusQueued = true;
                onWritable(connection);
                return;
            }
        }
        connection.key.interestOps(connection.out.isEmpty() ?
            SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    /**
     * The response is out: half-close, and wait (bounded) for the client to close. Closing at once while the client
     * still sends (an oversized request) would reset the connection, and a reset discards the response on its way.
     */
    private void lingerOrClose(final Connection connection)
    {
        if (connection.lingerDeadlineNs != 0)
        {
            return;
        }
        try
        {
            connection.channel.shutdownOutput();
            connection.lingerDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MS);
            connection.key.interestOps(SelectionKey.OP_READ);
        }
        catch (final IOException ex)
        {
            close(connection);
        }
    }

    private void onEvent(final ControlEvent event)
    {
        if (monitors.isEmpty())
        {
            return;
        }
        final int group = MonitorFormatter.group(event);
        ByteBuffer encoded = null;
        for (final Connection monitor : new ArrayList<>(monitors))
        {
            if ((monitor.monitorGroups & group) == 0 || monitor.overflowed || monitor.statusQueued)
            {
                continue;
            }
            if (encoded == null)
            {
                encoded = encodeLines(MonitorFormatter.format(event));
            }
            if (monitor.queuedBytes + encoded.remaining() > MONITOR_BACKLOG_BYTES)
            {
                monitor.overflowed = true;
            }
            else
            {
                enqueue(monitor, encoded.duplicate());
            }
            try
            {
                onWritable(monitor);
            }
            catch (final IOException ex)
            {
                close(monitor);
            }
        }
    }

    private int closeTimedOut(final long nowNs)
    {
        int closedCount = 0;
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            final Connection connection = connections.get(i);
            if (connection.lingerDeadlineNs != 0 && nowNs - connection.lingerDeadlineNs > 0)
            {
                close(connection);
                closedCount++;
            }
            else if (!connection.out.isEmpty() &&
                nowNs - connection.lastProgressNs > TimeUnit.MILLISECONDS.toNanos(WRITE_TIMEOUT_MS))
            {
                // It does not read: drop it, and with it the output it holds.
                droppedSlowClients.incrementAndGet();
                close(connection);
                closedCount++;
            }
            else if (!connection.requestDone && nowNs - connection.deadlineNs > 0)
            {
                try
                {
                    respond(connection, null, "no request within " + REQUEST_TIMEOUT_MS + " ms");
                }
                catch (final IOException ex)
                {
                    close(connection);
                }
                closedCount++;
            }
        }
        return closedCount;
    }

    private void close(final Connection connection)
    {
        connections.remove(connection);
        queuedResponseBytes -= connection.discardOutput();
        if (monitors.remove(connection))
        {
            monitorCount = monitors.size();
            if (monitors.isEmpty())
            {
                events.monitoring(false);
            }
        }
        if (connection.key != null)
        {
            connection.key.cancel();
        }
        try
        {
            connection.channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing more to do for it
        }
    }

    private static int indexOfLineEnd(final ByteBuffer buffer, final int from)
    {
        for (int i = from; i < buffer.position(); i++)
        {
            if (buffer.get(i) == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    private static String stripCarriageReturn(final String line)
    {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    private static ByteBuffer encodeLines(final String text)
    {
        final StringBuilder sb = new StringBuilder(text.length() + 16);
        int start = 0;
        while (start < text.length())
        {
            int end = text.indexOf('\n', start);
            if (end < 0)
            {
                end = text.length();
            }
            sb.append(ControlProtocol.stuff(text.substring(start, end))).append('\n');
            start = end + 1;
        }
        return StandardCharsets.UTF_8.encode(CharBuffer.wrap(sb));
    }

    private static ByteBuffer encodeStatus(final String status)
    {
        return StandardCharsets.UTF_8.encode(status + "\n");
    }

    /** One client. */
    private static final class Connection
    {
        private final SocketChannel channel;
        private final long deadlineNs;
        private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        private ByteBuffer in = ByteBuffer.allocate(INITIAL_REQUEST_BUFFER_BYTES);
        private long lastProgressNs;
        private SelectionKey key;
        private long queuedBytes;
        private long lingerDeadlineNs;
        private boolean requestDone;
        private boolean statusQueued;
        private boolean overflowed;
        private int monitorGroups;

        Connection(final SocketChannel channel, final long deadlineNs, final long nowNs)
        {
            this.channel = channel;
            this.deadlineNs = deadlineNs;
            this.lastProgressNs = nowNs;
        }

        /**
         * The request buffer starts small (most requests are one short line) and doubles when full, up to
         * {@link ControlProtocol#MAX_REQUEST_BYTES}, so many connections cost little memory.
         */
        ByteBuffer growInputIfFull()
        {
            if (!in.hasRemaining() && in.capacity() < ControlProtocol.MAX_REQUEST_BYTES)
            {
                final ByteBuffer grown = ByteBuffer.allocate(Math.min(2 * in.capacity(),
                    ControlProtocol.MAX_REQUEST_BYTES));
                in.flip();
                grown.put(in);
                java.util.Arrays.fill(in.array(), (byte)0); // the request may hold keys
                in = grown;
            }
            return in;
        }

        void queue(final ByteBuffer buffer)
        {
            if (out.isEmpty())
            {
                lastProgressNs = System.nanoTime(); // the write timeout runs from when output starts to wait
            }
            out.addLast(buffer);
            queuedBytes += buffer.remaining();
        }

        /** @return bytes written, all of them taken off the queue. */
        long flush(final long nowNs) throws IOException
        {
            long total = 0;
            while (!out.isEmpty())
            {
                final ByteBuffer head = out.peekFirst();
                final int written = channel.write(head);
                queuedBytes -= written;
                total += written;
                if (written > 0)
                {
                    lastProgressNs = nowNs;
                }
                if (head.hasRemaining())
                {
                    break;
                }
                out.removeFirst();
            }
            return total;
        }

        /** @return bytes that were waiting. */
        long discardOutput()
        {
            final long discarded = queuedBytes;
            out.clear();
            queuedBytes = 0;
            return discarded;
        }
    }

    /** Idles in {@code select()}, so a quiet control thread sleeps until a client arrives or 5 (no client: 100) ms pass. */
    private final class SelectIdleStrategy implements IdleStrategy
    {
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        public void idle()
        {
            try
            {
                selector.select(connections.isEmpty() && !closing ? IDLE_SELECT_NO_CLIENT_MS : IDLE_SELECT_MS);
            }
            catch (final IOException | java.nio.channels.ClosedSelectorException ex)
            {
                Thread.onSpinWait();
            }
        }

        public void reset()
        {
        }
    }
}
