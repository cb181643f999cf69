package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;

/**
 * A counter where each writing thread can own a cell of its own, so that an increment through a
 * {@link Writer} handle needs no atomic instruction and no lock: a plain read of the owner's own
 * last value and a release store, about what a plain {@code long++} costs.
 *
 * <pre>{@code
 * PerThreadCounter requests = new PerThreadCounter();
 * try (PerThreadCounter.Writer writer = requests.writer()) {   // once per thread, kept
 *     for (int i = 0; i < 3; i++) {
 *         writer.increment();                                     // the fast path
 *     }
 * }                                                               // folds the cell in, frees it
 * requests.add(2);                                                // from any thread, no handle
 * assert requests.get() == 5;
 * }</pre>
 *
 * <h2>Writers</h2>
 * {@link #writer()} gives the calling thread a handle on a new cell. Only that thread may use it:
 * from any other thread, or once closed, it throws {@link IllegalStateException}. Closing the
 * handle folds what its cell holds into the counter and frees the cell. A handle that is never
 * closed is folded in the same way once its thread has ended (the next {@link #writer()} that
 * finds the cells doubled since the last such sweep or close, and every {@link #getAndReset()},
 * fold the cells of ended threads, with no garbage collection needed), or once the collector
 * finds the handle unreachable. Until then its cell stays in the sum, so nothing is lost. Opening
 * and closing a handle cost the same at any number of cells (amortized); there is one cell per
 * open handle, and per unclosed handle not yet folded, with no bound.
 *
 * <p>The {@link Counter} methods work from any thread without a handle. They do not give the
 * thread a cell: they add to a small set of shared stripes, exactly as {@link StripedCounter}
 * does, with one atomic add and no {@code ThreadLocal}. So a million short-lived (virtual) threads
 * that each add once leave nothing behind, and a counter that nobody references can be collected
 * while the threads that wrote it live on. Keep a handle where one thread writes very often.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Thread safety: thread-safe, with each handle confined to the thread that created it.</li>
 *   <li>{@code Writer.add}: wait-free, no atomic instruction, no lock. Its store is a release
 *       store, not a fence, so it reaches other threads a moment after {@code add} returns (once
 *       it leaves the writer's store buffer): a {@code get()} that starts just after may still
 *       miss it, which cannot happen with the other thread-safe counters (jcstress scenario
 *       {@code Visibility} shows both of two threads missing each other's add). Order is kept:
 *       a reader that sees an add also sees everything that happened before it.</li>
 *   <li>{@link #add(long)} and the other {@code Counter} methods: one atomic add on a stripe,
 *       wait-free on x86-64, visible to every {@code get()} that starts after it returns.</li>
 *   <li>{@code get()}: not an atomic snapshot; the lower bound of {@link StripedCounter}, with
 *       each handle's add counted from the moment its store is visible: never less than the value
 *       the counter held at some instant during the call. So a counter whose every decrement
 *       follows its increment never reads below zero, as long as no drain has split an increment
 *       from its decrement (below). Non-blocking, unless a handle is opened or closed or a drain
 *       runs at the same time; its cost grows with the number of open handles.</li>
 *   <li>{@code getAndReset()}: exactly-once, without help from the writers; blocking, one drain
 *       at a time. Not a snapshot: a drain that overlaps mixed-sign adds can take an increment
 *       without its decrement (it reads every cell's subtracted sum, then every added sum) or,
 *       from the stripes, a decrement without its increment, and leave the other half in the
 *       counter, which may then read below zero. Every add is still counted exactly once
 *       (jcstress scenario {@code DrainSplit}).</li>
 * </ul>
 *
 * <p>A handle brought back to life by a finalizer after the collector cleared it: adds through
 * it throw {@link IllegalStateException} once the adding thread sees that its cell was folded,
 * but that check is not ordered with the fold, so an add that races the fold, or comes before the
 * fold is visible, may be lost. Do not resurrect handles.
 */
public final class PerThreadCounter extends StripedCells implements Counter {

    /*
     * Implementation overview.
     *
     * The value is baseAdded - baseSubtracted, plus every live cell's added - subtracted, plus the
     * stripes' (StripedCells). The bases hold what folded cells left behind, less what drains
     * took from the live cells: a drain cannot zero a cell it does not own, so it moves the bases
     * by minus what it read. Keeping this in the counter rather than a drained mark per cell saves
     * get() a load per cell.
     *
     * Live cells sit in `cells[0 .. live)`, each knowing its index, so a fold is a swap with the
     * last live cell: O(1), and it reads the cell's sums before it changes anything and allocates
     * nothing after. writer() allocates the handle, its cell and any doubled array before it adds
     * the cell; what it may do first (fold ended threads' cells, halve the array: allocated
     * first, then swapped in) changes no count. A drain reads every cell before it takes the
     * stripes, whose VarHandle call sites Stripe links when it is initialized. Waiting for the
     * lock may allocate on JDK 17 (StampedLock's queue nodes), before anything changes. So an
     * OutOfMemoryError leaves the count as it was, or as it would be after the call.
     *
     * Every change to the array, `live` and the bases happens under the write lock. get() reads
     * them optimistically and validates the stamp; a read that overlapped a change (it may have
     * seen a cell twice, a null, or a base and the cell folded into it) is thrown away and redone
     * under the read lock. A drain of the stripes also runs under the write lock, so get() never
     * mixes stripes drained and not.
     *
     * Cells leave the array three ways: the owner's close(); a sweep, run by writer() when the
     * live count reaches twice what it was after the last sweep or fold, and by every drain,
     * that folds the cells whose owner thread has ended (Thread.isAlive() false: the thread's last action
     * happens-before that, JLS 17.4.4, so its last store is read); and the reference queue, for
     * handles the collector found unreachable. A cell's index of NOT_LIVE marks it folded, so the
     * second of two routes does nothing.
     *
     * Writer.add ends with Reference.reachabilityFence(this). Without it JLS 12.6.1 lets the
     * handle become unreachable once add has loaded its cell, before the store, and a drain could
     * fold the cell before the store lands (a lost add). With it, the handle is strongly reachable
     * until after the store: the collector can find it unreachable, clear the cell and queue it
     * for a fold only after that. That the store is then visible to the folding thread is what
     * the java.lang.ref memory-consistency rules, written down from JDK 23 on, promise; JDK 17's
     * specification leaves it to the implementation, and HotSpot's collectors (which clear and
     * queue references under their own synchronization) give it. The fence compiles to nothing.
     */

    private static final PerThreadCell[] NO_CELLS = new PerThreadCell[0];

    /** The array's smallest length, and the live count below which writer() does not sweep. */
    private static final int MIN_CAPACITY = 8;

    private final StampedLock lock = new StampedLock();

    /** Cells whose handles the collector found unreachable; folded under the write lock. */
    private final ReferenceQueue<Writer> dropped = new ReferenceQueue<>();

    // Guarded by the write lock; read optimistically by get().
    private PerThreadCell[] cells = NO_CELLS;
    private int live;
    private long baseAdded;
    private long baseSubtracted;

    /**
     * Guarded by the write lock: writer() sweeps when {@code live} reaches this, twice the live
     * count after the last sweep or fold. A sweep costs O(live) and follows at least live/2 opens,
     * so opening stays O(1) amortized; and between drains the cells, ended threads' included,
     * never number more than twice what they did after the last sweep or fold.
     */
    private int sweepAt = MIN_CAPACITY;

    /** Creates a counter at zero, with no cells. */
    public PerThreadCounter() {
        super(stripesForProcessors());
    }

    /**
     * Gives the calling thread a handle on a new cell of its own. Keep it for as long as the
     * thread writes, and close it when done. Thread-safe; blocking (a short write lock), O(1)
     * amortized.
     *
     * @return a handle that only the calling thread may use
     */
    public Writer writer() {
        Writer handle = new Writer(this, Thread.currentThread());
        long stamp = lock.writeLock();
        try {
            foldDropped();
            if (live >= sweepAt) {
                sweepEnded();
                shrink();
                sweepAt = Math.max(MIN_CAPACITY, 2 * live);
            }
            PerThreadCell[] current = cells;
            if (live == current.length) {
                // Allocated before anything changes; the copy holds the same cells.
                current = Arrays.copyOf(current, Math.max(MIN_CAPACITY, 2 * live));
                cells = current;
            }
            PerThreadCell cell = handle.cell;
            cell.index = live;
            current[live++] = cell;
        } finally {
            lock.unlockWrite(stamp);
        }
        return handle;
    }

    /**
     * {@inheritDoc} Thread-safe; one atomic add on a shared stripe, as {@link StripedCounter}
     * does, wait-free on x86-64. No handle is created.
     */
    @Override
    public void add(long delta) {
        addStriped(delta);
    }

    /**
     * {@inheritDoc} Thread-safe; not an atomic snapshot but never less than a value held during
     * the call (see the class comment). Non-blocking unless a handle is opened or closed, or a
     * drain runs, at the same time.
     */
    @Override
    public long get() {
        long stamp = lock.tryOptimisticRead();
        long value = read();
        if (!lock.validate(stamp)) {
            stamp = lock.readLock();
            try {
                value = read();
            } finally {
                lock.unlockRead(stamp);
            }
        }
        return value;
    }

    /**
     * Every subtracted sum first, then every added sum: see the lower bound in the class comment.
     * Tolerates the torn state an optimistic read may see; such a result is discarded.
     */
    private long read() {
        PerThreadCell[] snapshot = cells;
        int n = Math.min(live, snapshot.length);
        long minus = baseSubtracted + stripedSubtracted();
        for (int i = 0; i < n; i++) {
            PerThreadCell cell = snapshot[i];
            if (cell != null) {
                minus += cell.subtracted();
            }
        }
        long plus = baseAdded + stripedAdded();
        for (int i = 0; i < n; i++) {
            PerThreadCell cell = snapshot[i];
            if (cell != null) {
                plus += cell.added();
            }
        }
        return plus - minus;
    }

    /** {@inheritDoc} Thread-safe and exactly-once; blocking, one drain at a time. */
    @Override
    public long getAndReset() {
        long stamp = lock.writeLock();
        try {
            foldDropped();
            sweepEnded();
            shrink();
            // Takes what the cells hold as read now; an add stored after its cell is read stays
            // for the next drain, because the bases move by exactly the sums read.
            long subtracted = 0L;
            for (int i = 0; i < live; i++) {
                subtracted += cells[i].subtracted();
            }
            long added = 0L;
            for (int i = 0; i < live; i++) {
                added += cells[i].added();
            }
            long taken = (baseAdded + added) - (baseSubtracted + subtracted);
            // Commits: the stripes' swaps (their call sites linked when Stripe was initialized)
            // and the bases allocate nothing, so nothing below throws once a stripe is taken.
            taken += drainStripes();
            baseAdded = -added;
            baseSubtracted = -subtracted;
            return taken;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Folds a closed handle's cell; the value does not change. */
    void retire(PerThreadCell cell) {
        long stamp = lock.writeLock();
        try {
            fold(cell);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Under the write lock: folds the cells of every handle the collector has queued. */
    private void foldDropped() {
        for (Reference<? extends Writer> queued; (queued = dropped.poll()) != null; ) {
            fold((PerThreadCell) queued);
        }
    }

    /** Under the write lock: folds the cells of ended owner threads and of handles gone. */
    private void sweepEnded() {
        // From the end, so the cell that a fold moves into slot i has been looked at already.
        for (int i = live - 1; i >= 0; i--) {
            PerThreadCell cell = cells[i];
            Writer handle = cell.get();
            if (handle == null || !handle.owner.isAlive()) {
                fold(cell);
            }
        }
    }

    /**
     * Under the write lock: moves what a cell holds into the bases and frees the cell, the value
     * unchanged. The cell's owner no longer writes it: its handle is closed or unreachable, or its
     * thread has ended. Does nothing for a cell that is not live.
     */
    private void fold(PerThreadCell cell) {
        int index = cell.index;
        if (index == PerThreadCell.NOT_LIVE) {
            return;
        }
        long added = cell.added();
        long subtracted = cell.subtracted();
        // Commits: nothing below allocates or throws, so a fold cannot stop halfway.
        PerThreadCell[] current = cells;
        int last = live - 1;
        baseAdded += added;
        baseSubtracted += subtracted;
        PerThreadCell moved = current[last];
        current[index] = moved;
        moved.index = index;
        current[last] = null;
        cell.index = PerThreadCell.NOT_LIVE;
        live = last;
        // Sweep again once the live cells have doubled from here, not from an old peak.
        sweepAt = Math.min(sweepAt, Math.max(MIN_CAPACITY, 2 * last));
    }

    /**
     * Under the write lock: halves the array while it is at most a quarter full, so that it
     * follows the open handles down again. Allocates the smaller array before it changes anything.
     */
    private void shrink() {
        PerThreadCell[] current = cells;
        int length = current.length;
        while (length > MIN_CAPACITY && live <= length / 4) {
            length /= 2;
        }
        if (length != current.length) {
            cells = Arrays.copyOf(current, length);
        }
    }

    /** The number of live cells, one per open handle; for tests. */
    int cellCount() {
        return live;
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(get());
    }

    /**
     * A handle on one cell of a {@link PerThreadCounter}, for the thread that created it.
     *
     * <pre>{@code
     * PerThreadCounter hits = new PerThreadCounter();
     * try (PerThreadCounter.Writer writer = hits.writer()) {
     *     writer.add(10);
     *     writer.decrement();
     * }
     * assert hits.get() == 9;
     * }</pre>
     *
     * <p>Not thread-safe by design: it belongs to one thread, and every method checks that the
     * caller is that thread. {@code add}, {@code increment} and {@code decrement} are wait-free.
     */
    public static final class Writer implements AutoCloseable {

        private final PerThreadCell cell;
        private final Thread owner;

        Writer(PerThreadCounter counter, Thread owner) {
            this.owner = owner;
            this.cell = new PerThreadCell(this, counter, counter.dropped);
        }

        /**
         * Adds {@code delta}, which may be negative or zero, wrapping on overflow like
         * {@code long}. Wait-free; a release store (see the counter's class comment).
         *
         * @param delta the amount to add
         * @throws IllegalStateException if called from another thread than the owner, or after
         *     {@link #close()}, or after the cell was folded
         */
        public void add(long delta) {
            PerThreadCell target = cell;
            // The closed check reads the cell's index, on the line the store below writes anyway.
            if (Thread.currentThread() != owner || target.index == PerThreadCell.NOT_LIVE) {
                throw misuse("add to");
            }
            if (delta >= 0) {
                target.add(delta);
            } else {
                target.subtract(-delta);
            }
            // Keeps the handle reachable until the store above is done: see the implementation
            // overview in PerThreadCounter (JLS 12.6.1). Compiles to nothing.
            Reference.reachabilityFence(this);
        }

        /**
         * Adds one.
         *
         * @throws IllegalStateException as {@link #add(long)} does
         */
        public void increment() {
            add(1L);
        }

        /**
         * Subtracts one.
         *
         * @throws IllegalStateException as {@link #add(long)} does
         */
        public void decrement() {
            add(-1L);
        }

        /**
         * Folds this handle's cell into the counter and frees the cell; nothing it added is lost.
         * Closing a closed handle does nothing. Blocking (a short write lock), O(1). It allocates
         * nothing itself (waiting for the lock may, on JDK 17); if it throws, the handle stays
         * open and the count is unchanged.
         *
         * @throws IllegalStateException if called from another thread than the owner
         */
        @Override
        public void close() {
            if (Thread.currentThread() != owner) {
                throw misuse("close");
            }
            cell.counter.retire(cell);
        }

        private IllegalStateException misuse(String action) {
            Thread caller = Thread.currentThread();
            if (caller != owner) {
                return new IllegalStateException("cannot " + action + " a PerThreadCounter.Writer "
                        + "from thread " + describe(caller) + ": it belongs to thread "
                        + describe(owner));
            }
            return new IllegalStateException("cannot " + action + " a closed "
                    + "PerThreadCounter.Writer (thread " + describe(owner) + ")");
        }

        /** The name in quotes, or for an unnamed thread (a virtual one) its description. */
        private static String describe(Thread thread) {
            String name = thread.getName();
            return name.isEmpty() ? thread.toString() : "'" + name + "'";
        }
    }
}
