/**
 * Traffic selectors (RFC 4301 §4.4.1.1): the addresses, next-layer protocol and ports an SA or a policy applies to.
 * A package of its own because both the SAD ({@code sa}) and the SPD ({@code spd}) use them, and neither depends on
 * the other through them.
 */
package org.esp4j.core.selector;
