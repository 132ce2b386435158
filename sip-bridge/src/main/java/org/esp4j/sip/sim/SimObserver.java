package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;

/**
 * Sees every message a simulator sends or receives, and what it concludes: the ladder printer, a test, the demo.
 */
public interface SimObserver
{
    /**
     * @param sent    true for a message the simulator sent, false for one it received.
     * @param flow    where it travelled.
     * @param message the message.
     * @param spi     the SPI of the SA that protects this flow as negotiated (unsigned 32-bit), or -1 when the flow is
     *                not one of the negotiated SAs' (unprotected).
     * @param nowMs   the simulator's clock.
     */
    void onMessage(boolean sent, SimFlow flow, SipMessage message, long spi, long nowMs);

    /**
     * A step of the procedure, or a failure (one line, no keys).
     *
     * @param text  what happened.
     * @param nowMs the simulator's clock.
     */
    void onNote(String text, long nowMs);
}
