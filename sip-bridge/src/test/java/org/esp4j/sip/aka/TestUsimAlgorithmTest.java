package org.esp4j.sip.aka;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * TS 34.108 §8.1.2 test algorithm, with the example values in {@code vectors/milenage-ts35208.md} (set 1 inputs).
 */
class TestUsimAlgorithmTest
{
    private static final byte[] K = Hex.decode("K", "465b5ce8b199b49faa5f0a2ee238a6bc");
    private static final byte[] RAND = Hex.decode("RAND", "23553cbe9637a89d218ae64dae47bf35");
    private static final byte[] SQN = Hex.decode("SQN", "ff9bb4d0b607");
    private static final byte[] AMF = Hex.decode("AMF", "b9b9");

    private final TestUsimAlgorithm algorithm = new TestUsimAlgorithm(K);

    @Test
    void shouldDeriveResCkIkAkFromXdout()
    {
        final AkaKeys keys = algorithm.f2345(RAND);

        assertEquals("650e605627ae1c028bd5ec634c7f1989", Hex.encode(keys.res()));
        assertEquals("0e605627ae1c028bd5ec634c7f198965", Hex.encode(keys.ck()));
        assertEquals("605627ae1c028bd5ec634c7f1989650e", Hex.encode(keys.ik()));
        assertEquals("5627ae1c028b", Hex.encode(keys.ak()));
    }

    @Test
    void shouldComputeMacFromXdoutAndSqnAmf()
    {
        assertEquals("9a95d48691a9a5bb", Hex.encode(algorithm.f1(RAND, SQN, AMF)));
    }

    @Test
    void shouldAuthenticateAndResynchroniseLikeAConformanceTestSim()
    {
        final AkaAuthenticationCentre ss = new AkaAuthenticationCentre(algorithm, 40, Hex.decode("AMF", "8000"));
        final AkaUsim usim = AkaUsim.of(new TestUsimAlgorithm(K));

        assertEquals(AkaOutcome.Type.SUCCESS, usim.authenticate(RAND, ss.nextVector(RAND).autn()).type());
        final AkaAuthenticationCentre stale = new AkaAuthenticationCentre(algorithm, 1, Hex.decode("AMF", "8000"));
        final AkaOutcome outcome = usim.authenticate(RAND, stale.nextVector(RAND).autn());

        assertEquals(AkaOutcome.Type.SYNC_FAILURE, outcome.type());
        assertEquals(true, stale.resynchronise(RAND, outcome.auts()));
        assertEquals(41, stale.nextSqn());
    }
}
