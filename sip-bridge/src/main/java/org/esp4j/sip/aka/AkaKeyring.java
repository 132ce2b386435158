package org.esp4j.sip.aka;

/**
 * The AKA keys of many subscribers by private identity (IMPI, the digest username): what a SIP bridge in front of a
 * UE farm or a P-CSCF serving many UEs needs instead of one subscriber's {@link AkaAlgorithm}.
 */
@FunctionalInterface
public interface AkaKeyring
{
    /**
     * @param impi the private identity of a registration.
     * @return that subscriber's algorithm keyed with its K and OPc, or null when the keyring does not know it.
     */
    AkaAlgorithm algorithmFor(String impi);
}
