package org.esp4j.core.sa;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Epoch-based reclamation of deleted SAs (in the manner of RCU): an SA that has left the
 * {@link SecurityAssociationDatabase} keeps its keys and transforms until no packet thread can still be using it.
 * <pre>
 *   packet thread (reader)                      SAD writer (under the SAD lock)
 *   ----------------------                      -------------------------------
 *   enter(): slot = epoch       (volatile)      retire(sa): sa.state = DELETED; table.remove(sa)
 *   look up SA, check !DELETED, crypto                      sa.retireEpoch = epoch++; limbo.add(sa)
 *   check !DELETED again, send or deliver       reclaim():  min = least slot of the readers inside a call
 *   exit():  slot = QUIESCENT   (release)                   every limbo SA with retireEpoch &lt; min (or all of
 *                                                           them when no reader is inside) is reclaimed:
 *                                                           transforms destroyed, keys zeroed, counters freed
 * </pre>
 * Why it is safe: volatile accesses are totally ordered. A reader that publishes an epoch above an SA's
 * {@code retireEpoch} read the epoch after the writer advanced it, so after the SA was marked deleted and removed:
 * its lookup cannot find the SA, and an SA it was handed (a policy's cached SA, {@code protect(sa, ...)}) reads as
 * {@link SaState#DELETED} and is not used. A reader whose slot was published at or before {@code retireEpoch} may hold
 * the SA, and the SA waits in limbo until that reader leaves its call (slot {@link #QUIESCENT}) or enters a later
 * one. A reader outside a call never blocks reclamation, however long it idles, and a reader that is closed
 * ({@link #unregister}) is forgotten.
 * <p>
 * Cost on the packet path: one volatile store on entry and one release store on exit, no lock, no allocation. A
 * processor that batches ICVs stays inside one call until its batch is computed (see {@code EspProcessor}).
 * <p>
 * Reclamation runs on the SAD's writer, never on a packet thread: after every change of the SAD and from its periodic
 * {@link SecurityAssociationDatabase#poll()}. Limbo holds at most the SAs deleted while one call was in progress.
 * <p>
 * Each reader also owns an index, by which it finds its own transform of an SA
 * ({@link SecurityAssociation#transform(Reader)}): per-reader transforms go with the SA when it is reclaimed, so no key
 * copy stays reachable (a {@code ThreadLocal} would keep them until its thread dies).
 * <p>
 * Threading: {@link Reader#enter()} and {@link Reader#exit()} by the reader's own thread; everything else under the
 * lock of the owning {@link SecurityAssociationDatabase}.
 */
public final class EpochReclamation
{
    /** The slot value of a reader outside any call. */
    public static final long QUIESCENT = 0;

    private final AtomicLong epoch = new AtomicLong(1);
    private final CopyOnWriteArrayList<Reader> readers = new CopyOnWriteArrayList<>();
    private final ArrayDeque<SecurityAssociation> limbo = new ArrayDeque<>();
    private final BitSet usedIndexes = new BitSet();

    /** Keeps a reader's slot off the cache lines of other objects (other readers' slots above all). */
    abstract static class ReaderLhsPadding
    {
        byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
        byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
        byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
        byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
    }

    abstract static class ReaderSlot extends ReaderLhsPadding
    {
        /** Read and written through {@link Reader#ACTIVE_EPOCH}. */
        volatile long activeEpoch = QUIESCENT;
    }

    abstract static class ReaderRhsPadding extends ReaderSlot
    {
        byte p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111, p112, p113, p114, p115;
        byte p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127, p128, p129, p130, p131;
        byte p132, p133, p134, p135, p136, p137, p138, p139, p140, p141, p142, p143, p144, p145, p146, p147;
        byte p148, p149, p150, p151, p152, p153, p154, p155, p156, p157, p158, p159, p160, p161, p162, p163;
    }

    /**
     * A packet thread's registration: its epoch slot (padded: each packet thread writes its own twice per call) and
     * its transform index. Used by one thread.
     */
    public static final class Reader extends ReaderRhsPadding
    {
        private static final VarHandle ACTIVE_EPOCH;

        static
        {
            try
            {
                ACTIVE_EPOCH = MethodHandles.lookup().findVarHandle(ReaderSlot.class, "activeEpoch", long.class);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new ExceptionInInitializerError(ex);
            }
        }

        private final AtomicLong globalEpoch;
        private final int index;

        private Reader(final AtomicLong globalEpoch, final int index)
        {
            this.globalEpoch = globalEpoch;
            this.index = index;
        }

        /**
         * Enter a call: SAs deleted from now on wait for {@link #exit()}. A volatile store, which orders the lookups
         * after it.
         */
        public void enter()
        {
            ACTIVE_EPOCH.setVolatile(this, globalEpoch.get());
        }

        /** Leave the call: nothing the thread looked up is used any more. */
        public void exit()
        {
            ACTIVE_EPOCH.setRelease(this, QUIESCENT);
        }

        /** @return the epoch published on entry, or {@link #QUIESCENT}. */
        public long activeEpoch()
        {
            return (long)ACTIVE_EPOCH.getVolatile(this);
        }

        /** @return this reader's index into an SA's transform slots. */
        public int index()
        {
            return index;
        }
    }

    Reader register()
    {
        final int index = usedIndexes.nextClearBit(0);
        usedIndexes.set(index);
        final Reader reader = new Reader(epoch, index);
        readers.add(reader);
        return reader;
    }

    /**
     * Forget a reader; its transforms of the given SAs (live and in limbo) are destroyed and its index reused.
     *
     * @param reader the reader, no longer used by any thread.
     * @param live   the SAs in the database.
     * @return true if it was registered.
     */
    boolean unregister(final Reader reader, final Iterable<SecurityAssociation> live)
    {
        if (!readers.remove(reader))
        {
            return false;
        }
        reader.exit();
        final Consumer<SecurityAssociation> release = sa -> sa.releaseTransform(reader.index());
        live.forEach(release);
        limbo.forEach(release);
        usedIndexes.clear(reader.index());
        return true;
    }

    /**
     * Move a deleted SA (already marked deleted and out of the table) to limbo, stamped with the current epoch, and
     * advance the epoch.
     */
    void retire(final SecurityAssociation sa)
    {
        sa.retireEpoch(epoch.getAndIncrement());
        limbo.addLast(sa);
    }

    /**
     * Reclaim the SAs in limbo that no reader can still be using.
     *
     * @param onReclaimed told of each SA reclaimed, after its keys are gone.
     * @return how many were reclaimed.
     */
    int reclaim(final Consumer<SecurityAssociation> onReclaimed)
    {
        if (limbo.isEmpty())
        {
            return 0;
        }
        long oldestActive = Long.MAX_VALUE;
        for (final Reader reader : readers)
        {
            final long active = reader.activeEpoch();
            if (active != QUIESCENT && active < oldestActive)
            {
                oldestActive = active;
            }
        }
        int reclaimed = 0;
        while (!limbo.isEmpty() && limbo.peekFirst().retireEpoch() < oldestActive)
        {
            final SecurityAssociation sa = limbo.pollFirst();
            sa.reclaim();
            onReclaimed.accept(sa);
            reclaimed++;
        }
        return reclaimed;
    }

    /** @return SAs deleted and not yet reclaimed. */
    int limboSize()
    {
        return limbo.size();
    }

    /** @return registered readers. */
    int readerCount()
    {
        return readers.size();
    }
}
