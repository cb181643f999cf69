package dev.tally.counter.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Any number of {@link RedisCounter}s on one Redis server, Sentinel-managed server or cluster,
 * served by one connection and one flusher thread: an idle counter costs nothing, and one flush
 * sends the batches of every changed counter in one pipeline (per node in a cluster).
 *
 * <pre>{@code
 * try (RedisCounters counters = RedisCounters.builder(client, RedisURI.create("redis://localhost:6379")).build()) {
 *     RedisCounter views = counters.counter("page-views");
 *     RedisCounter errors = counters.counter("errors");
 *     views.reset();
 *     views.add(2);
 *     errors.reset();
 *     assert counters.counter("page-views") == views;   // one counter per name
 *     assert views.get() == 2 && errors.get() == 0;
 * }   // sends what is pending, closes every counter, the connection and the thread
 * }</pre>
 *
 * <p>Thread-safe. The factory's settings apply to each of its counters: how often and at what
 * pending amount they flush, how long a round trip and a call may take, the key prefix. A JVM
 * that exits without closing the factory sends the pending adds from a shutdown hook (unless
 * turned off with {@link Builder#shutdownHook}). Outages, and their ends, are logged through
 * {@link System.Logger} under this class's name, once per outage, not once per counter.
 */
public final class RedisCounters implements AutoCloseable {

    /** How long the server remembers a client's last applied seq after its last batch. */
    static final Duration SEQ_MEMORY = Duration.ofDays(7);
    /** How long the server remembers a drain's result, for retries of that drain. */
    static final Duration DRAIN_MEMORY = Duration.ofDays(1);

    private static final System.Logger LOG = System.getLogger(RedisCounters.class.getName());

    final Link link;
    final String keyPrefix;
    final long threshold;
    final long timeoutNanos;
    final long stalenessNanos;
    private final String clientId = UUID.randomUUID().toString();
    /** Counts the counters made, so that each gets a client id (and seqs) of its own. */
    private final AtomicLong made = new AtomicLong();
    private final ConcurrentHashMap<String, RedisCounter> counters = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<RedisCounter> changed = new ConcurrentLinkedQueue<>();
    private final Flusher flusher;
    private final Thread shutdownHook;
    private final AtomicBoolean closeStarted = new AtomicBoolean();
    private volatile boolean closed;
    /** The kind of the failure last logged, or null while the server answers. */
    private final AtomicReference<String> outage = new AtomicReference<>();
    /** Runs between sending a round's batches and awaiting them; tests make it throw. */
    Runnable midRound = () -> { };

    private RedisCounters(Builder builder) {
        this.link = builder.cluster != null ? Link.to(builder.cluster, builder.commandTimeout)
                : Link.to(builder.client, builder.server, builder.commandTimeout);
        link.waitForDurability(builder.replicas, builder.aof, builder.durableWait());
        this.keyPrefix = builder.keyPrefix;
        this.threshold = builder.flushThreshold;
        this.timeoutNanos = builder.commandTimeout.toNanos();
        this.stalenessNanos = builder.stalenessLimit.toNanos();
        this.flusher = new Flusher(builder.label != null ? builder.label : link.description(),
                builder.flushInterval, this::flushChanged,
                builder.flushThreshold == Long.MAX_VALUE ? null : this::anyPastThreshold);
        this.shutdownHook = builder.shutdownHook
                ? new Thread(this::closeAtExit, "tally-redis-shutdown-" + link.description()) : null;
    }

    /**
     * Starts building the counters of one server, through {@code client}; with a Sentinel URI
     * ({@code redis-sentinel://...}), of whichever server is the master. The factory opens its one
     * connection from {@code client} on first use and closes it in {@link #close()}; the client
     * stays the caller's to shut down.
     *
     * @param client the Lettuce client to connect with
     * @param server the server that holds the values
     * @return a builder with the defaults: flush every 100 ms (no threshold), 2 s command
     *     timeout, 30 s staleness limit, key prefix {@code tally:}, a shutdown hook
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(RedisClient client, RedisURI server) {
        return new Builder(Objects.requireNonNull(client, "client"), Objects.requireNonNull(server, "server"),
                null);
    }

    /**
     * Starts building the counters of a Redis Cluster, through {@code client} (which knows the
     * cluster's seed nodes). Each counter's keys share one slot; Lettuce routes each command to the
     * slot's master and follows {@code MOVED} and {@code ASK} when slots move; a redirection that
     * still reaches a counter (a slot that moved again, or a topology out of date) is retried as a
     * transient failure, within the staleness limit.
     *
     * @param client the Lettuce cluster client to connect with
     * @return a builder with the same defaults as {@link #builder(RedisClient, RedisURI)}
     * @throws NullPointerException if {@code client} is null
     */
    public static Builder builder(RedisClusterClient client) {
        return new Builder(null, null, Objects.requireNonNull(client, "client"));
    }

    /**
     * Returns this factory's counter named {@code name}, making it on first use: every JVM that
     * opens the same name on the same server (and key prefix) shares one value. Thread-safe; the
     * same counter for the same name until it is closed, then a new one.
     *
     * @param name the counter's name: 1 to 200 characters, no brace, no control character
     * @return the counter
     * @throws IllegalArgumentException if {@code name} is not a valid name (the message quotes it)
     * @throws IllegalStateException if this factory is closed
     */
    public RedisCounter counter(String name) {
        Keys.check(name, "name");
        while (true) {
            ensureOpen();
            RedisCounter counter = counters.computeIfAbsent(name, n -> {
                ensureOpen();
                return make(n, false);
            });
            if (closed) {
                // close() may have listed the counters before this one went in: not closed by it.
                counters.remove(name, counter);
                ensureOpen();
            }
            if (!counter.isClosing()) {
                return counter;
            }
            counters.remove(name, counter);
        }
    }

    /**
     * Returns when every add made before this call, to any counter of this factory, is applied on
     * the server: the batches of all changed counters go in one pipeline (per node in a cluster).
     * Thread-safe and blocking: retries until the staleness limit has passed since the call
     * started.
     *
     * @throws CounterUnavailableException if some counter's batch was not acknowledged in time,
     *     with that counter's failure as the cause; the adds stay pending
     * @throws IllegalStateException if this factory is closed
     */
    public void flush() {
        ensureOpen();
        flushAllUntil(System.nanoTime() + stalenessNanos);
        // The flusher thread may hold batches of this call's adds in flight: each counter's flush
        // waits for that round, and sends alone whatever is still pending (nothing, mostly).
        for (RedisCounter counter : counters.values()) {
            if (!counter.isClosing()) {
                counter.flush();   // throws, naming the counter and its adds, if still failing
            }
        }
    }

    /**
     * Sends what every counter has pending, puts back the value of any drain whose call threw,
     * closes every counter, then the connection, and stops the flusher thread. Idempotent. Tries
     * until the staleness limit has passed, for all counters together.
     *
     * @throws CounterUnavailableException if some counter could not send everything in time: the
     *     first such counter's exception, with those of up to nine others suppressed
     * @throws CounterRejectedException if the server refused a command of the first failing counter
     */
    @Override
    public void close() {
        if (!closeStarted.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + stalenessNanos;
        RuntimeException first = null;
        int failures = 0;
        try {
            flusher.stop();
            if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException exiting) {
                    // The JVM is exiting: the hook runs or has run, and does the same.
                }
            }
            // False only while the server fails transiently: then the counters report what they
            // hold without trying each (which would cost a timeout per counter on a hung server).
            // An interrupt must not cost the pending adds (as in RedisCounter.closeWithin).
            boolean interrupted = Thread.interrupted();
            boolean sent;
            try {
                sent = flushAllUntil(deadline);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            List<CompletableFuture<?>> deletions = new ArrayList<>();
            for (RedisCounter counter : new ArrayList<>(counters.values())) {
                try {
                    deletions.add(counter.closeWithin(deadline, sent));
                } catch (RuntimeException e) {
                    failures++;
                    if (first == null) {
                        first = e;
                    } else if (failures <= 10) {
                        first.addSuppressed(e);
                    }
                }
            }
            for (CompletableFuture<?> deletion : deletions) {
                try {
                    link.await(deletion, deadline);
                } catch (RuntimeException e) {
                    // Records expire anyway; a failure here loses nothing.
                }
            }
        } finally {
            link.close();
        }
        if (first != null) {
            throw first;
        }
    }

    /** Returns the server or cluster that this factory's counters live on. */
    @Override
    public String toString() {
        return "RedisCounters[" + link.description() + ", " + counters.size() + " open]";
    }

    /**
     * Stops the thread and drops the connection without sending anything, as a JVM that crashes
     * does; for tests of what other JVMs can recover.
     */
    void abandon() {
        closeStarted.set(true);
        closed = true;
        flusher.stop();
        if (shutdownHook != null) {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        link.close();
    }

    /** A counter of its own factory, for {@link RedisCounter#builder}. */
    RedisCounter lone(String name) {
        RedisCounter counter = make(name, true);
        counters.put(name, counter);
        return counter;
    }

    void changed(RedisCounter counter) {
        changed.add(counter);
    }

    void wake() {
        flusher.wake();
    }

    void forget(RedisCounter counter) {
        counters.remove(counter.name(), counter);
    }

    /** Logs a failure once per outage (and again if its kind changes), not once per counter. */
    void failed(RedisCounter counter, RuntimeException e, Link.Failure kind) {
        String what = kind + " " + e.getClass().getSimpleName();
        String before = outage.getAndSet(what);
        if (!what.equals(before)) {
            LOG.log(kind == Link.Failure.PERMANENT ? Level.ERROR : Level.WARNING,
                    () -> "Redis at " + link.description() + " failed a command of counter '"
                            + counter.name() + "' (" + kind.name().toLowerCase(Locale.ROOT)
                            + "; adds are kept and retried): " + e.getMessage(), e);
        }
    }

    /** Logs the end of an outage. */
    void answered() {
        if (outage.getAndSet(null) != null) {
            LOG.log(Level.INFO, () -> "Redis at " + link.description() + " answers again");
        }
    }

    private RedisCounter make(String name, boolean lone) {
        return new RedisCounter(this, name, clientId + "-" + made.incrementAndGet(), lone);
    }

    private RedisCounters start() {
        flusher.start();
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        return this;
    }

    private void closeAtExit() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, () -> "at JVM exit, counters on " + link.description()
                    + " could not send everything", e);
        }
    }

    /**
     * The flusher's step: sends the batch of every changed counter, then waits for the replies;
     * false if any failed, so that the flusher backs off.
     */
    private boolean flushChanged() {
        return flushRound() == null;
    }

    /**
     * Sends the batch of every changed counter, then waits for the replies; returns null if all
     * worked, else the worst kind of failure (transient before permanent). An error thrown halfway
     * (an {@link OutOfMemoryError}) leaves no counter locked and none off the list of changed
     * counters: what was taken for a batch stays in flight and is sent again.
     */
    private Link.Failure flushRound() {
        List<RedisCounter> due = new ArrayList<>();
        RedisCounter polled = null;
        try {
            while ((polled = changed.poll()) != null) {
                due.add(polled);
                polled = null;
            }
        } catch (RuntimeException | Error e) {
            // Every counter taken off the list so far, not only the last one, goes back on it.
            if (polled != null) {
                polled.relist();
            }
            due.forEach(RedisCounter::relist);
            throw e;
        }
        int started = 0;    // counters whose startFlush returned: those with a reply hold their lock
        int finished = 0;   // counters whose finishFlush ran: it released the lock
        boolean finishing = false;
        CompletableFuture<?>[] replies = null;
        try {
            if (due.size() > 1) {
                try {
                    link.connect();
                } catch (RuntimeException notYet) {
                    // Each counter's batch fails the same way below, and the failure is logged once.
                }
            }
            replies = new CompletableFuture<?>[due.size()];
            boolean anySent = false;
            for (; started < due.size(); started++) {
                replies[started] = due.get(started).startFlush();
                anySent |= replies[started] != null;
            }
            midRound.run();
            CompletableFuture<Void> durable = null;
            if (anySent) {
                try {
                    durable = link.durableWait();   // one WAIT or WAITAOF after the whole pipeline
                } catch (RuntimeException notSent) {
                    durable = CompletableFuture.failedFuture(notSent);
                }
            }
            long deadline = System.nanoTime() + timeoutNanos;
            Link.Failure worst = null;
            finishing = true;
            for (; finished < due.size(); finished++) {
                if (replies[finished] == null) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                CompletableFuture<String> reply = (CompletableFuture<String>) replies[finished];
                Link.Failure failure = due.get(finished).finishFlush(reply, durable, deadline);
                if (failure != null && worst != Link.Failure.TRANSIENT) {
                    worst = failure == Link.Failure.PERMANENT ? Link.Failure.PERMANENT : Link.Failure.TRANSIENT;
                }
            }
            return worst;
        } finally {
            if (finished < due.size()) {
                // An error: finishFlush releases its lock even when it throws, and startFlush does
                // when it throws; every other counter that holds one, or was taken off the list
                // without being started, is put right.
                for (int i = finishing ? finished + 1 : 0; i < due.size(); i++) {
                    if (i >= started) {
                        due.get(i).relist();
                    } else if (replies[i] != null) {
                        due.get(i).abandonFlush();
                    }
                }
            }
        }
    }

    /**
     * Flushes every changed counter until none is left, or only counters the server refuses (each
     * call of theirs then reports that at once), or {@code deadline}; false if the server still
     * failed transiently.
     */
    private boolean flushAllUntil(long deadline) {
        Backoff backoff = new Backoff();
        while (true) {
            Link.Failure failure = flushRound();
            if (failure == Link.Failure.PERMANENT || (failure == null && changed.isEmpty())) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return false;   // an interrupted caller must not resend every batch in a hot loop
            }
            backoff.pause(deadline, this);
        }
    }

    private boolean anyPastThreshold() {
        for (RedisCounter counter : changed) {
            if (counter.pastThreshold()) {
                return true;
            }
        }
        return false;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /**
     * Settings of a {@link RedisCounters}; {@link #build()} starts its flusher thread. Not
     * thread-safe.
     *
     * <pre>{@code
     * RedisCounters counters = RedisCounters.builder(client, RedisURI.create("redis://localhost:6379"))
     *         .flushInterval(Duration.ofMillis(250))
     *         .keyPrefix("shop:")               // keys shop:{name}:..., for ACL key patterns
     *         .shutdownHook(false)
     *         .build();
     * counters.close();
     * }</pre>
     */
    public static final class Builder {

        private static final Duration MIN = Duration.ofMillis(1);
        /** Longer is a unit mistake, and deadlines in nanoseconds must not overflow. */
        private static final Duration MAX = Duration.ofDays(1);

        private final RedisClient client;
        private final RedisURI server;
        private final RedisClusterClient cluster;
        private Duration flushInterval = Duration.ofMillis(100);
        private long flushThreshold = Long.MAX_VALUE;
        private Duration commandTimeout = Duration.ofSeconds(2);
        private Duration stalenessLimit = Duration.ofSeconds(30);
        private String keyPrefix = "tally:";
        private boolean shutdownHook = true;
        private int replicas;
        private Duration replicaWait = Duration.ZERO;
        private boolean aof;
        private Duration aofWait = Duration.ZERO;
        /** Names the thread after a lone counter rather than after the server. */
        String label;

        private Builder(RedisClient client, RedisURI server, RedisClusterClient cluster) {
            this.client = client;
            this.server = server;
            this.cluster = cluster;
        }

        /**
         * Sets how often pending adds are sent; this bounds how late other JVMs see them and what
         * a crash can lose. Default 100 ms.
         *
         * @param interval at least 1 ms, at most 1 day
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is below 1 ms or above 1 day
         */
        public Builder flushInterval(Duration interval) {
            this.flushInterval = atLeastOneMilli(interval, "flushInterval");
            return this;
        }

        /**
         * Sets the pending amount of a counter, either sign, at which a flush starts before the
         * interval ends (at once for one add that large, else within 10 ms), to bound in amount,
         * not only in time, what a crash of this JVM can lose. Each early flush wakes the flusher,
         * the connection's thread and the server, so a counter added to faster than the threshold
         * per 10 ms flushes up to a hundred times a second. Default: none
         * ({@code Long.MAX_VALUE}): the interval alone, and no check every 10 ms.
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
         * @param timeout at least 1 ms, at most 1 day
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is below 1 ms or above 1 day
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = atLeastOneMilli(timeout, "commandTimeout");
            return this;
        }

        /**
         * Sets how long {@code getAndReset}, {@code flush} and {@code close} retry, from the start
         * of each call, and how old the last value read from the server may be for {@code get()}
         * to return an estimate instead of throwing. Zero makes one attempt. Default 30 s.
         *
         * @param limit zero, or 1 ms to 1 day
         * @return this builder
         * @throws IllegalArgumentException if {@code limit} is negative, or positive and below 1 ms
         */
        public Builder stalenessLimit(Duration limit) {
            Objects.requireNonNull(limit, "stalenessLimit");
            this.stalenessLimit = limit.isZero() ? limit : atLeastOneMilli(limit, "stalenessLimit");
            return this;
        }

        /**
         * Sets the prefix of every key, before the counter's name in braces: {@code <prefix>{name}:value}.
         * Counters with different prefixes never share keys, and ACL key patterns can grant one
         * prefix. Default {@code tally:}.
         *
         * @param prefix the prefix, possibly empty
         * @return this builder
         * @throws IllegalArgumentException if {@code prefix} has a brace or a control character, or
         *     more than 200 characters (the message quotes it)
         */
        public Builder keyPrefix(String prefix) {
            this.keyPrefix = Keys.checkPrefix(prefix);
            return this;
        }

        /**
         * Sets whether a JVM that exits without closing the factory sends the pending adds from a
         * shutdown hook, trying until the staleness limit. Default true; the hook is removed by
         * {@link RedisCounters#close()}.
         *
         * @param enabled false to opt out
         * @return this builder
         */
        public Builder shutdownHook(boolean enabled) {
            this.shutdownHook = enabled;
            return this;
        }

        /**
         * Makes every batch and every drain count as done only once {@code replicas} replicas of
         * the server have acknowledged it (Redis {@code WAIT}, sent once after each pipeline), so
         * that a failover which promotes one of them keeps it; until then it is retried, which
         * never applies it twice. A write that fewer replicas acknowledged within {@code wait}
         * fails with {@code NOREPLICAS}, a transient failure. Default: no replica. With a cluster
         * client, {@code WAIT} goes to the node of Lettuce's default connection, not to the
         * node of each counter's slot, so the option is refused there.
         *
         * @param replicas how many replicas must acknowledge, 1 or more
         * @param wait how long {@code WAIT} may wait: at least 1 ms, and less than the command
         *     timeout set when {@link #build()} runs
         * @return this builder
         * @throws IllegalArgumentException if {@code replicas} is below 1 or {@code wait} below 1 ms
         */
        public Builder waitForReplicas(int replicas, Duration wait) {
            if (replicas < 1) {
                throw new IllegalArgumentException("replicas must be at least 1: " + replicas);
            }
            this.replicaWait = atLeastOneMilli(wait, "wait");
            this.replicas = replicas;
            return this;
        }

        /**
         * Makes every batch and every drain count as done only once the server has written it to
         * its append-only file and synced that file to disk (Redis {@code WAITAOF}, sent once after
         * each pipeline), so that a crash or a restart of the server keeps it; until then it is
         * retried, which never applies it twice. With {@link #waitForReplicas} also set, the
         * append-only files of that many replicas must have it too, and the longer of the two
         * waits applies. A write not synced within {@code wait} fails with {@code NOAOF} (or
         * {@code NOREPLICAS}), a transient failure. Needs Redis 7.2 or later with
         * {@code appendonly yes}: an older server, or one without an append-only file, refuses
         * {@code WAITAOF}, and every call throws {@link CounterRejectedException} quoting it.
         * Refused with a cluster client, as {@link #waitForReplicas} is. Default: off.
         *
         * @param wait how long {@code WAITAOF} may wait: at least 1 ms, and less than the command
         *     timeout set when {@link #build()} runs
         * @return this builder
         * @throws IllegalArgumentException if {@code wait} is below 1 ms or above 1 day
         */
        public Builder waitForAof(Duration wait) {
            this.aofWait = atLeastOneMilli(wait, "wait");
            this.aof = true;
            return this;
        }

        /**
         * Builds the factory and starts its flusher thread. Does not connect: the first flush or
         * call does, so counters can be made while the server is down.
         *
         * @return a new factory; close it to send the last adds and stop its thread
         * @throws IllegalStateException if {@link #waitForReplicas} or {@link #waitForAof} was set
         *     with a cluster client, or with a wait not shorter than the command timeout
         */
        public RedisCounters build() {
            String option = aof ? "waitForAof" : "waitForReplicas";
            if ((replicas > 0 || aof) && cluster != null) {
                throw new IllegalStateException(option + " is not supported with a cluster client");
            }
            if ((replicas > 0 || aof) && durableWait().compareTo(commandTimeout) >= 0) {
                throw new IllegalStateException("the " + option + " wait (" + durableWait()
                        + ") must be shorter than the command timeout (" + commandTimeout + ")");
            }
            return new RedisCounters(this).start();
        }

        /** How long each WAIT or WAITAOF may wait. */
        Duration durableWait() {
            return replicaWait.compareTo(aofWait) >= 0 ? replicaWait : aofWait;
        }

        private static Duration atLeastOneMilli(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.compareTo(MIN) < 0) {
                throw new IllegalArgumentException(what + " must be at least 1 ms: " + d);
            }
            if (d.compareTo(MAX) > 0) {
                throw new IllegalArgumentException(what + " must be at most 1 day: " + d);
            }
            return d;
        }
    }
}
