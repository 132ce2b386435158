package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.testutil.EspVector;
import org.esp4j.core.testutil.EspVectors;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Every packet of ../shared/vectors/esp (made by scapy, an independent implementation): unprotect gives the
 * expected verdict and, when accepted, the plaintext byte for byte; protect with the same SA, sequence number and IV
 * gives the ESP packet byte for byte. Both also with the ICVs computed together in an {@link IcvBatch} (without a
 * batch, {@code prepareInbound} and {@code completeIcvs} do nothing).
 */
class EspVectorConformanceTest
{
    private static final EspVectors VECTORS = EspVectors.load();

    @TestFactory
    List<DynamicTest> shouldGiveExpectedVerdictAndPlaintextForEveryVectorInPcapOrder()
    {
        return groupTests(false);
    }

    @TestFactory
    List<DynamicTest> shouldProtectToTheSameBytesAsTheReferenceImplementation()
    {
        return protectTests(false);
    }

    /** The whole group announced, its MACs computed in vector lanes at once (groups of one too), then handled. */
    @TestFactory
    List<DynamicTest> shouldGiveTheSameVerdictsWithIcvsComputedInBatches()
    {
        return groupTests(true);
    }

    @TestFactory
    List<DynamicTest> shouldProtectToTheSameBytesWithIcvsComputedInBatches()
    {
        return protectTests(true);
    }

    private static List<DynamicTest> groupTests(final boolean batched)
    {
        final Map<String, List<EspVector>> groups = new LinkedHashMap<>();
        for (final EspVector vector : VECTORS.vectors())
        {
            groups.computeIfAbsent(vector.replayGroup(), k -> new ArrayList<>()).add(vector);
        }
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Map.Entry<String, List<EspVector>> group : groups.entrySet())
        {
            tests.add(DynamicTest.dynamicTest(group.getKey(), () -> checkGroup(group.getValue(), batched)));
        }
        return tests;
    }

    private static List<DynamicTest> protectTests(final boolean batched)
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final EspVector vector : VECTORS.vectors())
        {
            if (vector.expectAccept() && vector.padLength() != null)
            {
                tests.add(DynamicTest.dynamicTest(vector.name(), () -> checkProtect(vector, batched)));
            }
        }
        return tests;
    }

    private static EspTestSupport support(final boolean batched)
    {
        final EspTestSupport support = new EspTestSupport();
        if (batched)
        {
            support.processor.icvBatch(IcvBatch.create(1, 1));
            assertNotNull(support.processor.icvBatch(), "tests run with --add-modules jdk.incubator.vector");
        }
        return support;
    }

    private static void checkGroup(final List<EspVector> group, final boolean batched)
    {
        final EspTestSupport support = support(batched);
        final EspVector first = group.get(0);
        support.sad.add(EspTestSupport.saConfig(first, first.spi()));
        final List<UnsafeBuffer> buffers = new ArrayList<>();
        for (final EspVector vector : group)
        {
            final UnsafeBuffer buffer = EspTestSupport.packetBuffer(vector.espIp());
            buffers.add(buffer);
            support.processor.prepareInbound(buffer, EspTestSupport.HEADROOM, vector.espIp().length);
        }
        support.processor.completeIcvs();
        for (int i = 0; i < group.size(); i++)
        {
            final EspVector vector = group.get(i);
            final UnsafeBuffer buffer = buffers.get(i);
            final int verdict = support.processor.inbound(buffer, EspTestSupport.HEADROOM, vector.espIp().length);
            final String expected = vector.expectAccept() ? "deliver" : "drop";
            assertEquals(expected, EspVerdict.name(verdict), vector.name() + ": " + vector.why() + " (reason " +
                support.processor.dropReason() + ")");
            if (vector.expectAccept())
            {
                assertEquals(Hex.encode(vector.plaintext()),
                    Hex.encode(EspTestSupport.result(buffer, support.processor)), vector.name());
            }
        }
        support.processor.clearPrepared();
    }

    private static void checkProtect(final EspVector vector, final boolean batched)
    {
        final EspTestSupport support = support(batched);
        final SecurityAssociation sa = support.sad.add(EspTestSupport.saConfig(vector, vector.spi()));
        sa.nextOutboundSequence(vector.sequence());
        final byte[] iv = vector.iv();
        sa.ivSource((sequence, array, offset, length) -> System.arraycopy(iv, 0, array, offset, length));

        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(vector.plaintext());
        final int verdict = support.processor.protect(sa, buffer, EspTestSupport.HEADROOM, vector.plaintext().length);
        assertEquals(EspVerdict.DELIVER, verdict, vector.name() + " " + support.processor.dropReason());
        support.processor.completeIcvs(); // no-op without a batch
        assertEquals(Hex.encode(vector.espIp()), Hex.encode(EspTestSupport.result(buffer, support.processor)),
            vector.name());
    }
}
