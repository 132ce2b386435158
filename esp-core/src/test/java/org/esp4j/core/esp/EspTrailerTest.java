package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EspTrailer (RFC 4303 §2.4-2.6) against trailers written by hand.
 */
class EspTrailerTest
{
    @Test
    void shouldReadPadLengthNextHeaderAndPaddingWrittenByHand()
    {
        // payload "abcde", padding 01 02 03 04 05 06 07, pad length 7, next header UDP: 14 bytes in all
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.decode("6162636465" + "01020304050607" + "07" + "11"));
        final int trailer = buffer.capacity() - EspTrailer.LENGTH;

        assertEquals(7, EspTrailer.padLength(buffer, trailer));
        assertEquals(IpProtocol.UDP, EspTrailer.nextHeader(buffer, trailer));
        assertTrue(EspTrailer.isPaddingValid(buffer, 5, 7));
    }

    @Test
    void shouldRefusePaddingThatIsNotOneTwoThree()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.decode("6162636465" + "01020304050600" + "07" + "11"));

        assertFalse(EspTrailer.isPaddingValid(buffer, 5, 7));
        assertTrue(EspTrailer.isPaddingValid(buffer, 5, 0));
    }

    @Test
    void shouldWriteTheBytesTheRfcPrescribes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[5 + 3 + 2]);

        EspTrailer.write(buffer, 5, 3, IpProtocol.IPV6_NO_NEXT_HEADER);

        assertArrayEquals(Hex.decode("0000000000" + "010203" + "03" + "3b"), buffer.byteArray());
    }

    @Test
    void shouldPadToTheCipherBlockOrFourBytes()
    {
        assertEquals(16, EspTrailer.paddedLength(14, 16)); // 14 + 2 fits exactly
        assertEquals(32, EspTrailer.paddedLength(15, 16));
        assertEquals(8, EspTrailer.paddedLength(5, 4));
        assertEquals(4, EspTrailer.paddedLength(0, 4));
    }
}
