package org.esp4j.core.esp;

/**
 * Sees the plaintext packets {@link EspProcessor#outbound} handles, in two steps around the SPD lookup, on the
 * processor's thread (the daemon's SIP bridge: it must see a message, and what the host received before it, before
 * the SPD decides whether that message leaves in clear). The packet is parsed once, by the processor; the SPD logic
 * stays in the processor.
 * <pre>
 *   parse -> beforeLookup(packet) -> SPD/SAD lookup -> afterLookup(verdict, packet) -> protect / pass / drop
 *                  |  false: not watched, no afterLookup          |  LOOK_UP_AGAIN: the observer changed the SAD/SPD
 * </pre>
 * Called for every parsed packet: {@link #beforeLookup} must be cheap for packets it does not watch. One
 * implementation at run time keeps the calls monomorphic. Must not keep the packet.
 */
public interface OutboundObserver
{
    /** {@link #afterLookup}: go on with the lookup's answer. */
    int CONTINUE = 0;
    /** {@link #afterLookup}: hold the packet back: it is dropped and counted as {@code XfrmOutNoStates}. */
    int HOLD = 1;
    /** {@link #afterLookup}: the observer changed the SAD or SPD: look the packet up again (once), then go on. */
    int LOOK_UP_AGAIN = 2;
    /**
     * {@link #afterLookup}: the observer took a copy of the packet, to hand it back later (when what it waits for is
     * in force, it goes through the processor again): nothing is done with it now, and it is not counted as a drop.
     */
    int TAKEN = 3;

    /**
     * The packet is parsed and about to be looked up.
     *
     * @param packet the parsed packet (valid during the call).
     * @return true to watch it ({@link #afterLookup} follows), false to leave it alone.
     */
    boolean beforeLookup(ParsedPacket packet);

    /**
     * The SPD's answer for a watched packet, before anything is done with it.
     *
     * @param verdict {@link EspVerdict#PASS} if it would leave in clear (no policy, a bypass, or an optional
     *                template without SA), {@link EspVerdict#DELIVER} if it would be protected,
     *                {@link EspVerdict#DROP} if it would be discarded or dropped for want of an SA.
     * @param packet  the parsed packet (valid during the call).
     * @return {@link #CONTINUE}, {@link #HOLD}, {@link #LOOK_UP_AGAIN} or {@link #TAKEN}.
     */
    int afterLookup(int verdict, ParsedPacket packet);
}
