package dev.tally.counter;

/**
 * A {@code long} that is added to, read, and drained.
 *
 * <pre>{@code
 * Counter requests = new AtomicCounter();      // any implementation from dev.tally.counter.impl
 * requests.increment();
 * requests.add(41);
 * assert requests.get() == 42;
 * assert requests.getAndReset() == 42 && requests.get() == 0;
 * }</pre>
 *
 * <h2>Arithmetic</h2>
 * All arithmetic wraps on overflow exactly as {@code long} arithmetic does (two's complement): one
 * more than {@link Long#MAX_VALUE} is {@link Long#MIN_VALUE}, and one less than
 * {@code Long.MIN_VALUE} is {@code Long.MAX_VALUE}. No method throws on overflow.
 *
 * <h2>Thread safety</h2>
 * This interface does not promise thread safety by itself: each implementation's class comment
 * states whether it is thread-safe, whether {@link #get()} is linearizable or what weaker promise
 * it keeps, and its progress guarantee (blocking, lock-free or wait-free).
 *
 * <p>Every thread-safe implementation keeps this promise for {@link #getAndReset()}: under any
 * interleaving, each {@link #add(long)} is counted exactly once, either in the result of one
 * {@code getAndReset()} or in what the counter holds afterwards. An add is never counted twice and
 * never lost.
 *
 * <h2>Exceptions</h2>
 * The implementations in {@code counter-impl} throw nothing from these methods but errors (such as
 * {@link OutOfMemoryError}) and never on overflow. An implementation that keeps its count outside
 * the process may throw unchecked exceptions from any of them, and names each in its class comment
 * and {@code @throws} clauses: {@code RedisCounter} (counter-redis) throws
 * {@code CounterUnavailableException} when the server does not answer in time,
 * {@code CounterRejectedException} when it refuses a command, and {@link IllegalStateException}
 * once closed. No method throws a checked exception. When a method throws, the caller may assume:
 * <ul>
 *   <li>{@link #add(long)}, {@link #increment()}, {@link #decrement()}: the add is counted at most
 *       once, never twice; whether it was counted at all the implementation's {@code @throws}
 *       clause says (a retry may count it a second time).</li>
 *   <li>{@link #get()}: the count is unchanged, as if the call had not been made.</li>
 *   <li>{@link #getAndReset()} and {@link #reset()}: exactly-once still holds. Each add is either
 *       still in the counter, or in the result of a drain that the implementation lets the caller
 *       recover (its class comment says how), never lost and never counted twice.</li>
 * </ul>
 */
public interface Counter {

    /**
     * Adds {@code delta}, which may be negative or zero, wrapping on overflow.
     *
     * <p>Thread-safe exactly when the implementation is; see its class comment. May throw only
     * the unchecked exceptions the implementation names, with the meaning given under
     * "Exceptions" above.
     *
     * @param delta the amount to add
     */
    void add(long delta);

    /**
     * Adds one. Equivalent to {@code add(1)}, with the same thread-safety guarantee.
     */
    default void increment() {
        add(1L);
    }

    /**
     * Subtracts one. Equivalent to {@code add(-1)}, with the same thread-safety guarantee.
     */
    default void decrement() {
        add(-1L);
    }

    /**
     * Returns the current value.
     *
     * <p>Whether the value is an atomic snapshot while other threads update the counter depends on
     * the implementation; its class comment states what it promises.
     *
     * @return the current value
     */
    long get();

    /**
     * Returns the current value and resets the counter to zero.
     *
     * <p>On a thread-safe implementation this is exactly-once: every add is counted either in the
     * value returned by exactly one call or in what remains afterwards, never in both and never in
     * neither.
     *
     * @return the value that was taken out of the counter
     */
    long getAndReset();

    /**
     * Resets the counter to zero, discarding its value. Equivalent to calling
     * {@link #getAndReset()} and ignoring the result, with the same exactly-once guarantee: an add
     * that races the reset is either discarded by it or remains in the counter, never half of each.
     */
    default void reset() {
        getAndReset();
    }
}
