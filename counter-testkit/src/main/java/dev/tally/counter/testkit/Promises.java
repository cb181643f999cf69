package dev.tally.counter.testkit;

import java.util.List;
import java.util.Set;

/**
 * What a counter promises, as the contract suites read it: whether it is thread-safe, what
 * {@code get()} and {@code getAndReset()} keep while others write, the ways it is written, and
 * the exceptions its methods may throw. A suite checks what is promised and reports what is not
 * as aborted with the declaration as its reason, never as a silent pass.
 *
 * <pre>{@code
 * Promises striped = Counters.STRIPED.promises();
 * assert striped.threadSafe() && striped.get() == Promises.Read.LOWER_BOUND;
 * }</pre>
 *
 * @param threadSafe whether any number of threads may call its methods at once
 * @param get what {@code get()} returns while other threads write
 * @param drain what {@code getAndReset()} keeps while other threads write
 * @param writePaths the ways the counter is written, each of which the stress scenarios cover
 * @param mayThrow the unchecked exceptions its methods may throw besides errors, in the order its
 *     javadoc names them; empty for a counter that never throws
 */
public record Promises(boolean threadSafe, Read get, Drain drain, Set<WritePath> writePaths,
        List<Class<? extends RuntimeException>> mayThrow) {

    /** What {@code get()} returns while other threads write. */
    public enum Read {
        /** Exact for the one thread that uses it; another thread's read may see anything. */
        OWNER_THREAD,
        /** An atomic snapshot: the value at one instant during the call. */
        LINEARIZABLE,
        /**
         * Not a snapshot, but never less than a value the counter held at some instant during the
         * call; so a counter whose every decrement follows its increment never reads below zero.
         */
        LOWER_BOUND,
        /**
         * May lag adds made elsewhere (another process, a batch not yet sent); exact once every
         * writer has returned and the suite's {@code settledValue} has run.
         */
        ESTIMATE
    }

    /** What {@code getAndReset()} keeps while other threads write. */
    public enum Drain {
        /** Exactly-once on one thread only. */
        OWNER_THREAD,
        /** Exactly-once and an atomic snapshot. */
        SNAPSHOT,
        /**
         * Exactly-once, but not a snapshot: a drain that overlaps an increment and its decrement
         * may take one and leave the other.
         */
        EXACTLY_ONCE
    }

    /** The ways a counter is written. */
    public enum WritePath {
        /** The {@code Counter} methods, from any thread. */
        COUNTER_METHODS,
        /** A handle owned by one thread ({@code PerThreadCounter.Writer}), with its own promise. */
        HANDLE
    }

    /**
     * Copies the collections, so the record is immutable.
     *
     * @throws IllegalArgumentException if no write path is given
     */
    public Promises {
        writePaths = Set.copyOf(writePaths);
        mayThrow = List.copyOf(mayThrow);
        if (writePaths.isEmpty()) {
            throw new IllegalArgumentException("a counter is written some way: no write path");
        }
    }

    /**
     * An in-process thread-safe counter's promises, written through its {@code Counter} methods,
     * never throwing.
     *
     * @param get what {@code get()} returns while others write
     * @param drain what {@code getAndReset()} keeps while others write
     * @return the promises
     */
    public static Promises threadSafe(Read get, Drain drain) {
        return new Promises(true, get, drain, Set.of(WritePath.COUNTER_METHODS), List.of());
    }

    /**
     * The promises of a counter for one thread at a time.
     *
     * @return the promises
     */
    public static Promises singleThreaded() {
        return new Promises(false, Read.OWNER_THREAD, Drain.OWNER_THREAD,
                Set.of(WritePath.COUNTER_METHODS), List.of());
    }

    /**
     * These promises, also written through handles.
     *
     * @return the promises with {@link WritePath#HANDLE} added
     */
    public Promises withHandles() {
        return new Promises(threadSafe, get, drain,
                Set.of(WritePath.COUNTER_METHODS, WritePath.HANDLE), mayThrow);
    }

    /**
     * These promises, with {@code thrown} among the exceptions the methods may throw.
     *
     * @param thrown an unchecked exception the counter's methods may throw
     * @return the promises with {@code thrown} declared
     */
    public Promises mayThrow(Class<? extends RuntimeException> thrown) {
        List<Class<? extends RuntimeException>> all = new java.util.ArrayList<>(mayThrow);
        all.add(thrown);
        return new Promises(threadSafe, get, drain, writePaths, all);
    }

    /**
     * Whether {@code get()} never reads below zero on a counter whose every decrement follows its
     * increment, while no drain runs.
     *
     * @return true for a linearizable or lower-bound read
     */
    public boolean neverReadsBelowAValueItHeld() {
        return get == Read.LINEARIZABLE || get == Read.LOWER_BOUND;
    }
}
