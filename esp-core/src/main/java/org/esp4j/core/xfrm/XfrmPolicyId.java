package org.esp4j.core.xfrm;

import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.selector.TrafficSelector;

/**
 * The ID of {@code ip xfrm policy delete|get}: {@code SELECTOR dir DIR} or {@code index INDEX dir DIR}.
 *
 * @param selector  the policy's selector, or null when the policy is named by index.
 * @param direction in, out or fwd.
 * @param index     the policy's index (unsigned 32-bit in an int), or 0 when named by selector.
 */
public record XfrmPolicyId(TrafficSelector selector, PolicyDirection direction, int index)
{
    /** @return true when the policy is named by {@code index}. */
    public boolean byIndex()
    {
        return selector == null;
    }
}
