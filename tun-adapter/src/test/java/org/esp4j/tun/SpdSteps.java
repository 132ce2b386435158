package org.esp4j.tun;

import java.util.Random;

import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.PolicyConfig;

/** Random SPD changes for tests that compare an incremental view of the SPD with a whole recomputation. */
public final class SpdSteps
{
    private SpdSteps()
    {
    }

    /** Updates, deletes or (when absent) adds {@code config}, one of the three at random. */
    public static void randomStep(final SecurityPolicyDatabase spd, final PolicyConfig config, final Random random)
    {
        switch (random.nextInt(3))
        {
            case 0 -> spd.update(config);
            case 1 -> spd.delete(config.selector(), config.direction());
            default ->
            {
                if (spd.find(config.selector(), config.direction()) == null)
                {
                    spd.add(config);
                }
            }
        }
    }
}
