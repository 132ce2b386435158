package org.esp4j.core.spd;

import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.sa.SecurityAssociation;

/**
 * A policy in the SPD: its config, its index and, for PROTECT policies, the SA it last resolved to (so the packet
 * path does not search the SAD for every packet).
 */
public final class SecurityPolicy
{
    private final PolicyConfig config;
    private final int index;
    private final long sequence;
    private final TrafficSelector selector;
    private final TemplateConfig template;
    private volatile SecurityAssociation cachedSa;

    SecurityPolicy(final PolicyConfig config, final int index, final long sequence)
    {
        this.config = config;
        this.index = index;
        this.sequence = sequence;
        selector = config.selector();
        template = config.templates().isEmpty() ? null : config.templates().get(0);
    }

    public PolicyConfig config()
    {
        return config;
    }

    public int index()
    {
        return index;
    }

    public PolicyAction action()
    {
        return config.action();
    }

    public PolicyDirection direction()
    {
        return config.direction();
    }

    public int priority()
    {
        return config.priority();
    }

    public TrafficSelector selector()
    {
        return selector;
    }

    /** @return the first template, or null for bypass and discard policies. */
    public TemplateConfig template()
    {
        return template;
    }

    /** Insertion order, breaking ties between equal priorities (first added wins, as in Linux). */
    long sequence()
    {
        return sequence;
    }

    SecurityAssociation cachedSa()
    {
        return cachedSa;
    }

    void cachedSa(final SecurityAssociation sa)
    {
        cachedSa = sa;
    }

    /**
     * Does this policy's template accept an SA? Fields the template leaves out match anything.
     *
     * @param sa the SA.
     * @return true if it matches.
     */
    public boolean templateMatches(final SecurityAssociation sa)
    {
        if (template == null)
        {
            return false;
        }
        return (template.spi() == TemplateConfig.ANY_SPI || template.spi() == sa.spi()) &&
            (template.reqid() == 0 || template.reqid() == sa.config().reqid()) &&
            (template.destination() == null || template.destination().equals(sa.config().destination())) &&
            (template.source() == null || template.source().equals(sa.config().source()));
    }

    public String toString()
    {
        return config + " index " + index;
    }
}
