package org.esp4j.core.pcap;

/**
 * The two capture file formats {@link PcapReader} reads and {@link PcapWriter} writes.
 */
public enum CaptureFormat
{
    /** Classic libpcap format, draft-ietf-opsawg-pcap: one file header, then records. */
    PCAP,

    /** PCAP Next Generation, draft-ietf-opsawg-pcapng: sections of blocks. */
    PCAPNG
}
