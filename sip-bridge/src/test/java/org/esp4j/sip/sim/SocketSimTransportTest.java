package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SocketSimTransport#connectWithoutBlocking()}: TCP connections of a UE farm open in {@link
 * SocketSimTransport#poll}, over loopback sockets.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SocketSimTransportTest
{
    private final InetAddress loopback = InetAddress.getLoopbackAddress();
    private final List<String> failures = new ArrayList<>();
    private final SocketSimTransport.Handler handler = new SocketSimTransport.Handler()
    {
        public void onMessage(final SimFlow flow, final SipMessage message)
        {
        }

        public void onBadInput(final SimFlow flow, final String reason)
        {
        }

        public void onSendFailed(final SimFlow flow, final String reason)
        {
            failures.add(reason);
        }
    };

    @Test
    void shouldSendTheMessagesOfAConnectionStillOpeningInOrderOnceItIsUp() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 50, loopback);
            SocketSimTransport transport = new SocketSimTransport(loopback).connectWithoutBlocking())
        {
            final SimFlow flow = new SimFlow(Transport.TCP, new InetSocketAddress(loopback, 0),
                new InetSocketAddress(loopback, server.getLocalPort()));
            final SimFlow used = transport.send(flow, "first ".getBytes(StandardCharsets.US_ASCII));
            transport.send(used, "second".getBytes(StandardCharsets.US_ASCII));
            try (Socket accepted = server.accept())
            {
                final InputStream in = accepted.getInputStream();
                final ByteArrayOutputStream received = new ByteArrayOutputStream();
                final byte[] chunk = new byte[64];
                while (received.size() < 12)
                {
                    transport.poll(10, handler);
                    if (in.available() > 0)
                    {
                        received.write(chunk, 0, in.read(chunk));
                    }
                }
                assertEquals("first second", received.toString(StandardCharsets.US_ASCII));
                assertEquals(used.local().getPort(), accepted.getPort(), "one connection for both messages");
            }
            assertTrue(failures.isEmpty(), failures.toString());
        }
    }

    @Test
    void shouldQueueTheHandshakesOfTwoHundredConcurrentConnectionsBeforeAnyIsAccepted() throws Exception
    {
        // a farm's 200 UEs in flight connect at once; with Java's default backlog (50) the kernel drops the SYNs
        // beyond it until the sim accepts, and these never complete here, where nobody accepts
        final int clients = 200;
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, loopback))
        {
            port = probe.getLocalPort();
        }
        final List<java.nio.channels.SocketChannel> channels = new ArrayList<>();
        try (SocketSimTransport transport = new SocketSimTransport(loopback).listen(port, true))
        {
            for (int i = 0; i < clients; i++)
            {
                final java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open();
                channels.add(channel);
                channel.configureBlocking(false);
                channel.connect(new InetSocketAddress(loopback, port));
            }
            int connected = 0;
            while (connected < clients)
            {
                connected = 0;
                for (final java.nio.channels.SocketChannel channel : channels)
                {
                    connected += channel.isConnected() || channel.finishConnect() ? 1 : 0;
                }
                Thread.onSpinWait();
            }
            assertEquals(clients, connected);
        }
        finally
        {
            for (final java.nio.channels.SocketChannel channel : channels)
            {
                channel.close();
            }
        }
    }

    @Test
    void shouldReportARefusedConnectionAsCannotConnect() throws Exception
    {
        final int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, loopback))
        {
            closedPort = probe.getLocalPort();
        }
        try (SocketSimTransport transport = new SocketSimTransport(loopback).connectWithoutBlocking())
        {
            final SimFlow flow = new SimFlow(Transport.TCP, new InetSocketAddress(loopback, 0),
                new InetSocketAddress(loopback, closedPort));
            try
            {
                transport.send(flow, "REGISTER".getBytes(StandardCharsets.US_ASCII));
            }
            catch (final java.io.IOException refusedAtOnce)
            {
                // the kernel may refuse a loopback connect before it returns: then the sender hears it, as before
                assertTrue(refusedAtOnce.getMessage().startsWith("cannot connect "), refusedAtOnce.getMessage());
                return;
            }
            while (failures.isEmpty())
            {
                transport.poll(10, handler);
            }
            assertEquals(1, failures.size());
            assertTrue(failures.get(0).startsWith("cannot connect ") && failures.get(0).contains("refused"),
                failures.get(0));
        }
    }
}
