package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Counter} that the program drains for its own reports while Micrometer exports
 * everything ever added to it, a total that no drain lowers. Made by
 * {@link TallyMeters#counter TallyMeters.counter}, around a thread-safe counter it then owns.
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();            // or your PrometheusMeterRegistry
 * MonotoneCounter orders = TallyMeters.counter(registry, "orders", Tags.empty(), new StripedCounter());
 * orders.add(3);
 * assert orders.getAndReset() == 3;                             // the program's report
 * orders.increment();
 * assert orders.get() == 1;
 * assert registry.get("orders").functionCounter().count() == 4; // the export never fell
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>The exported series never decreases and is never negative, however drains, adds and
 *       scrapes interleave: it is the wrapped counter's own value, which drains do not touch.</li>
 *   <li>{@link #add(long)} rejects a negative amount with {@link IllegalArgumentException}
 *       naming it, and adds nothing: the exported total must never fall, so a count that goes
 *       down belongs in a {@link TallyMeters#gauge gauge}. Otherwise it is the wrapped counter's
 *       add, with its thread safety and progress, plus one comparison.</li>
 *   <li>{@link #getAndReset()}: exactly-once (each add counted in one drain or in what remains);
 *       blocking, one drain at a time.</li>
 *   <li>{@link #get()}: what the drains have not taken yet; lock-free, with the wrapped
 *       counter's promise for a read that overlaps adds.</li>
 *   <li>Past {@link Long#MAX_VALUE}: the exported total is kept modulo 2<sup>64</sup> and read as
 *       unsigned, so it goes on rising, as a double rounded like every Micrometer sample, up to
 *       2<sup>64</sup> - 1 added in all; one more and it restarts near zero, which Prometheus
 *       reads as a counter reset. {@code get()} and {@code getAndReset()} wrap like {@code long},
 *       as every {@code Counter} does.</li>
 * </ul>
 *
 * <p>These promises assume that, once it is exported, the wrapped counter is only added to, with
 * amounts of zero or more (through this object, or through handles of its own, such as a
 * {@code PerThreadCounter}'s writers), and that its {@code get()} returns a value the counter held
 * between the call's start and its end when only such amounts are added, as every thread-safe
 * counter of {@code counter-impl} does. Draining it, or subtracting from it, directly makes the
 * series fall.
 */
public final class MonotoneCounter implements Counter {

    /*
     * Implementation overview.
     *
     * The wrapped counter is never drained. It holds everything ever added (modulo 2^64), and that
     * is what the meter exports: a scrape reads nothing a drain writes, so there is no moment in a
     * drain for a scrape to see half done. A drain reads the wrapped counter and moves drainedUpTo,
     * the total that earlier drains have returned, to what it read; it returns the difference.
     * Drains run one at a time, so each reads a total at least the last one's (a read is between
     * the totals at its start and its end, and totals only rise), and each add falls in exactly
     * one difference, or after the last drain's read, in what get() returns.
     *
     * get() is total - drainedUpTo, validated like a seqlock: it reads drainedUpTo before and
     * after the total, and retries if a drain moved it in between (otherwise it could subtract an
     * old mark from a total that a drain has already taken). drainedUpTo only grows modulo 2^64,
     * so an unchanged value means no drain completed in between.
     */

    private final String name;
    private final Counter total;
    private final ReentrantLock drainLock = new ReentrantLock();
    /** What drains have returned so far, modulo 2^64; written under drainLock. */
    private volatile long drainedUpTo;

    MonotoneCounter(String name, Counter total) {
        this.name = name;
        this.total = total;
    }

    /**
     * Adds {@code delta}, which must be zero or more. Thread-safe, with the wrapped counter's
     * progress guarantee (wait-free for a {@code StripedCounter} on x86-64).
     *
     * @param delta the amount to add
     * @throws IllegalArgumentException if {@code delta} is negative; nothing is added
     */
    @Override
    public void add(long delta) {
        if (delta < 0L) {
            throw new IllegalArgumentException("counter '" + name + "' is exported as a total that"
                    + " must never fall: add(" + delta + ") refused, nothing added (export a count"
                    + " that goes down with TallyMeters.gauge)");
        }
        total.add(delta);
    }

    /**
     * Refused: the exported total must never fall; export a count that goes down with
     * {@link TallyMeters#gauge}.
     *
     * @throws IllegalArgumentException always; nothing is added
     */
    @Override
    public void decrement() {
        add(-1L);
    }

    /**
     * Returns what the drains have not taken yet. Thread-safe and lock-free: it reads again only
     * when a drain completed during the read. Like the wrapped counter's {@code get()} while adds
     * overlap it: not a snapshot for a striped counter, but never below the value at its start.
     *
     * @return the amount the next {@link #getAndReset()} would take if nothing were added
     */
    @Override
    public long get() {
        while (true) {
            long before = drainedUpTo;
            long now = total.get();
            // The total's loads must complete before drainedUpTo is read again (as in a seqlock).
            VarHandle.acquireFence();
            if (drainedUpTo == before) {
                return now - before;
            }
        }
    }

    /**
     * Returns everything added since the last drain and starts the next one, without lowering the
     * exported total. Thread-safe and exactly-once: each add is counted by one call or stays for
     * the next; blocking, one drain at a time.
     *
     * @return the amount added since the previous drain, wrapping like {@code long}
     */
    @Override
    public long getAndReset() {
        drainLock.lock();
        try {
            long now = total.get();
            long taken = now - drainedUpTo;
            drainedUpTo = now;
            return taken;
        } finally {
            drainLock.unlock();
        }
    }

    /** The exported value: the total ever added, unsigned. Thread-safe, the wrapped counter's read. */
    double exported() {
        return Unsigned.toDouble(total.get());
    }

    /** Returns the meter name and what {@link #get()} reads. */
    @Override
    public String toString() {
        return name + "=" + get();
    }
}
