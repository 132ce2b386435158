package org.esp4j.sip.message;

/**
 * A SIP message or header value that cannot be parsed. The message names the header or parameter at fault.
 */
public class SipParseException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the header or parameter.
     */
    public SipParseException(final String message)
    {
        super(message);
    }
}
