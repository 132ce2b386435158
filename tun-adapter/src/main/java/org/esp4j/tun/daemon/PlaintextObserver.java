package org.esp4j.tun.daemon;

/**
 * Looks at plaintext IP packets on the daemon's data path without changing them (the SIP bridge uses it to see the
 * REGISTER exchanges). Called on packet threads: must be quick and must not keep the array.
 */
@FunctionalInterface
public interface PlaintextObserver
{
    /**
     * @param array  packet bytes.
     * @param offset IP header start.
     * @param length packet length.
     */
    void onPlaintext(byte[] array, int offset, int length);
}
