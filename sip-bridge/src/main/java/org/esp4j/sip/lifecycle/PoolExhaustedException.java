package org.esp4j.sip.lifecycle;

/**
 * An SPI or port pool has no free value left.
 */
public class PoolExhaustedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the pool and its range.
     */
    public PoolExhaustedException(final String message)
    {
        super(message);
    }
}
