package org.esp4j.tun.routing;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The netlink request and the reply parsing of {@link NftNamedCounter}, against bytes made by
 * {@code src/test/resources/nft/getobj-vectors.py} (Python struct from the kernel headers, and the kernel's own answer
 * captured on x86-64: host byte order little-endian).
 */
class NftNamedCounterTest
{
    private static final String REQUEST = "44000000130a050007000000000000000100000011000100657370346a5f657370346a30" +
        "0000000012000200746d706c5f6d69736d617463680000000800030000000001";
    /** NFT_MSG_NEWOBJ: table, name, type, handle, use, data { bytes 297, packets 3 }. */
    private static final String NEWOBJ = "74000000120a000007000000836b00000100000211000100657370346a5f657370346a3000" +
        "00000012000200746d706c5f6d69736d6174636800000008000300000000010c00060000000000000000010800050000000000" +
        "1c0004000c00010000000000000001290c0002000000000000000003";
    /** NLMSG_ERROR with error 0: the acknowledgement. */
    private static final String ACK = "240000000200000107000000836b00000000000044000000130a05000700000000000000";

    @BeforeAll
    static void littleEndianHost()
    {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "the vectors were captured on x86-64");
    }

    @Test
    void shouldEncodeTheGetObjRequestAsTheKernelHeadersSay()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);

        final int length = NftNamedCounter.encodeRequest(buffer, 7, "esp4j_esp4j0", "tmpl_mismatch");

        final byte[] encoded = new byte[length];
        buffer.getBytes(0, encoded);
        assertArrayEquals(HexFormat.of().parseHex(REQUEST), encoded);
    }

    @Test
    void shouldReadThePacketsFromTheKernelsAnswerAndStopAtItsAcknowledgement() throws IOException
    {
        final NftNamedCounter.Answer counter = decode(NEWOBJ, 7);
        assertEquals(3, counter.packets());
        assertFalse(counter.done());

        final NftNamedCounter.Answer ack = decode(ACK, 7);
        assertTrue(ack.done());
        assertEquals(0, ack.errno());
    }

    @Test
    void shouldSeeTheErrnoOfAFailedRequest() throws IOException
    {
        // the acknowledgement with error -ENOENT (-2), as for a table or counter that does not exist
        final String enoent = ACK.substring(0, 32) + "feffffff" + ACK.substring(40);

        final NftNamedCounter.Answer answer = decode(enoent, 7);

        assertTrue(answer.done());
        assertEquals(2, answer.errno());
    }

    @Test
    void shouldIgnoreMessagesOfAnotherRequest() throws IOException
    {
        final NftNamedCounter.Answer answer = decode(NEWOBJ + ACK, 8);

        assertEquals(NftNamedCounter.MISSING, answer.packets());
        assertFalse(answer.done());
    }

    @Test
    void shouldRefuseAMessageLongerThanTheDatagram()
    {
        final String truncated = NEWOBJ.substring(0, NEWOBJ.length() - 8);

        assertThrows(IOException.class, () -> decode(truncated, 7));
    }

    private static NftNamedCounter.Answer decode(final String hex, final int sequence) throws IOException
    {
        final byte[] bytes = HexFormat.of().parseHex(hex);
        return NftNamedCounter.decodeReply(new UnsafeBuffer(bytes), bytes.length, sequence);
    }
}
