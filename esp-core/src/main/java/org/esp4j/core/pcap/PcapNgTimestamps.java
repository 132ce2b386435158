package org.esp4j.core.pcap;

/**
 * pcapng timestamps are a 64-bit count of ticks whose length the interface's if_tsresol option gives
 * (draft-ietf-opsawg-pcapng §4.2): most significant bit 0 means 10<sup>-n</sup> s, 1 means 2<sup>-n</sup> s, with
 * n in the low 7 bits. Default (option absent) is 10<sup>-6</sup> s.
 */
final class PcapNgTimestamps
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long[] POWERS_OF_TEN = new long[19];

    static
    {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++)
        {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private PcapNgTimestamps()
    {
    }

    /**
     * @param ticks                timestamp in units of the resolution (unsigned, but real captures stay below
     *                             2<sup>63</sup>).
     * @param timestampResolution  the if_tsresol byte.
     * @return nanoseconds since the epoch, truncated where the resolution is finer than a nanosecond.
     */
    static long toNanoseconds(final long ticks, final int timestampResolution)
    {
        final int exponent = timestampResolution & 0x7F;
        if ((timestampResolution & 0x80) == 0)
        {
            if (exponent <= 9)
            {
                return ticks * POWERS_OF_TEN[9 - exponent];
            }
            final int divisorExponent = exponent - 9;
            return divisorExponent < POWERS_OF_TEN.length ?
                Long.divideUnsigned(ticks, POWERS_OF_TEN[divisorExponent]) : 0;
        }

        if (exponent >= 64)
        {
            return 0;
        }
        final long seconds = 0 == exponent ? ticks : ticks >>> exponent;
        final long fraction = 0 == exponent ? 0 : ticks & ((1L << exponent) - 1);
        // fraction / 2^n seconds in ns = (fraction << (64 - n)) * 10^9 / 2^64: the high word of an unsigned product.
        final long fractionNs = 0 == fraction ? 0 : unsignedMultiplyHigh(fraction << (64 - exponent), NANOS_PER_SECOND);
        return seconds * NANOS_PER_SECOND + fractionNs;
    }

    private static long unsignedMultiplyHigh(final long x, final long y)
    {
        // Math.unsignedMultiplyHigh is Java 18+; y is positive here, so only x's sign needs correcting.
        return Math.multiplyHigh(x, y) + ((x >> 63) & y);
    }
}
