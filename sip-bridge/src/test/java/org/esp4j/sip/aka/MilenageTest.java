package org.esp4j.sip.aka;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Milenage against TS 35.208 §4.3 test sets 1 to 3, read from the table in {@code vectors/milenage-ts35208.md}.
 */
class MilenageTest
{
    /** Row name of the table to test set number to hex value. */
    static Map<String, String[]> testSets() throws Exception
    {
        final Map<String, String[]> rows = new HashMap<>();
        try (InputStream in = MilenageTest.class.getResourceAsStream("/vectors/milenage-ts35208.md"))
        {
            for (final String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
            {
                final String[] cells = line.split("\\|");
                if (cells.length == 5 && cells[2].trim().matches("[0-9a-f]+"))
                {
                    rows.put(cells[1].trim(), new String[]{ cells[2].trim(), cells[3].trim(), cells[4].trim() });
                }
            }
        }
        return rows;
    }

    private static byte[] value(final Map<String, String[]> sets, final String row, final int set)
    {
        return Hex.decode(row, sets.get(row)[set - 1]);
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2, 3 })
    void shouldMatchTs35208TestSetFromOp(final int set) throws Exception
    {
        final Map<String, String[]> sets = testSets();
        final Milenage milenage = Milenage.withOp(value(sets, "K", set), value(sets, "OP", set));

        assertAllFunctions(sets, set, milenage);
        assertArrayEquals(value(sets, "OPc", set), milenage.opc());
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2, 3 })
    void shouldMatchTs35208TestSetFromOpc(final int set) throws Exception
    {
        final Map<String, String[]> sets = testSets();
        assertAllFunctions(sets, set, Milenage.withOpc(value(sets, "K", set), value(sets, "OPc", set)));
    }

    @org.junit.jupiter.api.Test
    void shouldKeepEachKeyWhenInstancesTakeTurnsOnOneThreadAndRunOnOthers() throws Exception
    {
        final Map<String, String[]> sets = testSets();
        final Milenage[] byKey = new Milenage[3];
        for (int set = 1; set <= 3; set++)
        {
            byKey[set - 1] = Milenage.withOp(value(sets, "K", set), value(sets, "OP", set));
        }
        for (int turn = 0; turn < 2; turn++)
        {
            for (int set = 1; set <= 3; set++)
            {
                assertAllFunctions(sets, set, byKey[set - 1]);
            }
        }
        final java.util.concurrent.ExecutorService others = java.util.concurrent.Executors.newFixedThreadPool(2);
        try
        {
            final java.util.List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                final int set = 1 + i % 3;
                runs.add(others.submit(() ->
                {
                    assertAllFunctions(sets, set, byKey[set - 1]);
                    return null;
                }));
            }
            for (final java.util.concurrent.Future<?> run : runs)
            {
                run.get();
            }
        }
        finally
        {
            others.shutdownNow();
        }
    }

    private static void assertAllFunctions(final Map<String, String[]> sets, final int set, final AkaAlgorithm milenage)
    {
        final byte[] rand = value(sets, "RAND", set);
        final byte[] sqn = value(sets, "SQN", set);
        final byte[] amf = value(sets, "AMF", set);

        assertEquals(Hex.encode(value(sets, "f1 (MAC-A)", set)), Hex.encode(milenage.f1(rand, sqn, amf)));
        assertEquals(Hex.encode(value(sets, "f1* (MAC-S)", set)), Hex.encode(milenage.f1Star(rand, sqn, amf)));
        assertEquals(Hex.encode(value(sets, "f2 (RES)", set)), Hex.encode(milenage.f2(rand)));
        assertEquals(Hex.encode(value(sets, "f3 (CK)", set)), Hex.encode(milenage.f3(rand)));
        assertEquals(Hex.encode(value(sets, "f4 (IK)", set)), Hex.encode(milenage.f4(rand)));
        assertEquals(Hex.encode(value(sets, "f5 (AK)", set)), Hex.encode(milenage.f5(rand)));
        assertEquals(Hex.encode(value(sets, "f5*", set)), Hex.encode(milenage.f5Star(rand)));
    }
}
