package dev.tally.counter.redis;

import java.time.Duration;

/**
 * Thrown by {@link RedisCounter} when it cannot answer without the server and the last value it
 * read from the server is older than its staleness limit. The message names the server, that age
 * and the limit; the cause is the last failure. Nothing was dropped: the counter keeps its local
 * adds and sends them when the server answers again, and the call can be retried.
 *
 * <pre>{@code
 * RedisCounter jobs = RedisCounter.builder(client, RedisURI.create("redis://localhost:1"), "jobs")
 *         .stalenessLimit(Duration.ZERO)   // nothing listens on port 1: fail at once
 *         .build();
 * try {
 *     jobs.get();
 *     throw new AssertionError("unreachable");
 * } catch (CounterUnavailableException e) {
 *     assert e.getMessage().contains("redis://localhost:1");
 *     assert e.age().compareTo(Duration.ZERO) >= 0;
 * }
 * jobs.close();                            // nothing pending, so nothing to send
 * }</pre>
 */
public final class CounterUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** The age of the counter's last value from the server when this was thrown. */
    private final Duration age;

    CounterUnavailableException(String server, Duration age, Duration limit, String pending,
            Throwable cause) {
        super("Redis at " + server + " not heard from for " + millis(age) + " (staleness limit "
                + millis(limit) + "); " + pending, cause);
        this.age = age;
    }

    /**
     * Returns how old the counter's last value from the server was when this was thrown.
     *
     * @return the time since the counter last heard from the server
     */
    public Duration age() {
        return age;
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
