package org.esp4j.core.spd;

/**
 * What a policy does with matching traffic (RFC 4301 §4.4.1: PROTECT, BYPASS, DISCARD).
 * <p>
 * In {@code ip xfrm} terms: {@code action allow} with templates is PROTECT, {@code action allow} without templates is
 * BYPASS and {@code action block} is DISCARD.
 */
public enum PolicyAction
{
    PROTECT,
    BYPASS,
    DISCARD
}
