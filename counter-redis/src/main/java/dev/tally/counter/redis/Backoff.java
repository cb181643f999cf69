package dev.tally.counter.redis;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The pause between attempts, shared by the flusher and by the calls that retry: doubling from a
 * first pause (10 ms by default) up to a bound, never past a deadline. Not thread-safe: one per retrying loop.
 */
final class Backoff {

    static final long FIRST_NANOS = Duration.ofMillis(10).toNanos();
    static final long MAX_NANOS = Duration.ofSeconds(1).toNanos();

    private final long firstNanos;
    private final long maxNanos;
    private long next;

    /** From 10 ms, doubling up to a second. */
    Backoff() {
        this(FIRST_NANOS, MAX_NANOS);
    }

    /** From {@code firstNanos}, doubling up to {@code maxNanos}. */
    Backoff(long firstNanos, long maxNanos) {
        this.firstNanos = Math.min(firstNanos, maxNanos);
        this.maxNanos = maxNanos;
        this.next = this.firstNanos;
    }

    /** Returns the next pause, and doubles the one after it. */
    long next() {
        long pause = next;
        next = Math.min(maxNanos, next * 2);
        return pause;
    }

    /** Starts again from the first pause. */
    void reset() {
        next = firstNanos;
    }

    /** Parks for the next pause, or until {@code deadline} if that comes first. */
    void pause(long deadline, Object blocker) {
        LockSupport.parkNanos(blocker, Math.max(0L, Math.min(next(), deadline - System.nanoTime())));
    }
}
