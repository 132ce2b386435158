package org.esp4j.tun.sip;

import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.RegistrationIdentity;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.util.InetAddressText;
import org.esp4j.tun.log.LogLevel;

/**
 * The SIP bridge's log line for one {@link LifecycleEvent}, and the level it is logged at. Events that say something
 * went wrong (a rejected request, an AKA or digest failure, a parse error, a flow conflict) are {@link LogLevel#WARN}
 * lines, seen at every level but error; the dozen events of each registration are {@link LogLevel#INFO} lines.
 * <p>
 * At info a line is short: an SA is printed in full once, when installed; its later updates and its removal name it by
 * label, direction, SPI and state; the registration is named by IMPI, Call-ID and UE address (its Contact repeats the
 * IMPI and the address). At debug a line is the event in full.
 */
final class SipEventLine
{
    private SipEventLine()
    {
    }

    /**
     * @param type an event's type.
     * @return the level its line is logged at.
     */
    static LogLevel level(final LifecycleEvent.Type type)
    {
        switch (type)
        {
            case REQUEST_REJECTED:
            case AKA_MAC_FAILURE:
            case AKA_SYNC_FAILURE:
            case DIGEST_MISMATCH:
            case PARSE_ERROR:
            case WARNING:
            case FLOW_CONFLICT:
                return LogLevel.WARN;
            default:
                return LogLevel.INFO;
        }
    }

    /**
     * @param event  the event.
     * @param detail {@link LogLevel#DEBUG}: the event in full; else the short line.
     * @return the line, without the {@code sip-bridge: } prefix.
     */
    static String text(final LifecycleEvent event, final LogLevel detail)
    {
        if (detail == LogLevel.DEBUG)
        {
            return event.toString();
        }
        final StringBuilder sb = new StringBuilder(160).append(event.type());
        if (event.statusCode() != 0)
        {
            sb.append(' ').append(event.statusCode());
        }
        if (event.detail() != null)
        {
            sb.append(": ").append(event.detail());
        }
        final SaSpec sa = event.sa();
        if (sa != null)
        {
            if (event.type() == LifecycleEvent.Type.SA_INSTALLED)
            {
                sb.append(' ').append(sa);
            }
            else
            {
                sb.append(" SaSpec{").append(sa.label()).append(' ').append(sa.direction().xfrmName())
                    .append(" spi=").append(sa.spiHex()).append(' ').append(sa.state()).append('}');
            }
        }
        final RegistrationIdentity identity = event.identity();
        if (identity != null)
        {
            sb.append(" [impi=").append(identity.impi()).append(" call-id=").append(identity.callId())
                .append(" ue=").append(InetAddressText.format(identity.ueAddress())).append(']');
        }
        return sb.toString();
    }
}
