package org.esp4j.tun.offload;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test helper: a {@link TunWriter.FrameWriter} that copies every frame it is given (virtio-net header and packet)
 * into a list, optionally failing, and the coalescer's three counters from an Agrona {@link CountersManager}.
 */
final class TunFrames implements TunWriter.FrameWriter
{
    static final int EIO = 5;

    final List<byte[]> frames = new ArrayList<>();
    /** While positive, each write fails with -EIO (and decrements it). */
    int failNext;
    final AtomicCounter packets;
    final AtomicCounter segments;
    final AtomicCounter errors;

    /**
     * @param direct counters over direct (off-heap) memory, as the daemon has them, else over a heap {@code byte[]}
     *               (Agrona then prints that it cannot promise 8-byte alignment of a {@code byte[]}: expected).
     */
    TunFrames(final boolean direct)
    {
        final int values = 8 * CountersReader.COUNTER_LENGTH;
        final int metadata = values * (CountersReader.METADATA_LENGTH / CountersReader.COUNTER_LENGTH);
        final CountersManager manager = direct ?
            new CountersManager(new UnsafeBuffer(BufferUtil.allocateDirectAligned(metadata, 64)),
                new UnsafeBuffer(BufferUtil.allocateDirectAligned(values, 64))) :
            new CountersManager(new UnsafeBuffer(new byte[metadata]), new UnsafeBuffer(new byte[values]));
        packets = manager.newCounter("tun-gro-packets");
        segments = manager.newCounter("tun-gro-segments");
        errors = manager.newCounter("tun-write-errors");
    }

    TunWriter coalescer(final int vnetHeaderLength, final boolean enabled)
    {
        return new TunWriter(this, vnetHeaderLength, enabled, packets, segments, errors);
    }

    public int write(final long address, final int length)
    {
        if (failNext > 0)
        {
            failNext--;
            return -EIO;
        }
        final byte[] frame = new byte[length];
        new UnsafeBuffer(address, length).getBytes(0, frame);
        frames.add(frame);
        return length;
    }

    byte[] frame(final int index)
    {
        return frames.get(index);
    }

    /** @return the IP packet of frame {@code index} (after the virtio-net header). */
    byte[] packet(final int index)
    {
        final byte[] frame = frames.get(index);
        return Arrays.copyOfRange(frame, VirtioNetHeader.LENGTH, frame.length);
    }

    /** @return the virtio-net header of frame {@code index} in a buffer for the {@link VirtioNetHeader} getters. */
    UnsafeBuffer header(final int index)
    {
        return new UnsafeBuffer(Arrays.copyOf(frames.get(index), VirtioNetHeader.LENGTH));
    }
}
