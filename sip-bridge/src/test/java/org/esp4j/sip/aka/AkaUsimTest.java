package org.esp4j.sip.aka;

import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AkaUsimTest
{
    private static final byte[] K = Hex.decode("K", "fec86ba6eb707ed08905757b1bb44b8f");
    private static final byte[] OP = Hex.decode("OP", "dbc59adcb6f9a0ef735477b7fadf8374");
    private static final byte[] AMF = Hex.decode("AMF", "8000");

    private final AkaAuthenticationCentre hss = new AkaAuthenticationCentre(Milenage.withOp(K, OP), 1000, AMF);
    private final AkaUsim usim = new AkaUsim(Milenage.withOp(K, OP), new SqnWindow(0, 4), amf -> amf == 0x8000);

    private static byte[] rand(final int seed)
    {
        final byte[] rand = new byte[16];
        rand[0] = (byte)seed;
        rand[15] = (byte)(seed * 3);
        return rand;
    }

    @Test
    void shouldAcceptAFreshChallengeAndYieldTheVectorKeys()
    {
        final AuthenticationVector vector = hss.nextVector(rand(1));

        final AkaOutcome outcome = usim.authenticate(vector.rand(), vector.autn());

        assertEquals(AkaOutcome.Type.SUCCESS, outcome.type());
        assertEquals(1000, outcome.sqn());
        assertArrayEquals(vector.xres(), outcome.keys().res());
        assertArrayEquals(vector.ck(), outcome.keys().ck());
        assertArrayEquals(vector.ik(), outcome.keys().ik());
        assertFalse(outcome.keys().toString().contains(Hex.encode(vector.ck())));
    }

    @Test
    void shouldSignalMacFailureForAForgedAutn()
    {
        final AuthenticationVector vector = hss.nextVector(rand(2));
        final byte[] autn = vector.autn();
        autn[9] ^= 0x40;

        final AkaOutcome outcome = usim.authenticate(vector.rand(), autn);

        assertEquals(AkaOutcome.Type.MAC_FAILURE, outcome.type());
        assertNull(outcome.keys());
        assertNull(outcome.auts());
    }

    @Test
    void shouldRejectAReplayedChallengeWithAutsThatResynchronisesTheNetwork()
    {
        final AuthenticationVector vector = hss.nextVector(rand(3));
        assertEquals(AkaOutcome.Type.SUCCESS, usim.authenticate(vector.rand(), vector.autn()).type());

        final AkaOutcome replay = usim.authenticate(vector.rand(), vector.autn());

        assertEquals(AkaOutcome.Type.SYNC_FAILURE, replay.type());
        assertEquals(14, replay.auts().length);
        final AkaAuthenticationCentre lost = new AkaAuthenticationCentre(Milenage.withOp(K, OP), 3, AMF);
        assertTrue(lost.resynchronise(vector.rand(), replay.auts()));
        assertEquals(1001, lost.nextSqn());
        final AuthenticationVector fresh = lost.nextVector(rand(4));
        assertEquals(AkaOutcome.Type.SUCCESS, usim.authenticate(fresh.rand(), fresh.autn()).type());
    }

    @Test
    void shouldAcceptOutOfOrderSqnWithinTheWindowOnce()
    {
        final AuthenticationVector v1 = hss.nextVector(rand(5));
        final AuthenticationVector v2 = hss.nextVector(rand(6));

        assertEquals(AkaOutcome.Type.SUCCESS, usim.authenticate(v2.rand(), v2.autn()).type());
        assertEquals(AkaOutcome.Type.SUCCESS, usim.authenticate(v1.rand(), v1.autn()).type());
        assertEquals(AkaOutcome.Type.SYNC_FAILURE, usim.authenticate(v1.rand(), v1.autn()).type());
    }

    @Test
    void shouldRefuseATamperedAutsAtTheNetwork()
    {
        final AuthenticationVector vector = hss.nextVector(rand(7));
        usim.authenticate(vector.rand(), vector.autn());
        final byte[] auts = usim.authenticate(vector.rand(), vector.autn()).auts();
        auts[13] ^= 1;

        assertFalse(hss.resynchronise(vector.rand(), auts));
    }

    @Test
    void shouldRejectAnUnacceptableAmf()
    {
        final AkaAuthenticationCentre other = new AkaAuthenticationCentre(Milenage.withOp(K, OP), 2000, Hex.decode("AMF", "0000"));
        final AuthenticationVector vector = other.nextVector(rand(8));

        assertEquals(AkaOutcome.Type.AMF_FAILURE, usim.authenticate(vector.rand(), vector.autn()).type());
    }
}
