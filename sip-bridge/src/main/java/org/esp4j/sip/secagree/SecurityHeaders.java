package org.esp4j.sip.secagree;

import org.esp4j.sip.message.HeaderValues;
import org.esp4j.sip.message.SipMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * Parse and format the RFC 3329 §2.2 headers Security-Client, Security-Server and Security-Verify: each holds a
 * comma list of mechanisms and may be repeated; a message's mechanisms are all elements of all its headers of that
 * name, in order.
 */
public final class SecurityHeaders
{
    private SecurityHeaders()
    {
    }

    /**
     * Parse one header value holding one or more mechanisms.
     *
     * @param headerName for error messages, e.g. {@code Security-Client}.
     * @param value      the header value.
     * @return the mechanisms in order.
     * @throws SecAgreeException naming the header and the parameter at fault.
     */
    public static List<SecurityMechanism> parse(final String headerName, final String value)
    {
        final List<SecurityMechanism> mechanisms = new ArrayList<>(2);
        for (final String element : HeaderValues.splitList(value))
        {
            try
            {
                mechanisms.add(SecurityMechanism.parse(element));
            }
            catch (final SecAgreeException ex)
            {
                throw new SecAgreeException(headerName + ": " + ex.getMessage());
            }
        }
        if (mechanisms.isEmpty())
        {
            throw new SecAgreeException(headerName + ": no security mechanism in header");
        }
        return mechanisms;
    }

    /**
     * All mechanisms of every header of one name in a message.
     *
     * @param message    the message.
     * @param headerName e.g. {@code Security-Client}, any case.
     * @return the mechanisms in order, empty when the header is absent.
     * @throws SecAgreeException naming the header and the parameter at fault.
     */
    public static List<SecurityMechanism> fromMessage(final SipMessage message, final String headerName)
    {
        final List<String> values = message.headerValues(headerName);
        if (values.isEmpty())
        {
            return List.of();
        }
        final List<SecurityMechanism> mechanisms = new ArrayList<>(2);
        for (final String value : values)
        {
            mechanisms.addAll(parse(headerName, value));
        }
        return mechanisms;
    }

    /**
     * Format mechanisms as one header value, comma separated.
     *
     * @param mechanisms to format.
     * @return the header value.
     */
    public static String format(final List<SecurityMechanism> mechanisms)
    {
        final StringBuilder sb = new StringBuilder(200 * mechanisms.size());
        for (final SecurityMechanism mechanism : mechanisms)
        {
            if (sb.length() > 0)
            {
                sb.append(',');
            }
            sb.append(mechanism.format());
        }
        return sb.toString();
    }

    /**
     * A short account of mechanisms for a log line: each one's algorithms ({@code alg/ealg}, as TS 33.203 Annex H
     * writes them) or its name when it is not ipsec-3gpp, then the SPIs (unsigned decimal, as in the header) and ports,
     * once when every ipsec-3gpp mechanism has the same (as a UE offers them), else after each. Nothing else of the
     * header (q, prot, mode, other parameters): {@link #format} gives it whole.
     *
     * @param mechanisms the mechanisms, e.g. a Security-Client.
     * @return for example {@code hmac-sha-1-96/aes-cbc, hmac-md5-96/null; spi-c 1000 spi-s 1001 port-c 5062 port-s 5064}.
     */
    public static String summary(final List<SecurityMechanism> mechanisms)
    {
        String shared = null;
        boolean same = true;
        for (final SecurityMechanism mechanism : mechanisms)
        {
            if (mechanism.isIpsec3gpp())
            {
                final String endpoints = endpoints(mechanism);
                same &= shared == null || shared.equals(endpoints);
                shared = shared == null ? endpoints : shared;
            }
        }
        final StringBuilder sb = new StringBuilder(64 + 40 * mechanisms.size());
        for (final SecurityMechanism mechanism : mechanisms)
        {
            if (sb.length() > 0)
            {
                sb.append(", ");
            }
            if (!mechanism.isIpsec3gpp())
            {
                sb.append(mechanism.name());
                continue;
            }
            sb.append(SecAgreeAlgorithms.algToken(mechanism.alg(), mechanism.effectiveEalg())).append('/')
                .append(SecAgreeAlgorithms.ealgToken(mechanism.alg(), mechanism.effectiveEalg()));
            if (!same)
            {
                sb.append(' ').append(endpoints(mechanism));
            }
        }
        if (same && shared != null)
        {
            sb.append("; ").append(shared);
        }
        return sb.toString();
    }

    private static String endpoints(final SecurityMechanism mechanism)
    {
        return "spi-c " + mechanism.spiC() + " spi-s " + mechanism.spiS() + " port-c " + mechanism.portC() +
            " port-s " + mechanism.portS();
    }

    /**
     * RFC 3329 §2.3.1 / TS 33.203 §7.1: the server's offer with the highest q among those the client also offered
     * (same algorithms), as the UE chooses.
     *
     * @param clientOffers the Security-Client mechanisms.
     * @param serverOffers the Security-Server mechanisms.
     * @param supported    which server offers may be chosen at all.
     * @return {client, server}, or null when none matches.
     */
    public static SecurityMechanism[] chooseHighestQ(
        final List<SecurityMechanism> clientOffers,
        final List<SecurityMechanism> serverOffers,
        final java.util.function.Predicate<SecurityMechanism> supported)
    {
        SecurityMechanism[] best = null;
        for (final SecurityMechanism server : serverOffers)
        {
            if (!supported.test(server) || best != null && server.q() <= best[1].q())
            {
                continue;
            }
            for (final SecurityMechanism client : clientOffers)
            {
                if (client.sameAlgorithms(server))
                {
                    best = new SecurityMechanism[]{ client, server };
                    break;
                }
            }
        }
        return best;
    }
}
