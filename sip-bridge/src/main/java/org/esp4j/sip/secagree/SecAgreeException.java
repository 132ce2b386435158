package org.esp4j.sip.secagree;

import org.esp4j.sip.message.SipParseException;

/**
 * An invalid Security-Client, Security-Server or Security-Verify value (RFC 3329, TS 33.203 Annex H).
 * The message names the header parameter at fault.
 */
public class SecAgreeException extends SipParseException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the parameter.
     */
    public SecAgreeException(final String message)
    {
        super(message);
    }
}
