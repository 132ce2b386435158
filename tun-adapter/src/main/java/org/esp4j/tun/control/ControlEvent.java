package org.esp4j.tun.control;

import org.esp4j.tun.daemon.DaemonConductor;
import org.esp4j.core.sa.SaEventType;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.SecurityPolicy;

/**
 * One SA event or acquire, as queued by {@link ControlEvents}: immutable, so it can cross from a packet thread to the
 * control thread without copying. It refers to the SA itself, not its keys: {@link MonitorFormatter} prints the SA's
 * config with keys hidden, which stays valid after the SA is deleted (deletion zeroes only the keys).
 *
 * @param type     the SA event, or null for an acquire.
 * @param sa       the SA of an SA event, null for an acquire.
 * @param policy   the protect policy that found no SA (acquire), null for an SA event.
 * @param srcHigh  acquire: source address high bits.
 * @param srcLow   acquire: source address low bits.
 * @param dstHigh  acquire: destination address high bits.
 * @param dstLow   acquire: destination address low bits.
 * @param protocol acquire: next-layer protocol.
 * @param srcPort  acquire: source port.
 * @param dstPort  acquire: destination port.
 * @param policyChange a policy event (with {@code policy} the policy), null otherwise.
 */
public record ControlEvent(
    SaEventType type,
    SecurityAssociation sa,
    SecurityPolicy policy,
    long srcHigh,
    long srcLow,
    long dstHigh,
    long dstLow,
    int protocol,
    int srcPort,
    int dstPort,
    DaemonConductor.PolicyEventType policyChange)
{
    /** @return true for an acquire, false for an SA or policy event. */
    public boolean isAcquire()
    {
        return type == null && policyChange == null;
    }

    /** @return true for a policy event (added, updated, deleted). */
    public boolean isPolicyEvent()
    {
        return policyChange != null;
    }
}
