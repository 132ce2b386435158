package org.esp4j.core.crypto;

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

    /** One message per lane with the plain compression function: the reference for the vector kernels. */
    static final class ReferenceLanes implements HashLanes
    {
        private final int lanes;
        private final boolean sha1;
        private final int[] laneState;

        ReferenceLanes(final int lanes, final boolean sha1)
        {
            this.lanes = lanes;
            this.sha1 = sha1;
            laneState = new int[stateWords()];
        }

        public int lanes()
        {
            return lanes;
        }

        public int stateWords()
        {
            return sha1 ? Sha1Compression.STATE_WORDS : Md5Compression.STATE_WORDS;
        }

        public boolean bigEndian()
        {
            return sha1;
        }

        public void compressBlocks(final int[] state, final byte[][] sources, final int[] offsets, final int blocks)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                for (int j = 0; j < laneState.length; j++)
                {
                    laneState[j] = state[j * lanes + lane];
                }
                for (int b = 0; b < blocks; b++)
                {
                    if (sha1)
                    {
                        Sha1Compression.compress(laneState, sources[lane], offsets[lane] + 64 * b);
                    }
                    else
                    {
                        Md5Compression.compress(laneState, sources[lane], offsets[lane] + 64 * b);
                    }
                }
                for (int j = 0; j < laneState.length; j++)
                {
                    state[j * lanes + lane] = laneState[j];
                }
            }
        }
    }

    @Test
    void shouldCompressLikeTheJdkSha1AndMd5() throws Exception
    {
        for (final boolean sha1 : new boolean[] { true, false })
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
                    padded[sha1 ? padded.length - 1 - i : padded.length - 8 + i] = (byte)(bits >>> (8 * i));
                }
                final int[] state = new int[sha1 ? 5 : 4];
                if (sha1)
                {
                    Sha1Compression.initialState(state);
                }
                else
                {
                    Md5Compression.initialState(state);
                }
                for (int b = 0; b < blocks; b++)
                {
                    if (sha1)
                    {
                        Sha1Compression.compress(state, padded, b * 64);
                    }
                    else
                    {
                        Md5Compression.compress(state, padded, b * 64);
                    }
                }
                final byte[] digest = new byte[4 * state.length];
                for (int j = 0; j < state.length; j++)
                {
                    for (int k = 0; k < 4; k++)
                    {
                        digest[4 * j + k] = (byte)(sha1 ? state[j] >>> (24 - 8 * k) : state[j] >>> (8 * k));
                    }
                }
                assertArrayEquals(MessageDigest.getInstance(sha1 ? "SHA-1" : "MD5").digest(message), digest,
                    (sha1 ? "SHA-1" : "MD5") + " of length " + length);
            }
        }
    }

    @Test
    void shouldCompressEveryLaneLikeThePlainCompressionFunction()
    {
        assertNotNull(IcvBatch.create(1), "the tests run with --add-modules jdk.incubator.vector (esp-core/pom.xml)");
        for (final HashLanes vector : new HashLanes[] { new VectorSha1Lanes(), new VectorMd5Lanes() })
        {
            final int lanes = vector.lanes();
            final HashLanes reference = new ReferenceLanes(lanes, vector.bigEndian());
            final String name = vector.getClass().getSimpleName();
            for (int round = 0; round < 20; round++)
            {
                final int[] state = new int[vector.stateWords() * lanes];
                for (int i = 0; i < state.length; i++)
                {
                    state[i] = random.nextInt();
                }
                final int blocks = 1 + random.nextInt(3);
                final byte[][] sources = new byte[lanes][];
                final int[] offsets = new int[lanes];
                for (int lane = 0; lane < lanes; lane++)
                {
                    offsets[lane] = random.nextInt(9);
                    sources[lane] = new byte[offsets[lane] + 64 * blocks + random.nextInt(5)];
                    random.nextBytes(sources[lane]);
                }
                final int[] expected = state.clone();
                reference.compressBlocks(expected, sources, offsets, blocks);
                vector.compressBlocks(state, sources, offsets, blocks);
                assertArrayEquals(expected, state, name + " round " + round);
            }
        }
    }

    @Test
    void shouldWriteTheSameIcvsAsOnePacketAtATimeForMixedLengthsKeysAndEsn()
    {
        for (final IcvBatch batch : batches())
        {
            final HmacEngine[] engines = { engine(20), engine(20), engine(80), md5Engine(16), md5Engine(16) };
            final int count = IcvBatch.CAPACITY;
            final byte[][] packets = new byte[count][];
            final byte[][] expected = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                // many of one length (a super-packet's segments), some of others, a few with ESN
                final int authLength = i % 5 == 4 ? 1 + random.nextInt(200) : 1428;
                final boolean esn = i % 7 == 6;
                final int esnHigh = random.nextInt();
                // most on one SA, the others on any of two SHA-1 and two MD5 SAs
                final HmacEngine engine = engines[i % 3 == 2 ? random.nextInt(engines.length) : i % 2 == 0 ? 0 : 3];
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
        final HmacEngine sha256 = new HmacEngine(IntegrityAlgorithm.HMAC_SHA256_128, new byte[32]);
        assertFalse(batch.addProtect(sha256, new byte[100], 0, 80, false, 0, 80, 16));
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
            new IcvBatch(new ReferenceLanes(3, true), new ReferenceLanes(3, false), 1),
            new IcvBatch(new ReferenceLanes(16, true), new ReferenceLanes(16, false), 9),
        };
    }

    private HmacEngine md5Engine(final int keyLength)
    {
        final byte[] key = new byte[keyLength];
        random.nextBytes(key);
        return new HmacEngine(IntegrityAlgorithm.HMAC_MD5_96, key);
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
