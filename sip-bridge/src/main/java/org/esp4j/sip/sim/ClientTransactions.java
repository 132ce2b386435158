package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.Transport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The simulators' non-INVITE client transactions (RFC 3261 §17.1.2): over UDP the request is sent again after T1,
 * then at doubling intervals capped at T2 (timer E); over TCP it is not; either way it fails after 64*T1 (timer F)
 * without a final response. Provisional responses are ignored. One owner thread.
 */
final class ClientTransactions
{
    static final long T1_MS = 500;
    static final long T2_MS = 4000;
    static final long TIMER_F_MS = 64 * T1_MS;

    /** One outstanding request. */
    static final class Pending
    {
        final String branch;
        final String method;
        final byte[] bytes;
        SimFlow flow;
        long intervalMs;
        long nextMs;
        final long deadlineMs;
        int retransmissions;

        Pending(final String branch, final String method, final byte[] bytes, final SimFlow flow, final long nowMs)
        {
            this.branch = branch;
            this.method = method;
            this.bytes = bytes;
            this.flow = flow;
            this.intervalMs = T1_MS;
            this.nextMs = nowMs + T1_MS;
            this.deadlineMs = nowMs + TIMER_F_MS;
        }
    }

    private final List<Pending> pending = new ArrayList<>(4);

    Pending start(final String branch, final String method, final byte[] bytes, final SimFlow flow, final long nowMs)
    {
        final Pending transaction = new Pending(branch, method, bytes, flow, nowMs);
        pending.add(transaction);
        return transaction;
    }

    /**
     * @param response a received response.
     * @return its transaction, removed when the response is final; null when none matches (RFC 3261 §17.1.3: top
     * Via branch and CSeq method).
     */
    Pending match(final SipMessage response)
    {
        final String branch = SipText.topBranch(response);
        for (final Iterator<Pending> it = pending.iterator(); it.hasNext(); )
        {
            final Pending transaction = it.next();
            if (transaction.branch.equals(branch) && transaction.method.equalsIgnoreCase(response.cseqMethod()))
            {
                if (response.statusCode() >= 200)
                {
                    it.remove();
                }
                return transaction;
            }
        }
        return null;
    }

    /**
     * Retransmit what is due and expire what timed out.
     *
     * @return the transactions that timed out (removed), empty when none.
     */
    List<Pending> poll(final long nowMs, final SimTransport transport) throws IOException
    {
        List<Pending> expired = List.of();
        for (final Iterator<Pending> it = pending.iterator(); it.hasNext(); )
        {
            final Pending transaction = it.next();
            if (nowMs - transaction.deadlineMs >= 0)
            {
                it.remove();
                expired = expired.isEmpty() ? new ArrayList<>(2) : expired;
                expired.add(transaction);
            }
            else if (transaction.flow.transport() == Transport.UDP && nowMs - transaction.nextMs >= 0)
            {
                transport.send(transaction.flow, transaction.bytes);
                transaction.retransmissions++;
                transaction.intervalMs = Math.min(2 * transaction.intervalMs, T2_MS);
                transaction.nextMs = nowMs + transaction.intervalMs;
            }
        }
        return expired;
    }

    /**
     * @return when {@link #poll} next has something to do (a UDP retransmission, or a transaction's Timer F), or
     * {@link Long#MAX_VALUE} when no transaction is pending.
     */
    long nextDueMs()
    {
        long dueMs = Long.MAX_VALUE;
        for (int i = 0, size = pending.size(); i < size; i++)
        {
            final Pending transaction = pending.get(i);
            dueMs = Math.min(dueMs, transaction.deadlineMs);
            if (transaction.flow.transport() == Transport.UDP)
            {
                dueMs = Math.min(dueMs, transaction.nextMs);
            }
        }
        return dueMs;
    }

    boolean isEmpty()
    {
        return pending.isEmpty();
    }
}
