package org.esp4j.core.testutil;

/**
 * One entry of {@code vectors.json}'s {@code sa} list: an SA as tshark's ESP preferences describe it.
 *
 * @param pcap        pcap file the SA decrypts.
 * @param protocol    {@code IPv4} or {@code IPv6}.
 * @param src         source address text.
 * @param dst         destination address text.
 * @param spi         SPI as unsigned 32-bit, parsed from spiHex.
 * @param spiHex      SPI as written, e.g. {@code 0xa82588f1}.
 * @param cryptAlg    e.g. {@code NULL}, {@code AES-CBC}.
 * @param tsharkCrypt tshark's name for the cipher.
 * @param cryptKey    cipher key (crypt_key_hex), empty for NULL.
 * @param authAlg     e.g. {@code HMAC-MD5-96}.
 * @param tsharkAuth  tshark's name for the integrity algorithm.
 * @param authKey     integrity key (auth_key_hex).
 */
public record EspSa(
    String pcap,
    String protocol,
    String src,
    String dst,
    long spi,
    String spiHex,
    String cryptAlg,
    String tsharkCrypt,
    byte[] cryptKey,
    String authAlg,
    String tsharkAuth,
    byte[] authKey)
{
}
