package org.esp4j.core.spd;

import org.esp4j.core.selector.TrafficSelector;
import java.util.List;

/**
 * A security policy, as {@code ip xfrm policy add SELECTOR dir DIR [priority P] [action allow|block] [tmpl ...]}.
 *
 * @param selector  the traffic it applies to.
 * @param direction in, out or fwd.
 * @param action    protect, bypass or discard.
 * @param priority  lower wins, as in Linux (default 0).
 * @param index     user-visible id (0 to let the SPD assign one).
 * @param templates the SAs a PROTECT policy requires (one for transport-mode ESP), empty otherwise.
 */
public record PolicyConfig(
    TrafficSelector selector,
    PolicyDirection direction,
    PolicyAction action,
    int priority,
    int index,
    List<TemplateConfig> templates)
{
    public PolicyConfig
    {
        if (selector == null || direction == null || action == null)
        {
            throw new IllegalArgumentException("policy needs a selector, a dir and an action");
        }
        templates = templates == null ? List.of() : List.copyOf(templates);
        if (action == PolicyAction.PROTECT && templates.isEmpty())
        {
            throw new IllegalArgumentException("a protect policy needs a tmpl");
        }
        if (action != PolicyAction.PROTECT && !templates.isEmpty())
        {
            throw new IllegalArgumentException("only action allow takes a tmpl");
        }
    }

    /** @return the policy in {@code ip xfrm policy} form. */
    public String toString()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(selector).append(" dir ").append(direction.xfrmName()).append(" priority ")
            .append(Integer.toUnsignedString(priority))
            .append(action == PolicyAction.DISCARD ? " action block" : " action allow");
        for (final TemplateConfig template : templates)
        {
            sb.append(' ').append(template);
        }
        return sb.toString();
    }
}
