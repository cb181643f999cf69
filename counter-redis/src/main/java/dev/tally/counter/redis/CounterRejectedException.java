package dev.tally.counter.redis;

import java.util.Optional;

/**
 * Thrown by {@link RedisCounter} when the server refused a command for a reason that will not pass
 * by waiting: an ACL user without a permission the counter needs ({@code NOPERM}), a key of the
 * counter holding something else ({@code WRONGTYPE}, or a value that is not a number), a key in
 * another slot ({@code CROSSSLOT}, {@code MOVED} to a client that is not a cluster client),
 * scripting disabled. The call fails at once, without retrying; the message names the command and
 * quotes the server; the cause is Lettuce's exception. As for {@link CounterUnavailableException},
 * nothing was dropped: the counter keeps its local adds, its flusher keeps trying with backoff, and
 * every call works again once the server's set-up is fixed.
 *
 * <pre>{@code
 * RedisURI server = RedisURI.create("redis://localhost:6379");
 * try (var raw = client.connect(server);
 *         RedisCounter inbox = RedisCounter.builder(client, server, "inbox").build()) {
 *     raw.sync().del("tally:{inbox}:value");
 *     raw.sync().rpush("tally:{inbox}:value", "not a number");   // another program's list
 *     try {
 *         inbox.get();
 *         throw new AssertionError("unreachable");
 *     } catch (CounterRejectedException e) {
 *         assert e.getMessage().contains("WRONGTYPE");
 *     }
 *     raw.sync().del("tally:{inbox}:value");                     // repaired
 *     assert inbox.get() == 0;
 * }
 * }</pre>
 */
public final class CounterRejectedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** The id of a drain that the server may have applied before refusing, or null. */
    private final String drainId;

    CounterRejectedException(String message, String drainId, Throwable cause) {
        super(message, cause);
        this.drainId = drainId;
    }

    /**
     * Returns the id of the drain that the refused {@code getAndReset} started, if the server may
     * have applied it before refusing what followed (as when a drain succeeded and its
     * {@code WAIT} or {@code WAITAOF} was refused). As for
     * {@link CounterUnavailableException#drainId()}, the next {@code getAndReset} of the same
     * counter in this JVM returns its value with its own, and
     * {@link RedisCounter#getAndReset(String)} with this id returns it from any JVM, counted once
     * (after such a recovery, this JVM's next drain returns nothing of it).
     *
     * @return the drain id, or empty if the call was not a drain or the drain was not applied
     */
    public Optional<String> drainId() {
        return Optional.ofNullable(drainId);
    }
}
