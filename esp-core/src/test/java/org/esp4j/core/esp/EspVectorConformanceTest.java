package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.testutil.EspVector;
import org.esp4j.core.testutil.EspVectors;
import org.esp4j.core.testutil.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every packet of ../shared/vectors/esp (made by scapy, an independent implementation): unprotect gives the
 * expected verdict and, when accepted, the plaintext byte for byte; protect with the same SA, sequence number and IV
 * gives the ESP packet byte for byte.
 */
class EspVectorConformanceTest
{
    private static final EspVectors VECTORS = EspVectors.load();

    @TestFactory
    List<DynamicTest> shouldGiveExpectedVerdictAndPlaintextForEveryVectorInPcapOrder()
    {
        final Map<String, List<EspVector>> groups = new LinkedHashMap<>();
        for (final EspVector vector : VECTORS.vectors())
        {
            groups.computeIfAbsent(vector.replayGroup(), k -> new ArrayList<>()).add(vector);
        }
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Map.Entry<String, List<EspVector>> group : groups.entrySet())
        {
            tests.add(DynamicTest.dynamicTest(group.getKey(), () -> checkGroup(group.getValue())));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> shouldProtectToTheSameBytesAsTheReferenceImplementation()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final EspVector vector : VECTORS.vectors())
        {
            if (vector.expectAccept() && vector.padLength() != null)
            {
                tests.add(DynamicTest.dynamicTest(vector.name(), () -> checkProtect(vector)));
            }
        }
        return tests;
    }

    private static void checkGroup(final List<EspVector> group)
    {
        final EspTestSupport support = new EspTestSupport();
        final EspVector first = group.get(0);
        support.sad.add(EspTestSupport.saConfig(first, first.spi()));
        for (final EspVector vector : group)
        {
            final UnsafeBuffer buffer = EspTestSupport.packetBuffer(vector.espIp());
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
    }

    private static void checkProtect(final EspVector vector)
    {
        final EspTestSupport support = new EspTestSupport();
        final SecurityAssociation sa = support.sad.add(EspTestSupport.saConfig(vector, vector.spi()));
        sa.nextOutboundSequence(vector.sequence());
        final byte[] iv = vector.iv();
        sa.ivSource((sequence, array, offset, length) -> System.arraycopy(iv, 0, array, offset, length));

        final UnsafeBuffer buffer = EspTestSupport.packetBuffer(vector.plaintext());
        final int verdict = support.processor.protect(sa, buffer, EspTestSupport.HEADROOM, vector.plaintext().length);
        assertEquals(EspVerdict.DELIVER, verdict, vector.name() + " " + support.processor.dropReason());
        assertEquals(Hex.encode(vector.espIp()), Hex.encode(EspTestSupport.result(buffer, support.processor)),
            vector.name());
    }
}
