package org.esp4j.core.xfrm;

import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.spd.PolicyConfig;

import java.util.List;

/**
 * What a preload file holds: SAs and policies, each in file order.
 *
 * @param states   from {@code state add} lines.
 * @param policies from {@code policy add} lines.
 */
public record XfrmPreload(List<SaConfig> states, List<PolicyConfig> policies)
{
    public XfrmPreload
    {
        states = List.copyOf(states);
        policies = List.copyOf(policies);
    }
}
