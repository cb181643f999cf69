package dev.tally.counter.redis;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The one thread a {@link RedisCounters} starts. It sends the pending adds of every changed
 * counter every interval, and sooner when woken or, with a threshold set, when a check every 10 ms
 * finds a changed counter's pending amount past it (so that adds never pay for that check). While the
 * server fails it backs off instead, doubling up to a second (or the interval, if longer), and
 * ignores the threshold; an error thrown by a round is logged and backed off from the same way. Stopped, and joined, by
 * {@link #stop()}.
 */
final class Flusher implements Runnable {

    private static final System.Logger LOG = System.getLogger(RedisCounters.class.getName());
    private static final long CHECK_NANOS = Duration.ofMillis(10).toNanos();

    private final BooleanSupplier flush;
    private final BooleanSupplier pastThreshold;
    private final long intervalNanos;
    /** How long the thread sleeps at most: 10 ms with a threshold to check, else the interval. */
    private final long checkNanos;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile boolean woken;

    /**
     * {@code flush} makes one attempt and says whether it worked; {@code pastThreshold} is cheap,
     * or null when there is no threshold, and then the thread sleeps until the interval ends.
     */
    Flusher(String name, Duration interval, BooleanSupplier flush, BooleanSupplier pastThreshold) {
        this.flush = flush;
        this.pastThreshold = pastThreshold;
        this.checkNanos = pastThreshold == null ? interval.toNanos() : CHECK_NANOS;
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this, "tally-redis-flusher-" + name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Asks for a flush now, as when one add alone reaches the threshold. */
    void wake() {
        woken = true;
        LockSupport.unpark(thread);
    }

    /** Stops the thread and waits for it to end; the caller does the last flush itself. */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        // The first pause after a failure is two intervals, doubling up to a second (or the
        // interval, if longer): a server that is down costs a few attempts a second at most.
        long max = Math.max(intervalNanos, Backoff.MAX_NANOS);
        Backoff backoff = new Backoff(Math.min(max, 2 * intervalNanos), max);
        long due = System.nanoTime() + intervalNanos;
        boolean failing = false;
        while (!stopped) {
            LockSupport.parkNanos(this, Math.max(0L, Math.min(checkNanos, due - System.nanoTime())));
            if (stopped) {
                return;
            }
            long now = System.nanoTime();
            try {
                boolean early = !failing && (woken || (pastThreshold != null && pastThreshold.getAsBoolean()));
                if (now - due < 0 && !early) {
                    continue;
                }
                woken = false;
                failing = !flush.getAsBoolean();
            } catch (RuntimeException | Error e) {
                // An OutOfMemoryError halfway through a round must not end the only thread that
                // sends the adds: what was taken for a batch stays in flight and is sent again.
                LOG.log(Level.ERROR, () -> thread.getName() + " failed a flush, retrying with backoff", e);
                failing = true;
            }
            if (failing) {
                due = System.nanoTime() + backoff.next();
            } else {
                backoff.reset();
                due = System.nanoTime() + intervalNanos;
            }
        }
    }
}
