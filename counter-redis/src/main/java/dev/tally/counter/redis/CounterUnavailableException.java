package dev.tally.counter.redis;

import java.time.Duration;
import java.util.Optional;

/**
 * Thrown by {@link RedisCounter} when the server did not answer within the call's limit, for a
 * reason that may pass: no connection, a timeout, a server loading, busy or failing over. The
 * message names the server, how long the call tried and what became of this JVM's adds; the cause
 * is the last failure. Nothing was dropped: the counter keeps its local adds and sends them when
 * the server answers again, and the call can be retried. A drain that threw carries its
 * {@linkplain #drainId() id}.
 *
 * <pre>{@code
 * RedisCounter jobs = RedisCounter.builder(client, RedisURI.create("redis://localhost:1"), "jobs")
 *         .commandTimeout(Duration.ofMillis(50))
 *         .stalenessLimit(Duration.ZERO)   // nothing listens on port 1: give up after one try
 *         .build();
 * try {
 *     jobs.getAndReset();
 *     throw new AssertionError("unreachable");
 * } catch (CounterUnavailableException e) {
 *     assert e.getMessage().contains("redis://localhost:1");
 *     assert e.drainId().isPresent();      // getAndReset(e.drainId().get()) recovers that drain
 * }
 * jobs.close();                            // nothing pending, so nothing to send
 * }</pre>
 */
public final class CounterUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** The age of the counter's last value from the server when this was thrown. */
    private final Duration age;
    /** The id of the drain this call started, or null. */
    private final String drainId;

    CounterUnavailableException(String message, Duration age, String drainId, Throwable cause) {
        super(message, cause);
        this.age = age;
        this.drainId = drainId;
    }

    /**
     * Returns how old the counter's last value from the server was when this was thrown: the time
     * since it last heard from the server, or since it was built if it never did.
     *
     * @return the time since the counter last heard from the server
     */
    public Duration age() {
        return age;
    }

    /**
     * Returns the id of the drain that the failed {@code getAndReset} started, if it was one. The
     * server may have applied that drain: the next {@code getAndReset} of the same counter in this
     * JVM returns its value with its own, and {@link RedisCounter#getAndReset(String)} with this id
     * returns it from any JVM. Once another JVM has recovered it so, this JVM's next drain, its
     * own retry under the id and its {@code close()} return nothing of it: the drain's record
     * names the client that may deliver it. Recover each id once, from one JVM (see
     * {@link RedisCounter#getAndReset(String)} for what is not exactly-once).
     *
     * @return the drain id, or empty if the call was not a drain
     */
    public Optional<String> drainId() {
        return Optional.ofNullable(drainId);
    }
}
