package org.esp4j.tun.carrier;

/**
 * The UDP checksum of IPv4 ESP-in-UDP that {@link UdpEncapCarrier} sends ({@code udp.checksum}). RFC 3948 §2.1: the
 * IPv4 UDP checksum SHOULD be zero and receivers MUST NOT depend on it being zero, so either is correct on the wire.
 * Linux sends no UDP GSO train ({@code UDP_SEGMENT}) without a checksum, so the choice is also how trains leave.
 * IPv6 always has a checksum (RFC 8200 §8.1) and its trains.
 */
public enum Ipv4UdpChecksum
{
    /** Zero, as RFC 3948 §2.1 says it SHOULD be; a train leaves as its datagrams in one {@code sendmmsg}. */
    ZERO,
    /** Computed by the kernel on every datagram, so every train leaves as one UDP GSO send. */
    KERNEL,
    /**
     * A train of at least {@link UdpEncapCarrier#AUTO_TRAIN_SEGMENTS} datagrams leaves as a checksummed UDP GSO send;
     * a lone datagram or a short train (SIP, a request/response) leaves with checksum zero, unless a long train went
     * within the last {@link UdpEncapCarrier#AUTO_QUIET_SENDS} sends.
     */
    AUTO
}
