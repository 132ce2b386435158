package org.esp4j.core.crypto;

import org.esp4j.core.sa.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IcvBatchTest
{
    private final Random random = new Random(20261125);

    /** SHA-1 per lane with the plain compression function: the reference for the vector kernel. */
    static final class ReferenceSha1Lanes implements Sha1Lanes
    {
        private final int lanes;
        private final int[] laneState = new int[Sha1Compression.STATE_WORDS];
        private final int[] w = new int[80];

        ReferenceSha1Lanes(final int lanes)
        {
            this.lanes = lanes;
        }

        public int lanes()
        {
            return lanes;
        }

        public void loadBlock(final byte[] source, final int offset, final int[] block, final int lane)
        {
            for (int t = 0; t < 16; t++)
            {
                final int i = offset + 4 * t;
                block[lane * 16 + t] = (source[i] & 0xFF) << 24 | (source[i + 1] & 0xFF) << 16 |
                    (source[i + 2] & 0xFF) << 8 | source[i + 3] & 0xFF;
            }
        }

        public void compress(final int[] state, final int[] block)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                for (int j = 0; j < Sha1Compression.STATE_WORDS; j++)
                {
                    laneState[j] = state[j * lanes + lane];
                }
                for (int t = 0; t < 16; t++)
                {
                    w[t] = block[lane * 16 + t];
                }
                Sha1Compression.compressWords(laneState, w);
                for (int j = 0; j < Sha1Compression.STATE_WORDS; j++)
                {
                    state[j * lanes + lane] = laneState[j];
                }
            }
        }
    }

    @Test
    void shouldCompressLikeTheJdkSha1() throws Exception
    {
        for (final int length : new int[] { 0, 1, 55, 56, 63, 64, 65, 119, 120, 1400 })
        {
            final byte[] message = new byte[length];
            random.nextBytes(message);
            final int blocks = (length + 9 + 63) / 64;
            final byte[] padded = Arrays.copyOf(message, blocks * 64);
            padded[length] = (byte)0x80;
            final long bits = length * 8L;
            for (int i = 0; i < 8; i++)
            {
                padded[padded.length - 1 - i] = (byte)(bits >>> (8 * i));
            }
            final int[] state = new int[5];
            Sha1Compression.initialState(state);
            for (int b = 0; b < blocks; b++)
            {
                Sha1Compression.compress(state, padded, b * 64);
            }
            final byte[] digest = new byte[20];
            for (int j = 0; j < 5; j++)
            {
                for (int k = 0; k < 4; k++)
                {
                    digest[4 * j + k] = (byte)(state[j] >>> (24 - 8 * k));
                }
            }
            assertArrayEquals(MessageDigest.getInstance("SHA-1").digest(message), digest, "length " + length);
        }
    }

    @Test
    void shouldCompressEveryLaneLikeThePlainCompressionFunction()
    {
        final IcvBatch batch = IcvBatch.create(1);
        assertNotNull(batch, "the tests run with --add-modules jdk.incubator.vector (esp-core/pom.xml)");
        final Sha1Lanes vector = new VectorSha1Lanes();
        final int lanes = vector.lanes();
        final Sha1Lanes reference = new ReferenceSha1Lanes(lanes);
        for (int round = 0; round < 50; round++)
        {
            final int[] state = new int[5 * lanes];
            final int[] block = new int[16 * lanes];
            for (int i = 0; i < state.length; i++)
            {
                state[i] = random.nextInt();
            }
            for (int i = 0; i < block.length; i++)
            {
                block[i] = random.nextInt();
            }
            final int[] expected = state.clone();
            reference.compress(expected, block.clone());
            vector.compress(state, block);
            assertArrayEquals(expected, state, "round " + round);

            final byte[] bytes = new byte[64 * lanes + 7];
            random.nextBytes(bytes);
            final int[] vectorRows = new int[16 * lanes];
            final int[] referenceRows = new int[16 * lanes];
            for (int lane = 0; lane < lanes; lane++)
            {
                vector.loadBlock(bytes, 7 + 64 * lane, vectorRows, lane);
                reference.loadBlock(bytes, 7 + 64 * lane, referenceRows, lane);
            }
            assertArrayEquals(referenceRows, vectorRows, "loaded blocks, round " + round);
        }
    }

    @Test
    void shouldWriteTheSameIcvsAsOnePacketAtATimeForMixedLengthsKeysAndEsn()
    {
        for (final IcvBatch batch : batches())
        {
            final HmacEngine[] engines = { engine(20), engine(20), engine(80) };
            final int count = IcvBatch.CAPACITY;
            final byte[][] packets = new byte[count][];
            final byte[][] expected = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                // many of one length (a super-packet's segments), some of others, a few with ESN
                final int authLength = i % 5 == 4 ? 1 + random.nextInt(200) : 1428;
                final boolean esn = i % 7 == 6;
                final int esnHigh = random.nextInt();
                final HmacEngine engine = engines[i % 3 == 2 ? random.nextInt(3) : 0];
                final int offset = 3 + random.nextInt(40);
                packets[i] = new byte[offset + authLength + 12 + 5];
                random.nextBytes(packets[i]);
                expected[i] = packets[i].clone();
                final byte[] mac = scalarMac(engine, expected[i], offset, authLength, esn, esnHigh);
                System.arraycopy(mac, 0, expected[i], offset + authLength, 12);
                assertTrue(batch.addProtect(engine, packets[i], offset, authLength, esn, esnHigh, offset + authLength, 12));
            }
            assertFalse(batch.hasRoom());
            assertEquals(count, batch.pending());
            batch.compute();
            assertEquals(0, batch.pending());
            for (int i = 0; i < count; i++)
            {
                assertArrayEquals(expected[i], packets[i], "packet " + i + " with " + batch.lanes() + " lanes");
            }
            batch.clear();
            assertTrue(batch.hasRoom());
        }
    }

    @Test
    void shouldHandOutAVerifiedMacOnceForTheSameArrayOffsetsAndKeyOnly()
    {
        for (final IcvBatch batch : batches())
        {
            final HmacEngine engine = engine(20);
            final HmacEngine other = engine(20);
            final byte[][] packets = new byte[16][];
            for (int i = 0; i < packets.length; i++)
            {
                packets[i] = new byte[1500];
                random.nextBytes(packets[i]);
                final byte[] mac = scalarMac(engine, packets[i], 10, 1400, false, 0);
                System.arraycopy(mac, 0, packets[i], 1410, 12);
                assertTrue(batch.addVerify(engine, packets[i], 10, 1400, 12));
            }
            packets[3][1411] ^= 1; // a corrupted ICV
            batch.compute();

            assertEquals(-1, batch.take(other, packets[0], 10, 1400), "another SA's key");
            assertEquals(-1, batch.take(engine, packets[0], 11, 1400), "another offset");
            assertEquals(-1, batch.take(engine, packets[0], 10, 1399), "another length");
            assertEquals(-1, batch.take(engine, new byte[1500], 10, 1400), "another array");
            final int first = batch.take(engine, packets[0], 10, 1400);
            assertTrue(first >= 0);
            assertTrue(batch.matches(first, packets[0], 1410, 12));
            assertEquals(-1, batch.take(engine, packets[0], 10, 1400), "once only");
            final int corrupted = batch.take(engine, packets[3], 10, 1400);
            assertFalse(batch.matches(corrupted, packets[3], 1410, 12));
            final int intact = batch.take(engine, packets[4], 10, 1400);
            assertTrue(batch.matches(intact, packets[4], 1410, 12));
            final int shorter = batch.take(engine, packets[6], 10, 1400);
            assertFalse(batch.matches(shorter, packets[6], 1410, 11), "another ICV length");

            batch.clear();
            assertEquals(-1, batch.take(engine, packets[5], 10, 1400), "forgotten by clear()");
        }
    }

    @Test
    void shouldRefuseOtherHashesAndAFullBatch()
    {
        final IcvBatch batch = IcvBatch.create(1);
        assertNotNull(batch);
        final HmacEngine md5 = new HmacEngine(IntegrityAlgorithm.HMAC_MD5_96, new byte[16]);
        assertFalse(batch.addProtect(md5, new byte[100], 0, 80, false, 0, 80, 12));
        assertEquals(0, batch.pending());
        final HmacEngine sha1 = engine(20);
        for (int i = 0; i < IcvBatch.CAPACITY; i++)
        {
            assertTrue(batch.addVerify(sha1, new byte[100], 0, 80, 12));
        }
        assertFalse(batch.addVerify(sha1, new byte[100], 0, 80, 12));
    }

    private IcvBatch[] batches()
    {
        final IcvBatch vector = IcvBatch.create(1, 1);
        assertNotNull(vector, "the tests run with --add-modules jdk.incubator.vector (esp-core/pom.xml)");
        return new IcvBatch[] {
            vector,
            IcvBatch.create(1), // groups below half the lanes hashed one by one
            new IcvBatch(new ReferenceSha1Lanes(3), 1),
            new IcvBatch(new ReferenceSha1Lanes(16), 9),
        };
    }

    private HmacEngine engine(final int keyLength)
    {
        final byte[] key = new byte[keyLength];
        random.nextBytes(key);
        return new HmacEngine(IntegrityAlgorithm.HMAC_SHA1_96, key);
    }

    private static byte[] scalarMac(
        final HmacEngine engine, final byte[] array, final int offset, final int length, final boolean esn, final int high)
    {
        final byte[] mac = new byte[20];
        engine.start();
        engine.update(array, offset, length);
        if (esn)
        {
            engine.updateInt(high);
        }
        engine.finish(mac, 0);
        return mac;
    }
}
