package org.esp4j.tun.device;

/**
 * The packet agents' side of a TUN device: read plaintext the host sends, write plaintext the host receives, both
 * through native memory (addresses). Implemented by {@link TunDevice}; one implementation at run time keeps the
 * agents' calls monomorphic (tests substitute their own).
 */
public interface TunPort
{
    /** @return the device name (for thread names and messages). */
    String name();

    /** @return bytes of virtio-net header in front of each packet read or written (0 without offloads). */
    int vnetHeaderLength();

    /**
     * Read one packet.
     *
     * @return its length, {@link TunDevice#WOULD_BLOCK} when none is waiting, or {@code -errno}.
     */
    int read(int queue, long address, int capacity);

    /**
     * Write one packet.
     *
     * @return the length written, or {@code -errno}.
     */
    int write(int queue, long address, int length);

    /**
     * @return true if the TUN takes UDP segmentation offload ({@code TUN_F_USO4 | TUN_F_USO6}): one write may carry a
     * {@code GSO_UDP_L4} super-packet of one flow's datagrams.
     */
    default boolean udpOffload()
    {
        return false;
    }
}
