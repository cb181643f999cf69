package dev.tally.counter.redis;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.StripedCounter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A {@link Counter} shared by every JVM that opens the same name on the same Redis server, exact
 * across retries, reconnects, server restarts and concurrent drains.
 *
 * <pre>{@code
 * RedisURI server = RedisURI.create("redis://localhost:6379");
 * try (RedisCounter orders = RedisCounter.builder(client, server, "orders").build()) {
 *     orders.reset();
 *     orders.add(3);                        // local and cheap: a StripedCounter add
 *     assert orders.get() == 3;             // sends this JVM's adds first, then reads
 *     assert orders.getAndReset() == 3 && orders.get() == 0;
 * }
 * }</pre>
 *
 * <h2>How an add reaches the server</h2>
 * {@link #add(long)} adds to a local {@link StripedCounter}. One flusher thread per counter takes
 * what is pending (with {@code getAndReset}, so each add is taken exactly once) every flush
 * interval, sooner once the pending amount reaches the flush threshold (at once for an add of at
 * least the threshold; otherwise the flusher notices within 10 ms, so adds never pay for the
 * check), and on {@link #flush()}, {@link #get()}, {@link #getAndReset()} and {@link #close()}.
 * What it takes becomes a batch
 * {@code (client id, seq, delta)}; one batch at a time is in flight, retried with the same triple
 * until the server acknowledges it, and a Lua script applies a batch only if its seq is newer than
 * the last one applied for that client. So a reply lost to a timeout or a reconnect never counts a
 * batch twice. An add takes effect, for every other JVM, when its batch is applied: that is its
 * linearization point.
 *
 * <h2>What each call promises</h2>
 * <ul>
 *   <li>{@link #add(long)}: thread-safe, never blocks, never talks to the server. Overflow wraps on
 *       the server as in {@code long} arithmetic.</li>
 *   <li>{@link #get()}: sends this JVM's pending adds and returns the server's value, so a thread
 *       reads its own writes; adds of other JVMs show once their flush interval has passed. If the
 *       server does not answer, returns the last value read from it plus this JVM's unsent adds,
 *       while that value is younger than the staleness limit; after that it throws
 *       {@link CounterUnavailableException}.</li>
 *   <li>{@link #getAndReset()}: sends this JVM's pending adds, then takes and zeroes the value on
 *       the server in one script, under a drain id: exactly-once across all JVMs. Retries until
 *       the staleness limit; a call that failed is finished by the next one, which retries the
 *       same drain id, so a drain applied on the server is never lost with its reply.</li>
 *   <li>{@link #flush()}: returns when every add made before the call is applied on the server.</li>
 * </ul>
 * Calls that talk to the server are serialized within this counter; each waits at most the
 * command timeout per attempt.
 *
 * <h2>When things fail</h2>
 * While the server is down, adds go on locally: the buffer is a {@link StripedCounter}, whose size
 * depends on the number of cores and not on the number of adds it holds, and the flusher retries
 * with backoff. Nothing is dropped silently: {@code get},
 * {@code getAndReset} and {@code flush} throw {@link CounterUnavailableException} naming the
 * server and how long it has not answered, and succeed again once it does. A JVM that crashes
 * loses the adds it had not sent yet: at most one flush interval's worth (or the threshold),
 * plus the batch in flight if the server had not applied it. A server restart keeps what its
 * persistence kept (use AOF with {@code appendfsync always} to keep every acknowledged batch).
 *
 * <h2>What it keeps on the server</h2>
 * For a counter named {@code n}: {@code tally:{n}:value}, the value as a decimal string, which
 * {@code GET} reads; {@code tally:{n}:client:<id>}, the last applied seq of each open counter,
 * kept 7 days after its last batch (so a batch still being retried 7 days after the server
 * applied it would count twice); {@code tally:{n}:drain:<id>}, each drain's result, kept one day
 * for its retries. The hash tag keeps them in one cluster slot.
 */
public final class RedisCounter implements Counter, AutoCloseable {

    private static final String KEPT = "kept and will be sent when it answers";
    private static final long FIRST_RETRY_NANOS = Duration.ofMillis(10).toNanos();
    private static final long MAX_RETRY_NANOS = Duration.ofSeconds(1).toNanos();

    private final String name;
    private final long threshold;
    private final Duration stalenessLimit;
    private final StripedCounter pending = new StripedCounter();
    private final Exchange exchange;
    private final Flusher flusher;
    /** Read by every add; {@link #closeStarted} makes sure only one caller closes. */
    private volatile boolean closed;
    private final AtomicBoolean closeStarted = new AtomicBoolean();

    // Guarded by lock: everything below is touched only by the exchange in progress.
    private final ReentrantLock lock = new ReentrantLock();
    private long seq;
    private long inFlight;
    private boolean hasInFlight;
    private String unfinishedDrain;
    private long lastValue;
    private boolean heardFromServer;
    private long lastHeardNanos;
    private RuntimeException lastFailure;

    private RedisCounter(Builder builder) {
        this.name = builder.name;
        this.threshold = builder.flushThreshold;
        this.stalenessLimit = builder.stalenessLimit;
        this.exchange = new Exchange(builder.client, builder.server, name,
                UUID.randomUUID().toString(), builder.commandTimeout);
        this.flusher = new Flusher(name, builder.flushInterval, this::flushQuietly, this::pastThreshold);
        this.lastHeardNanos = System.nanoTime();
    }

    /**
     * Starts building a counter named {@code name} on {@code server}, through {@code client}.
     * Every JVM that builds a counter with the same server and name shares one value. The counter
     * opens its own connection from {@code client} and closes it in {@link #close()}; the client
     * stays the caller's to shut down.
     *
     * <pre>{@code
     * RedisCounter hits = RedisCounter.builder(client, RedisURI.create("redis://localhost:6379"), "hits")
     *         .flushInterval(Duration.ofMillis(50))
     *         .flushThreshold(10_000)
     *         .build();
     * hits.close();
     * }</pre>
     *
     * @param client the Lettuce client to connect with
     * @param server the server that holds the value
     * @param name the counter's name, not empty; part of every key
     * @return a builder with the defaults: flush every 100 ms or at 1,000,000 pending, 2 s command
     *     timeout, 30 s staleness limit
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static Builder builder(RedisClient client, RedisURI server, String name) {
        return new Builder(client, server, name);
    }

    /**
     * Adds {@code delta} to this JVM's pending amount, to be sent on the next flush.
     * Thread-safe and non-blocking; never talks to the server.
     *
     * @param delta the amount to add, may be negative or zero
     * @throws IllegalStateException if the counter is closed, or was closed during this call (then
     *     the add may not have reached the server, and the message says so)
     */
    @Override
    public void add(long delta) {
        ensureOpen();
        pending.add(delta);
        if (closed) {
            throw new IllegalStateException("counter '" + name + "' was closed during add("
                    + delta + "): that add may not have reached Redis");
        }
        if (delta >= threshold || delta <= -threshold) {
            flusher.wake();
        }
    }

    /**
     * Sends this JVM's pending adds and returns the value on the server; see the class comment
     * for what it returns while the server is down. Thread-safe; blocks for at most the command
     * timeout per round trip (two at most).
     *
     * @return the server's value after this JVM's adds, or the estimate described above
     * @throws CounterUnavailableException if the server did not answer and the last value read
     *     from it is older than the staleness limit (or none was ever read)
     * @throws IllegalStateException if the counter is closed
     */
    @Override
    public long get() {
        lock.lock();
        try {
            ensureOpen();
            try {
                return sendPending(true);
            } catch (RedisException e) {
                lastFailure = e;
                if (!heardFromServer || age().compareTo(stalenessLimit) > 0) {
                    throw unavailable(KEPT);
                }
                return lastValue + (hasInFlight ? inFlight : 0L) + pending.get();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends this JVM's pending adds, then takes the value on the server and sets it to zero,
     * exactly once across all JVMs. Thread-safe and blocking: retries with backoff until the
     * staleness limit. If it throws, the next call retries the same drain first, so the value
     * that drain took is returned then rather than lost.
     *
     * @return the value taken from the server
     * @throws CounterUnavailableException if the server does not answer within the staleness limit
     * @throws IllegalStateException if the counter is closed
     */
    @Override
    public long getAndReset() {
        lock.lock();
        try {
            return getAndReset(unfinishedDrain != null ? unfinishedDrain : UUID.randomUUID().toString());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Like {@link #getAndReset()}, under a drain id the caller chooses, so that a caller who lost
     * the reply (this call threw, or its process restarted) can retry the same drain, from any
     * JVM, within a day: a drain id that was already applied returns the value it took then, and
     * takes nothing added since.
     *
     * <pre>{@code
     * try (RedisCounter sales = RedisCounter.builder(client, RedisURI.create("redis://localhost:6379"), "sales").build()) {
     *     sales.reset();
     *     sales.add(5);
     *     assert sales.getAndReset("close-of-day-2026-11-25") == 5;
     *     sales.add(1);
     *     assert sales.getAndReset("close-of-day-2026-11-25") == 5;   // a retry: same result
     *     assert sales.get() == 1;                                     // the later add stays
     * }
     * }</pre>
     *
     * @param drainId the drain's id, not empty; unique per drain
     * @return the value that drain took from the server
     * @throws IllegalArgumentException if {@code drainId} is empty
     * @throws CounterUnavailableException if the server does not answer within the staleness limit
     * @throws IllegalStateException if the counter is closed
     */
    public long getAndReset(String drainId) {
        Objects.requireNonNull(drainId, "drainId");
        if (drainId.isEmpty()) {
            throw new IllegalArgumentException("drainId must not be empty");
        }
        lock.lock();
        try {
            ensureOpen();
            unfinishedDrain = drainId;
            long taken = retrying(() -> {
                sendPending(false);
                return exchange.drain(drainId);
            }, KEPT);
            unfinishedDrain = null;
            lastValue = 0L;
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns when every add made before this call has been applied on the server. Thread-safe and
     * blocking: retries with backoff until the staleness limit.
     *
     * @throws CounterUnavailableException if the server does not answer within the staleness limit;
     *     the adds stay pending
     * @throws IllegalStateException if the counter is closed
     */
    public void flush() {
        lock.lock();
        try {
            ensureOpen();
            retrying(() -> sendPending(false), KEPT);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the flusher thread, sends what is pending and closes this counter's connection.
     * Idempotent. Adds must happen before {@code close()}; an add that races it throws.
     *
     * @throws CounterUnavailableException if the pending adds could not be sent within the
     *     staleness limit; the message says how much was not sent
     */
    @Override
    public void close() {
        if (!closeStarted.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        flusher.stop();
        lock.lock();
        try {
            retrying(() -> sendPending(false), "not sent: the counter is closed");
        } finally {
            exchange.close();
            lock.unlock();
        }
    }

    /** Returns the counter's name and server. */
    @Override
    public String toString() {
        return "RedisCounter[" + name + " at " + exchange.server() + "]";
    }

    /** Starts the flusher; called once the counter is fully built. */
    private RedisCounter start() {
        flusher.start();
        return this;
    }

    /** Whether the pending amount, either sign, has reached the flush threshold. */
    private boolean pastThreshold() {
        long sum = pending.get();
        return sum >= threshold || sum <= -threshold;
    }

    /**
     * The flusher's step: one attempt, no retry loop; false on failure, so that it backs off.
     * Catches every runtime exception, so that nothing ends the flusher but {@link #close()}.
     */
    private boolean flushQuietly() {
        lock.lock();
        try {
            sendPending(false);
            return true;
        } catch (RuntimeException e) {
            lastFailure = e;
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends the batch in flight, if any, then what is pending now, if anything; with
     * {@code read} and nothing to send, reads the value instead. Returns the server's value after
     * the last round trip (or the last value known when nothing was sent or read).
     */
    private long sendPending(boolean read) {
        boolean sent = false;
        for (int batch = 0; batch < 2; batch++) {
            if (!hasInFlight) {
                long delta = pending.getAndReset();
                if (delta == 0L) {
                    break;
                }
                seq++;
                inFlight = delta;
                hasInFlight = true;
            }
            heard(exchange.add(seq, inFlight));
            hasInFlight = false;
            sent = true;
        }
        if (read && !sent) {
            heard(exchange.read());
        }
        return lastValue;
    }

    private void heard(long value) {
        lastValue = value;
        heardFromServer = true;
        lastHeardNanos = System.nanoTime();
    }

    private <T> T retrying(Supplier<T> step, String fateOfPending) {
        long wait = FIRST_RETRY_NANOS;
        while (true) {
            try {
                return step.get();
            } catch (RedisException e) {
                lastFailure = e;
                long left = stalenessLimit.minus(age()).toNanos();
                if (left < 0 || Thread.currentThread().isInterrupted()) {
                    throw unavailable(fateOfPending);
                }
                LockSupport.parkNanos(this, Math.min(wait, left + 1));
                wait = Math.min(MAX_RETRY_NANOS, wait * 2);
            }
        }
    }

    private Duration age() {
        return Duration.ofNanos(System.nanoTime() - lastHeardNanos);
    }

    private CounterUnavailableException unavailable(String fateOfPending) {
        long notSent = pending.get() + (hasInFlight ? inFlight : 0L);
        return new CounterUnavailableException(exchange.server(), age(), stalenessLimit,
                notSent + " added here is " + fateOfPending, lastFailure);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("counter '" + name + "' is closed");
        }
    }

    /**
     * Settings of a {@link RedisCounter}; {@link #build()} checks nothing more and starts the
     * counter's flusher thread. Not thread-safe.
     *
     * <pre>{@code
     * RedisCounter.Builder b = RedisCounter.builder(client, RedisURI.create("redis://localhost:6379"), "logins");
     * b.flushInterval(Duration.ofSeconds(1)).stalenessLimit(Duration.ofMinutes(1));
     * try (RedisCounter logins = b.build()) {
     *     logins.increment();
     * }
     * }</pre>
     */
    public static final class Builder {

        private final RedisClient client;
        private final RedisURI server;
        private final String name;
        private Duration flushInterval = Duration.ofMillis(100);
        private long flushThreshold = 1_000_000L;
        private Duration commandTimeout = Duration.ofSeconds(2);
        private Duration stalenessLimit = Duration.ofSeconds(30);

        private Builder(RedisClient client, RedisURI server, String name) {
            this.client = Objects.requireNonNull(client, "client");
            this.server = Objects.requireNonNull(server, "server");
            this.name = Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("name must not be empty");
            }
        }

        /**
         * Sets how often pending adds are sent; this bounds how late other JVMs see them and what
         * a crash can lose. Default 100 ms.
         *
         * @param interval a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is zero or negative
         */
        public Builder flushInterval(Duration interval) {
            this.flushInterval = positive(interval, "flushInterval");
            return this;
        }

        /**
         * Sets the pending amount, either sign, at which a flush starts before the interval ends.
         * Default 1,000,000.
         *
         * @param threshold a positive amount
         * @return this builder
         * @throws IllegalArgumentException if {@code threshold} is zero or negative
         */
        public Builder flushThreshold(long threshold) {
            if (threshold <= 0) {
                throw new IllegalArgumentException("flushThreshold must be positive: " + threshold);
            }
            this.flushThreshold = threshold;
            return this;
        }

        /**
         * Sets how long one round trip may take before it counts as failed and is retried.
         * Default 2 s.
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = positive(timeout, "commandTimeout");
            return this;
        }

        /**
         * Sets how old the last value read from the server may be before calls that need the
         * server throw {@link CounterUnavailableException} instead of retrying or estimating.
         * Default 30 s.
         *
         * @param limit a duration, zero or positive
         * @return this builder
         * @throws IllegalArgumentException if {@code limit} is negative
         */
        public Builder stalenessLimit(Duration limit) {
            Objects.requireNonNull(limit, "stalenessLimit");
            if (limit.isNegative()) {
                throw new IllegalArgumentException("stalenessLimit must not be negative: " + limit);
            }
            this.stalenessLimit = limit;
            return this;
        }

        /**
         * Builds the counter and starts its flusher thread. Does not connect: the first flush or
         * call does, so a counter can be built while the server is down.
         *
         * @return a new counter; close it to stop its thread and send its last adds
         */
        public RedisCounter build() {
            return new RedisCounter(this).start();
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
