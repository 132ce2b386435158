package org.esp4j.core.pcap;

import org.esp4j.core.testutil.ByteArrayBuilder;

import java.nio.ByteOrder;

/**
 * Hand-written capture files for the tests: classic pcap headers and records, pcapng blocks, in a chosen byte
 * order per file or section, following draft-ietf-opsawg-pcap and draft-ietf-opsawg-pcapng field by field.
 */
final class CaptureFileBuilder
{
    static final int MAGIC_MICROSECONDS = 0xA1B2C3D4;
    static final int MAGIC_NANOSECONDS = 0xA1B23C4D;

    private final ByteArrayBuilder out;

    CaptureFileBuilder(final ByteOrder order)
    {
        out = new ByteArrayBuilder(order);
    }

    CaptureFileBuilder pcapHeader(final boolean nanoseconds, final long snapLength, final long linkTypeField)
    {
        out.u32(nanoseconds ? MAGIC_NANOSECONDS : MAGIC_MICROSECONDS).u16(2).u16(4).u32(0).u32(0)
            .u32(snapLength).u32(linkTypeField);
        return this;
    }

    CaptureFileBuilder pcapRecord(final long seconds, final long fraction, final byte[] data, final long originalLength)
    {
        out.u32(seconds).u32(fraction).u32(data.length).u32(originalLength).bytes(data);
        return this;
    }

    CaptureFileBuilder pcapRecord(final long seconds, final long fraction, final byte[] data)
    {
        return pcapRecord(seconds, fraction, data, data.length);
    }

    /** Section Header Block; switches the builder to the section's byte order. */
    CaptureFileBuilder sectionHeader(final ByteOrder order, final long sectionLength, final byte[] options)
    {
        out.order(order);
        final int start = out.length();
        out.u32(0x0A0D0D0A).u32(0).u32(0x1A2B3C4D).u16(1).u16(0).u64(sectionLength).bytes(options);
        return endBlock(start);
    }

    CaptureFileBuilder sectionHeader(final ByteOrder order)
    {
        return sectionHeader(order, -1, new byte[0]);
    }

    CaptureFileBuilder interfaceDescription(final int linkType, final long snapLength, final byte[] options)
    {
        final int start = out.length();
        out.u32(1).u32(0).u16(linkType).u16(0).u32(snapLength).bytes(options);
        return endBlock(start);
    }

    CaptureFileBuilder enhancedPacket(
        final int interfaceId, final long ticks, final byte[] data, final long originalLength, final byte[] options)
    {
        final int start = out.length();
        out.u32(6).u32(0).u32(interfaceId).u32(ticks >>> 32).u32(ticks & 0xFFFF_FFFFL)
            .u32(data.length).u32(originalLength).bytes(data).padTo4().bytes(options);
        return endBlock(start);
    }

    CaptureFileBuilder enhancedPacket(final int interfaceId, final long ticks, final byte[] data)
    {
        return enhancedPacket(interfaceId, ticks, data, data.length, new byte[0]);
    }

    CaptureFileBuilder simplePacket(final long originalLength, final byte[] capturedData)
    {
        final int start = out.length();
        out.u32(3).u32(0).u32(originalLength).bytes(capturedData).padTo4();
        return endBlock(start);
    }

    /** Any block type with an opaque body (padded to 32 bits). */
    CaptureFileBuilder block(final int blockType, final byte[] body)
    {
        final int start = out.length();
        out.u32(blockType).u32(0).bytes(body).padTo4();
        return endBlock(start);
    }

    /** An option list: pairs of (code, value), each value padded, closed by opt_endofopt. */
    byte[] options(final Object... codesAndValues)
    {
        final ByteArrayBuilder options = new ByteArrayBuilder(out.order());
        for (int i = 0; i < codesAndValues.length; i += 2)
        {
            final byte[] value = (byte[])codesAndValues[i + 1];
            options.u16((Integer)codesAndValues[i]).u16(value.length).bytes(value).padTo4();
        }
        return options.u16(0).u16(0).toByteArray();
    }

    /** A 64-bit option value in the current byte order. */
    byte[] u64Value(final long value)
    {
        return new ByteArrayBuilder(out.order()).u64(value).toByteArray();
    }

    CaptureFileBuilder raw(final byte[] bytes)
    {
        out.bytes(bytes);
        return this;
    }

    byte[] toByteArray()
    {
        return out.toByteArray();
    }

    private CaptureFileBuilder endBlock(final int start)
    {
        final int totalLength = out.length() + 4 - start;
        out.u32(totalLength).u32At(start + 4, totalLength);
        return this;
    }
}
