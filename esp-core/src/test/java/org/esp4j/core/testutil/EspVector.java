package org.esp4j.core.testutil;

/**
 * One entry of {@code vectors.json}'s {@code vectors} list: an ESP packet made by the reference generator, what a
 * receiver must decide about it and where it sits in the shared pcaps. Hex fields are decoded to bytes; optional
 * fields are null when absent.
 *
 * @param suite               e.g. {@code null_md5}.
 * @param authAlg             e.g. {@code HMAC-MD5-96}.
 * @param authKey             integrity key (auth_key_hex).
 * @param cryptAlg            {@code NULL} or {@code AES-CBC}.
 * @param cryptKey            cipher key (crypt_key_hex), empty for NULL.
 * @param mode                always {@code transport} in this file.
 * @param icvLengthBytes      icv_len.
 * @param name                unique name, e.g. {@code null_md5/ipv6/ue->pcscf/raw/seq1}.
 * @param family              {@code ipv4} or {@code ipv6}.
 * @param direction           {@code ue->pcscf} or {@code pcscf->ue}.
 * @param encap               {@code raw} or {@code udp4500} (RFC 3948).
 * @param src                 source address text.
 * @param dst                 destination address text.
 * @param sourcePort          sport of the inner UDP.
 * @param destinationPort     dport of the inner UDP.
 * @param spi                 SPI as unsigned 32-bit.
 * @param spiHex              SPI as written in the file, e.g. {@code 0xa82588f1}.
 * @param sequence            sequence number (seq).
 * @param plaintext           unprotected IP packet (plaintext_hex).
 * @param plaintextUdpPayload SIP text of the inner UDP payload, null if absent.
 * @param expectedIcv         {@code good}, {@code bad} or {@code none}.
 * @param expectedVerdict     {@code accept} or {@code drop}.
 * @param why                 human reason for the verdict.
 * @param replayGroup         receiving SA the verdict assumes (see the file's notes).
 * @param esp                 ESP header onwards (esp_hex).
 * @param espOffset           offset of the ESP header in espIp (esp_offset).
 * @param icv                 ICV bytes as sent (icv_hex).
 * @param iv                  IV bytes, empty for NULL (iv_hex).
 * @param padLength           pad_len, null if absent.
 * @param nextHeader          next_header, null if absent.
 * @param expectedTsharkIcv   tshark's ICV verdict: {@code good}, {@code bad} or {@code none}.
 * @param validIcv            correct ICV of a tampered packet (icv_hex_valid), null if absent.
 * @param pcap                file name of the pcap holding the packet.
 * @param frame               1-based frame number in that pcap.
 * @param espIp               the whole protected IP packet as in the pcap (esp_ip_hex).
 * @param step                step of the replay sequence, null if absent.
 * @param windowAfter         expected window after this step, null if absent.
 */
public record EspVector(
    String suite,
    String authAlg,
    byte[] authKey,
    String cryptAlg,
    byte[] cryptKey,
    String mode,
    int icvLengthBytes,
    String name,
    String family,
    String direction,
    String encap,
    String src,
    String dst,
    int sourcePort,
    int destinationPort,
    long spi,
    String spiHex,
    long sequence,
    byte[] plaintext,
    String plaintextUdpPayload,
    String expectedIcv,
    String expectedVerdict,
    String why,
    String replayGroup,
    byte[] esp,
    int espOffset,
    byte[] icv,
    byte[] iv,
    Integer padLength,
    Integer nextHeader,
    String expectedTsharkIcv,
    byte[] validIcv,
    String pcap,
    int frame,
    byte[] espIp,
    Integer step,
    WindowAfter windowAfter)
{
    /**
     * Expected anti-replay window after a replay step.
     *
     * @param top               highest accepted sequence number.
     * @param lowestAcceptable  smallest sequence number not left of the window.
     */
    public record WindowAfter(long top, long lowestAcceptable)
    {
    }

    public boolean expectAccept()
    {
        return "accept".equals(expectedVerdict);
    }

    public boolean icvIsGood()
    {
        return "good".equals(expectedIcv);
    }

    public String toString()
    {
        return name;
    }
}
