package org.esp4j.tun.carrier;

/**
 * Results of carrier calls besides a positive length: {@link #NONE} when nothing was waiting, a negative errno
 * ({@code -errno} is always above {@link #FIRST_CODE}) or one of the codes below, which the agents count.
 */
public final class CarrierStatus
{
    /** Nothing to read (EAGAIN). */
    public static final int NONE = 0;
    public static final int FIRST_CODE = -10_000;
    /** The datagram was bigger than the receive area. */
    public static final int TRUNCATED = FIRST_CODE - 1;
    /** RFC 3948 NAT-keepalive (one 0xFF byte): consumed, not an error. */
    public static final int NAT_KEEPALIVE = FIRST_CODE - 2;
    /** RFC 3948 non-ESP marker (IKE traffic on 4500): no IKE here, dropped. */
    public static final int NON_ESP_MARKER = FIRST_CODE - 3;
    /** No packet-info control message: the destination address is unknown. */
    public static final int NO_PKTINFO = FIRST_CODE - 4;
    /** The packet is too short or not an IP packet of the carrier's family. */
    public static final int MALFORMED = FIRST_CODE - 5;
    /** The packet handed to send does not fit the carrier (wrong family, protocol or length). */
    public static final int UNSUITABLE = FIRST_CODE - 6;

    private CarrierStatus()
    {
    }

    /** @return true if {@code status} is a negated errno. */
    public static boolean isErrno(final int status)
    {
        return status < 0 && status > FIRST_CODE;
    }
}
