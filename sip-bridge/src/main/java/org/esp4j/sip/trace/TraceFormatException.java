package org.esp4j.sip.trace;

/**
 * A trace file that cannot be read; the message names the file and line.
 */
public class TraceFormatException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the file, line and problem.
     */
    public TraceFormatException(final String message)
    {
        super(message);
    }
}
