package dev.tally.counter.redis;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The one thread a {@link RedisCounter} starts: it sends the pending adds every interval, sooner
 * when woken, and backs off (doubling, up to a second or the interval if longer) while the server
 * fails. Stopped, and joined, by {@link #stop()}.
 */
final class Flusher implements Runnable {

    private static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(1).toNanos();

    private final BooleanSupplier flush;
    private final long intervalNanos;
    private final Thread thread;
    private volatile boolean stopped;

    Flusher(String name, Duration interval, BooleanSupplier flush) {
        this.flush = flush;
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this, "tally-redis-flusher-" + name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Asks for a flush now, as when the pending amount passed the threshold. */
    void wake() {
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
        long delay = intervalNanos;
        long maxBackoff = Math.max(intervalNanos, MAX_BACKOFF_NANOS);
        while (!stopped) {
            LockSupport.parkNanos(this, delay);
            if (stopped) {
                return;
            }
            delay = flush.getAsBoolean() ? intervalNanos : Math.min(maxBackoff, delay * 2);
        }
    }
}
