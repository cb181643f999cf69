package dev.tally.counter;

import java.util.Map;

/**
 * Many counters by key: a {@code long} per key that is added to, read, and drained.
 *
 * <pre>{@code
 * CounterMap<String> requests = new StripedCounterMap<>();   // an implementation from dev.tally.counter.impl
 * requests.increment("/home");
 * requests.add("/search", 3);
 * assert requests.get("/search") == 3 && requests.get("/never") == 0;
 * var lastPeriod = requests.drain();                         // every non-zero key, reset to zero
 * assert lastPeriod.equals(java.util.Map.of("/home", 1L, "/search", 3L));
 * assert requests.get("/home") == 0;
 * }</pre>
 *
 * <h2>Arithmetic</h2>
 * Each key's value wraps on overflow exactly as {@code long} arithmetic does, as {@link Counter}'s
 * does. No method throws on overflow.
 *
 * <h2>Keys</h2>
 * Keys are compared with {@code equals} and {@code hashCode}, as a {@link Map}'s are, and must not
 * change while the map holds them. A key the map does not hold reads 0. Every method that takes a
 * key throws {@link NullPointerException}, naming the argument, for a null key.
 *
 * <h2>Thread safety</h2>
 * This interface does not promise thread safety by itself: each implementation's class comment
 * states what it guarantees. Every thread-safe implementation keeps this promise for
 * {@link #drain()} and {@link #getAndReset(Object)}: under any interleaving, each add is counted
 * exactly once, either in the result of one drain or one {@code getAndReset}, or in what the map
 * holds afterwards. An add is never counted twice and never lost.
 *
 * @param <K> the type of the keys
 */
public interface CounterMap<K> {

    /**
     * Adds {@code delta}, which may be negative or zero, to the value of {@code key}, wrapping on
     * overflow.
     *
     * <p>Thread-safe exactly when the implementation is; see its class comment.
     *
     * @param key the key whose value changes
     * @param delta the amount to add
     * @throws NullPointerException if {@code key} is null
     */
    void add(K key, long delta);

    /**
     * Adds one to the value of {@code key}. Equivalent to {@code add(key, 1)}, with the same
     * thread-safety guarantee.
     *
     * @param key the key whose value changes
     * @throws NullPointerException if {@code key} is null
     */
    default void increment(K key) {
        add(key, 1L);
    }

    /**
     * Subtracts one from the value of {@code key}. Equivalent to {@code add(key, -1)}, with the
     * same thread-safety guarantee.
     *
     * @param key the key whose value changes
     * @throws NullPointerException if {@code key} is null
     */
    default void decrement(K key) {
        add(key, -1L);
    }

    /**
     * Returns the value of {@code key}: 0 for a key never added to, or removed.
     *
     * <p>What it promises while other threads update the map is the implementation's; see its
     * class comment.
     *
     * @param key the key to read
     * @return the key's current value
     * @throws NullPointerException if {@code key} is null
     */
    long get(K key);

    /**
     * Returns the value of {@code key} and resets it to zero.
     *
     * <p>On a thread-safe implementation this is exactly-once, as {@link #drain()} is.
     *
     * @param key the key to drain
     * @return the value that was taken out of the key
     * @throws NullPointerException if {@code key} is null
     */
    long getAndReset(K key);

    /**
     * Takes the value of every key, resetting each to zero, and returns those that were not zero.
     *
     * <p>On a thread-safe implementation this is exactly-once: every add is counted either in the
     * result of exactly one drain (or {@link #getAndReset(Object)}) or in what remains afterwards.
     * Whether the result is a snapshot of one instant is the implementation's to say.
     *
     * @return a new map, owned by the caller, of each key whose value taken was not zero
     */
    Map<K, Long> drain();

    /**
     * Returns the value of every key whose value is not zero, without resetting any.
     *
     * @return a new map, owned by the caller, of each key whose value read was not zero
     */
    Map<K, Long> snapshot();

    /**
     * Returns a {@link Counter} bound to {@code key}: its adds go to that key without looking it
     * up each time, its {@code get()} and {@code getAndReset()} are those of this map for the
     * key. It keeps counting into the key after the implementation removes the key.
     *
     * @param key the key the counter adds to
     * @return a counter for {@code key}
     * @throws NullPointerException if {@code key} is null
     */
    Counter counter(K key);

    /**
     * Returns the number of keys the map holds now, including keys at zero not yet removed.
     *
     * @return the number of keys held
     */
    int size();
}
