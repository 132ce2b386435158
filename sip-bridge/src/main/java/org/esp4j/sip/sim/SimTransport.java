package org.esp4j.sip.sim;

import java.io.IOException;

/**
 * How a simulator's SIP messages reach the wire: real sockets ({@link SocketSimTransport}), or anything else that
 * can carry a message on a flow (a userspace IP stack, a test's queue). Received messages come back through the
 * owner's loop as {@code onMessage(flow, message, nowMs)} on the simulator.
 */
public interface SimTransport
{
    /**
     * Send one whole SIP message.
     *
     * @param flow    transport and both ends; for TCP the connection on that pair, opened when none is.
     * @param message the message bytes.
     * @return the flow actually used (its local port filled in when the caller left it 0).
     * @throws IOException when the message could not be handed to the network.
     */
    SimFlow send(SimFlow flow, byte[] message) throws IOException;
}
