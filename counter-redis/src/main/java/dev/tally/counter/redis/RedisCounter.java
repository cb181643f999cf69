package dev.tally.counter.redis;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.StripedCounter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Supplier;

/**
 * A {@link Counter} shared by every JVM that opens the same name on the same Redis server (or
 * cluster), exact across retries, reconnects and concurrent drains. Get one from a
 * {@link RedisCounters}, which serves any number of counters with one connection and one thread,
 * or build a lone one with {@link #builder}.
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
 * {@link #add(long)} adds to a local {@link StripedCounter} and, the first time after a flush,
 * puts the counter on its factory's list of changed counters. The factory's one flusher thread
 * takes what is pending (with {@code getAndReset}, so each add is taken exactly once) every flush
 * interval, sooner once the pending amount reaches the flush threshold if one is set, and on {@link #flush()},
 * {@link #get()}, {@link #getAndReset()} and {@link #close()}; it sends the batches of all changed
 * counters in one pipeline. A batch is {@code (client id, seq, delta)}; one batch per counter is in
 * flight at a time, retried with the same triple until the server acknowledges it, and a Lua
 * script applies a batch only if its seq is newer than the last one applied for that client. So a
 * reply lost to a timeout or a reconnect never counts a batch twice. An add takes effect, for
 * every other JVM, when its batch is applied: that is its linearization point.
 *
 * <h2>What each call promises</h2>
 * <ul>
 *   <li>{@link #add(long)}: thread-safe, never blocks, never talks to the server. Overflow wraps on
 *       the server as in {@code long} arithmetic.</li>
 *   <li>{@link #get()}: sends this JVM's pending adds and returns the server's value, so a thread
 *       reads its own writes; adds of other JVMs show once their flush interval has passed. Waits
 *       at most twice the command timeout, whatever other callers do. If the server does not
 *       answer in that time, returns the last value read from it plus this JVM's unsent adds, while
 *       that value is younger than the staleness limit; after that it throws
 *       {@link CounterUnavailableException}.</li>
 *   <li>{@link #getAndReset()}: sends this JVM's pending adds, then takes and zeroes the value on
 *       the server in one script, under a drain id: exactly-once across all JVMs. A drain whose
 *       call threw is finished by the next drain of this counter in this JVM, whatever its id, and
 *       its value returned with that call's; the exception carries the id, with which
 *       {@link #getAndReset(String)} recovers the value from any JVM.</li>
 *   <li>{@link #flush()}: returns when every add made before the call is applied on the server.</li>
 * </ul>
 * {@code getAndReset}, {@code flush} and {@code close} retry a transient failure (no connection, a
 * timeout, a server loading, busy or failing over) until the staleness limit has passed since the
 * call started; an attempt then in progress ends within the command timeout. A permanent failure
 * (an ACL refusal, a wrong type, a key in another slot) fails every call at once with
 * {@link CounterRejectedException}. Calls that talk to the server are serialized within this
 * counter.
 *
 * <h2>When things fail</h2>
 * While the server is down, adds go on locally: the buffer is a {@link StripedCounter}, whose size
 * depends on the number of cores and not on the number of adds it holds, and the flusher retries
 * with backoff. Nothing is dropped silently: the calls above throw, naming the server and what
 * became of this JVM's adds, {@link #lastFailure()} shows the last failure, and the factory logs
 * each outage and its end through {@link System.Logger}. A JVM that crashes loses the adds it had
 * not sent yet: at most one flush interval's worth (or the threshold), plus the batch in flight if
 * the server had not applied it; a JVM that exits normally sends them from a shutdown hook. What
 * a server restart or a failover keeps is what the server kept: see the README's "Durability".
 *
 * <h2>What it keeps on the server</h2>
 * For a counter named {@code n} and the default key prefix {@code tally:}: {@code tally:{n}:value},
 * the value as a decimal string, which {@code GET} reads; {@code tally:{n}:client:<id>}, the last
 * applied seq of each open counter, deleted by {@link #close()} and otherwise kept 7 days after
 * its last batch (so a batch still being retried 7 days after the server applied it would count
 * twice); {@code tally:{n}:client:<id>:drains}, the number of that client's last drain that
 * ran, deleted by {@link #close()} and otherwise kept 7 days; {@code tally:{n}:drain:<id>}, a
 * drain's result (and which client owns it and which ran it, as {@code owner|creator|result}),
 * deleted by its owner's next drain
 * under another id once delivered, and otherwise kept a day. The hash tag keeps them in one
 * cluster slot.
 */
public final class RedisCounter implements Counter, AutoCloseable {

    private static final VarHandle STATE;
    /** {@link #state} bit: on the factory's list of changed counters; set by the add that puts it there. */
    private static final int QUEUED = 1;
    /** {@link #state} bit: closed; {@link #closeStarted} makes sure only one caller closes. */
    private static final int CLOSED = 2;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RedisCounter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RedisCounters owner;
    private final String name;
    private final Keys keys;
    /** Whether closing this counter closes its factory: a counter built by {@link #builder}. */
    private final boolean ownsFactory;
    private final StripedCounter pending = new StripedCounter();
    /** The factory's flush threshold, here so that an add reads it without a dependent load. */
    private final long threshold;
    /**
     * {@link #QUEUED} and {@link #CLOSED} in one field, so that an add reads both with one load
     * after its atomic add, where every load waits for the add to finish.
     */
    private volatile int state;
    /**
     * Everything ever taken from {@link #pending} into a batch, so that {@link #addedInThisJvm()}
     * is {@code taken + pending} without a round trip. A take and its accounting happen inside
     * {@link #takeLock}'s write lock (under {@link #lock} too, so there is one writer); readers
     * validate an optimistic read against it, so none sees a take without its accounting.
     */
    private long taken;
    private final StampedLock takeLock = new StampedLock();
    private volatile boolean closeStarted;
    private volatile RuntimeException lastFailure;

    // Guarded by lock: everything below is touched only by the exchange in progress.
    private final ReentrantLock lock = new ReentrantLock();
    private long seq;
    private long inFlight;
    private boolean hasInFlight;
    /** A drain record that the batch in flight empties as it puts that drain's result back. */
    private String inFlightEmptied;
    /** Whether the batch in flight was handed to the connection: the server may have applied it. */
    private boolean inFlightSent;
    private final Drains drains;
    /**
     * The command last sent, for the message of a refusal: a constant per kind, so that a flush
     * allocates no text per counter; the drain's id, for the drain script.
     */
    private Command lastCommand = Command.NONE;
    private String lastDrainId;
    /** Drain calls made, the put-back's included: each call's drains carry its number. */
    private long drainCalls;
    private long lastValue;
    private boolean heardFromServer;
    private long lastHeardNanos;

    RedisCounter(RedisCounters owner, String name, String clientId, boolean ownsFactory) {
        this.owner = owner;
        this.name = name;
        this.keys = new Keys(owner.keyPrefix, name, clientId);
        this.drains = new Drains(keys);
        this.ownsFactory = ownsFactory;
        this.threshold = owner.threshold;
        this.lastHeardNanos = System.nanoTime();
    }

    /**
     * Starts building a lone counter named {@code name} on {@code server}, through {@code client}:
     * a {@link RedisCounters} of its own, with one connection and one thread, closed with it. For
     * many counters in one JVM, use one {@link RedisCounters} instead. The client stays the
     * caller's to shut down.
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
     * @param name the counter's name: 1 to 200 characters, no brace, no control character
     * @return a builder with the defaults of {@link RedisCounters.Builder}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is not a valid name (the message quotes it)
     */
    public static Builder builder(RedisClient client, RedisURI server, String name) {
        return new Builder(RedisCounters.builder(client, server), name);
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
        boolean large = delta >= threshold || delta <= -threshold;
        ensureOpen();
        pending.add(delta);
        // After the add: the flusher clears QUEUED before it takes what is pending, so an add
        // that still sees it set is taken by that flush (both are volatile accesses).
        int seen = state;
        if (seen != QUEUED) {
            notQueued(seen, delta);
        }
        if (large) {
            owner.wake();
        }
    }

    /** The add's rare path, out of line so that the add itself stays small enough to inline. */
    private void notQueued(int seen, long delta) {
        if ((seen & CLOSED) != 0) {
            throw new IllegalStateException("counter '" + name + "' was closed during add("
                    + delta + "): that add may not have reached Redis");
        }
        markChanged();
    }

    /**
     * Sends this JVM's pending adds and returns the value on the server; see the class comment
     * for what it returns while the server is down. Thread-safe; blocks for at most twice the
     * command timeout, however many threads call it at once.
     *
     * @return the server's value after this JVM's adds, or the estimate described above
     * @throws CounterUnavailableException if the server did not answer in that time and the last
     *     value read from it is older than the staleness limit (or none was ever read)
     * @throws CounterRejectedException if the server refused a command (see that class)
     * @throws IllegalStateException if the counter is closed
     */
    @Override
    public long get() {
        long start = System.nanoTime();
        long deadline = start + 2 * owner.timeoutNanos;
        if (!lockUntil(deadline)) {
            return estimate(start);
        }
        try {
            ensureOpen();
            Backoff backoff = new Backoff();
            while (true) {
                try {
                    return sendPending(true, deadline);
                } catch (RuntimeException e) {
                    Link.Failure kind = failed(e);
                    if (kind == Link.Failure.PERMANENT) {
                        throw rejected(e, null, false);
                    }
                    long left = deadline - System.nanoTime();
                    if (kind == Link.Failure.INTERRUPTED || left <= 0 || fresh()) {
                        return estimate(start);
                    }
                    backoff.pause(deadline, this);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends this JVM's pending adds, then takes the value on the server and sets it to zero,
     * exactly once across all JVMs. Thread-safe and blocking: retries until the staleness limit has
     * passed since the call started. Each call is a new drain, under a new id; a drain of this
     * counter that threw in this JVM is finished by it, atomically with its own take, and the
     * value that drain took is returned with this call's rather than lost.
     *
     * @return the value taken from the server
     * @throws CounterUnavailableException if the server did not answer in time; it carries the
     *     drain's id
     * @throws CounterRejectedException if the server refused a command (see that class)
     * @throws IllegalStateException if the counter is closed
     */
    @Override
    public long getAndReset() {
        long deadline = System.nanoTime() + owner.stalenessNanos;
        lockFor(deadline, "getAndReset");
        try {
            // A new id, not the last one that threw: replaying that one would return its result
            // without taking what is there now (and nothing at all if a later drain absorbed it).
            return drain(UUID.randomUUID().toString(), deadline, true);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Like {@link #getAndReset()}, under a drain id the caller chooses, so that a caller who lost
     * the reply (this call threw, or its process restarted) can retry the same drain, from any
     * JVM: a drain id that was already applied returns the value it took then, and takes nothing
     * added since. A drain's record lasts until this JVM's next drain of this counter under
     * another id, or a day. If an earlier drain of this counter threw in this JVM, this call
     * finishes it and returns its value with its own. A drain of another client whose reply that
     * client lost, recovered so, is taken over from it: that client then gets nothing more of it.
     * Not exactly-once (see the README's known limits): an id recovered by two clients, or after
     * its starter already had the result, is counted by each; a recovery that took a record over
     * and lost its own reply can only be finished by that client's retry (a third client's
     * recovery throws, naming it).
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
     * @param drainId the drain's id: 1 to 200 characters, no brace, no control character; unique
     *     per drain
     * @return the value that drain took from the server, plus that of any earlier drain it
     *     finished
     * @throws IllegalArgumentException if {@code drainId} is not a valid id (the message quotes it)
     * @throws CounterUnavailableException if the server did not answer in time; it carries the id
     * @throws CounterRejectedException if the server refused a command (see that class)
     * @throws IllegalStateException if the counter is closed, or if another client has
     *     recovered this drain by its id from the client that ran it (the message names it): that
     *     client holds the value
     */
    public long getAndReset(String drainId) {
        Keys.check(drainId, "drainId");
        long deadline = System.nanoTime() + owner.stalenessNanos;
        lockFor(deadline, "getAndReset");
        try {
            return drain(drainId, deadline, false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns when every add made before this call has been applied on the server. Thread-safe and
     * blocking: retries until the staleness limit has passed since the call started.
     *
     * @throws CounterUnavailableException if the server did not answer in time; the adds stay
     *     pending
     * @throws CounterRejectedException if the server refused a command (see that class)
     * @throws IllegalStateException if the counter is closed
     */
    public void flush() {
        long deadline = System.nanoTime() + owner.stalenessNanos;
        lockFor(deadline, "flush");
        try {
            ensureOpen();
            retrying(() -> sendPending(false, noDeadline()), deadline, null, "flush", false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the sum of every amount added to this counter in this JVM since it was opened,
     * whether sent to the server yet or not, read without a round trip: this JVM's own adds, not
     * the shared value that {@link #get()} returns. Drains do not lower it, since they take from
     * the server's value; adds of other JVMs do not raise it. It wraps like {@code long}.
     *
     * <p>For an exporter that must not talk to the server on every read (counter-micrometer's):
     * the sum of this over every JVM is everything added to the count. Thread-safe and
     * non-blocking, except while the flusher moves the pending adds into a batch (a step without
     * I/O), which a read waits out; never less than an earlier result while only amounts of zero
     * or more are added.
     *
     * @return this JVM's adds to this counter, sent or not
     */
    public long addedInThisJvm() {
        long stamp = takeLock.tryOptimisticRead();
        long sum = taken + pending.get();
        if (takeLock.validate(stamp)) {
            return sum;
        }
        stamp = takeLock.readLock();
        try {
            return taken + pending.get();
        } finally {
            takeLock.unlockRead(stamp);
        }
    }

    /**
     * Returns the last failure of a call or a flush of this counter, if there was one since the
     * server last answered it. Thread-safe.
     *
     * @return the failure, or empty while the server answers
     */
    public Optional<RuntimeException> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** The factory, for tests. */
    RedisCounters owner() {
        return owner;
    }

    /** Whether {@link #close()} has started: {@link RedisCounters#counter} then makes a new one. */
    boolean isClosing() {
        return closeStarted || (state & CLOSED) != 0;
    }

    /**
     * Returns the counter's name, as given.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Sends what is pending, puts back the value of any drain of this counter whose call threw (so
     * that it is counted, once, by a later drain), deletes this counter's records, and takes the
     * counter off its factory; a counter built by {@link #builder} also closes its connection and
     * thread. Retries until the staleness limit, even on an interrupted thread (whose interrupt
     * stays set). Idempotent. Adds must happen before {@code close()}; an add that races it throws.
     *
     * @throws CounterUnavailableException if the server did not answer in time; the message says
     *     how much was not sent and how much is in a batch that the server may have applied
     * @throws CounterRejectedException if the server refused a command (see that class)
     */
    @Override
    public void close() {
        if (ownsFactory) {
            owner.close();
        } else {
            CompletableFuture<?> deleted = closeWithin(System.nanoTime() + owner.stalenessNanos, true);
            try {
                owner.link.await(deleted);
            } catch (RuntimeException e) {
                failed(e);   // the records expire anyway
            }
        }
    }

    /** Returns the counter's name and server. */
    @Override
    public String toString() {
        return "RedisCounter[" + name + " at " + owner.link.description() + "]";
    }

    /**
     * Closes this counter, trying until {@code deadline}; with {@code mayTry} false (the server
     * already failed its factory's last flush) it reports what it holds without trying. Returns
     * the deletion of its records, sent and not awaited, so that a factory closing many counters
     * pipelines them.
     */
    CompletableFuture<?> closeWithin(long deadline, boolean mayTry) {
        lock.lock();
        try {
            if (closeStarted) {
                return CompletableFuture.completedFuture(null);
            }
            closeStarted = true;
            STATE.getAndBitwiseOr(this, CLOSED);
            owner.forget(this);
            if (!mayTry && (hasInFlight || pending.get() != 0L || drains.anyUndelivered())) {
                throw unavailable(new IllegalStateException("not tried: the factory's last flush failed"),
                        null, "close", true);
            }
            // An interrupt must not cost the pending adds: clear it for the last exchanges.
            boolean interrupted = Thread.interrupted();
            try {
                retrying(this::finishOnServer, deadline, null, "close", true);
                return deleteRecords();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- The flusher's side: one pipeline for every changed counter ----

    /** Puts this counter on its factory's list of changed counters, unless it is on it. */
    void markChanged() {
        for (int seen = state; (seen & QUEUED) == 0; seen = state) {
            if (STATE.compareAndSet(this, seen, seen | QUEUED)) {
                try {
                    owner.changed(this);
                } catch (RuntimeException | Error e) {
                    // Not on the list: the next add or round must be able to list it.
                    STATE.getAndBitwiseAnd(this, ~QUEUED);
                    throw e;
                }
                return;
            }
        }
    }

    /** Whether the pending amount, either sign, has reached the flush threshold. */
    boolean pastThreshold() {
        long sum = pending.get();
        return sum >= owner.threshold || sum <= -owner.threshold;
    }

    /**
     * Sends this counter's batch without waiting for the reply, holding the lock until
     * {@link #finishFlush}; returns null if there is nothing to send or a call holds the lock
     * (that call sends what is pending).
     */
    CompletableFuture<String> startFlush() {
        if (!lock.tryLock()) {
            owner.changed(this);   // still flagged as on the list: put it back for the next flush
            return null;
        }
        boolean started = false;
        try {
            // Before taking what is pending: an add that still sees the flag is taken now.
            STATE.getAndBitwiseAnd(this, ~QUEUED);
            if (closeStarted) {
                return null;
            }
            if (!hasInFlight) {
                long delta = takePending();
                if (delta == 0L) {
                    return null;
                }
                newBatch(delta, null);
            }
            CompletableFuture<String> reply;
            try {
                reply = sendBatch();
            } catch (RuntimeException notSent) {
                reply = CompletableFuture.failedFuture(notSent);   // finishFlush records it
            }
            started = true;
            return reply;
        } finally {
            if (!started) {
                lock.unlock();
            }
        }
    }

    /**
     * Waits for the reply of {@link #startFlush}, and for {@code durable} (the round's
     * {@code WAIT}, or null), until {@code deadline}; returns null, or the kind of failure.
     * Releases the lock, whatever it throws.
     */
    Link.Failure finishFlush(CompletableFuture<String> reply, CompletableFuture<Void> durable, long deadline) {
        try {
            batchApplied(parse(owner.link.await(owner.link.acknowledged(reply, durable), deadline)));
            return null;
        } catch (RuntimeException e) {
            return failed(e);
        } finally {
            try {
                if (hasInFlight || pending.get() != 0L) {
                    markChanged();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Releases the lock of a {@link #startFlush} whose round failed before its reply was awaited:
     * the batch stays in flight, sent again by the next flush or call. Allocates nothing.
     */
    void abandonFlush() {
        STATE.getAndBitwiseAnd(this, ~QUEUED);   // so that the next add lists it again, if relist() cannot
        lock.unlock();
        relist();
    }

    /**
     * Puts this counter back on its factory's list after a round took it off and failed; if even
     * that fails (no memory for the list's node), its next add or call lists it again.
     */
    void relist() {
        try {
            STATE.getAndBitwiseAnd(this, ~QUEUED);
            markChanged();
        } catch (RuntimeException | Error e) {
            STATE.getAndBitwiseAnd(this, ~QUEUED);
        }
    }

    // ---- Everything below runs under the lock ----

    /** A deadline that leaves each reply the whole command timeout. */
    private long noDeadline() {
        return System.nanoTime() + owner.timeoutNanos;
    }

    /**
     * {@code made}: this counter made the id. Otherwise it is the caller's: this client is its
     * origin if it has sent it before and still has it on record (a retry), else the call claims
     * it (it may be recovering another client's drain). Decided once, for every attempt of the
     * call, so that a retry after a refused first attempt keeps the call's role.
     */
    private long drain(String id, long deadline, boolean made) {
        ensureOpen();
        List<String> absorb = drains.toAbsorb(id);
        boolean origin = made || (drains.known(id) && !drains.claimed(id));
        long number = ++drainCalls;
        String reply = retrying(() -> {
            sendPending(false, noDeadline());
            return runDrain(id, absorb, true, origin, number);
        }, deadline, id, "getAndReset", false);
        // "=": a replay, "-": recovered by another client meanwhile; either absorbed nothing now.
        drains.returned(id, absorb, reply.charAt(0) != '+');
        if (reply.charAt(0) == '-' && !origin) {
            // A recovery that finds the drain taken over by another recovery: say so, rather
            // than return 0 as if nothing were there (that client holds the value).
            throw new IllegalStateException("drain '" + id + "' of counter '" + name + "' was"
                    + " recovered by another client (" + reply.substring(1) + "), which holds its"
                    + " value: only that client's retry of getAndReset(\"" + id + "\") returns it");
        }
        lastValue = 0L;
        return reply.charAt(0) == '-' ? 0L : sum(reply.substring(1));
    }

    /**
     * Runs the drain script; returns its reply: {@code "+"} or {@code "="} and the result, or
     * {@code "-"} and that client's id if another client has recovered the drain by its id (its
     * result is that one's).
     */
    private String runDrain(String id, List<String> absorb, boolean take, boolean origin, long number) {
        String[] args = new String[7 + absorb.size()];
        args[0] = Long.toString(RedisCounters.DRAIN_MEMORY.toSeconds());
        args[1] = Integer.toString(absorb.size());
        args[2] = take ? "1" : "0";
        args[3] = keys.client;
        args[4] = origin ? "1" : "0";
        args[5] = Long.toString(number);
        args[6] = Long.toString(RedisCounters.SEQ_MEMORY.toSeconds());
        for (int i = 0; i < absorb.size(); i++) {
            args[7 + i] = drains.claimed(absorb.get(i)) ? "0" : "1";   // each absorbed drain's role
        }
        lastCommand = Command.DRAIN;
        lastDrainId = id;
        CompletableFuture<String> sent = owner.link.script(Scripts.DRAIN, Scripts.DRAIN_SHA,
                drains.scriptKeys(id, absorb), args);
        drains.sent(id, !origin);
        String reply = owner.link.await(owner.link.acknowledged(sent));
        if (reply == null || reply.isEmpty()
                || (reply.charAt(0) != '+' && reply.charAt(0) != '=' && reply.charAt(0) != '-')) {
            throw notACount(keys.drain(id), reply);
        }
        return reply;
    }

    /**
     * The last exchanges of {@link #close()}: the pending adds; the results of drains whose calls
     * threw, put back into the value with one batch that also empties their record (so they are
     * counted once, by a later drain); then this counter's own records.
     */
    private Void finishOnServer() {
        sendPending(false, noDeadline());
        if (drains.anyUndelivered()) {
            String putBack = drains.putBackId();
            List<String> absorb = drains.toAbsorb(putBack);
            // A retry replays this drain, whose record the put-back batch empties: never twice.
            String reply = runDrain(putBack, absorb, false, true, ++drainCalls);
            drains.putBack(absorb);
            newBatch(reply.charAt(0) == '-' ? 0L : sum(reply.substring(1)), keys.drain(putBack));
            batchApplied(parse(owner.link.await(owner.link.acknowledged(sendBatch()))));
            drains.putBackApplied();
        }
        return null;
    }

    /**
     * Deletes this counter's seq and the records of delivered drains, once everything is sent; one
     * attempt, not awaited here, as their expiry deletes them anyway. No batch of this client can arrive after it:
     * every earlier one was acknowledged, on the connection that this command follows.
     */
    private CompletableFuture<?> deleteRecords() {
        List<String> records = drains.deliveredRecords();
        if (seq == 0L && drainCalls == 0L && records.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        records.add(0, keys.seq);
        records.add(1, keys.drainNumber);
        try {
            // Only records this client still owns: another client may have recovered one.
            return owner.link.script(Scripts.FORGET, Scripts.FORGET_SHA,
                    records.toArray(String[]::new), keys.client);
        } catch (RuntimeException notSent) {
            return CompletableFuture.failedFuture(notSent);
        }
    }

    /**
     * Sends the batch in flight, if any, then what is pending now, if anything; with
     * {@code read} and nothing to send, reads the value instead. Each reply is awaited for at most
     * the command timeout, or until {@code deadline}. Returns the server's value after the last
     * round trip (or the last value known when nothing was sent or read).
     */
    private long sendPending(boolean read, long deadline) {
        boolean sent = false;
        for (int batch = 0; batch < 2; batch++) {
            if (!hasInFlight) {
                long delta = takePending();
                if (delta == 0L) {
                    break;
                }
                newBatch(delta, null);
            }
            batchApplied(parse(owner.link.await(owner.link.acknowledged(sendBatch()), deadline)));
            sent = true;
        }
        if (read && !sent) {
            lastCommand = Command.GET;
            heard(parse(owner.link.await(owner.link.get(keys.value), deadline)));
        }
        return lastValue;
    }

    /** Takes what is pending, exactly once, and accounts for it in {@link #addedInThisJvm()}. */
    private long takePending() {
        long stamp = takeLock.writeLock();
        try {
            long delta = pending.getAndReset();
            taken += delta;
            return delta;
        } finally {
            takeLock.unlockWrite(stamp);
        }
    }

    private void newBatch(long delta, String emptied) {
        seq++;
        inFlight = delta;
        hasInFlight = true;
        inFlightEmptied = emptied;
        inFlightSent = false;
    }

    /** Sends the batch in flight, the same at every retry. */
    private CompletableFuture<String> sendBatch() {
        String[] emptied = inFlightEmptied == null ? new String[0] : new String[] {inFlightEmptied};
        String[] batchKeys = new String[2 + emptied.length];
        batchKeys[0] = keys.value;
        batchKeys[1] = keys.seq;
        System.arraycopy(emptied, 0, batchKeys, 2, emptied.length);
        lastCommand = Command.ADD;
        CompletableFuture<String> reply = owner.link.script(Scripts.ADD, Scripts.ADD_SHA, batchKeys,
                Scripts.addArgs(seq, inFlight));
        inFlightSent = true;
        return reply;
    }

    private void batchApplied(long value) {
        hasInFlight = false;
        heard(value);
    }

    private void heard(long value) {
        lastValue = value;
        heardFromServer = true;
        lastHeardNanos = System.nanoTime();
        if (lastFailure != null) {
            lastFailure = null;
            owner.answered();
        }
    }

    /** Records a failure, has the factory log it, and says what kind it is. */
    private Link.Failure failed(RuntimeException e) {
        lastFailure = e;
        owner.link.failedWith(e);
        Link.Failure kind = owner.link.classify(e);
        owner.failed(this, e, kind);
        return kind;
    }

    private <T> T retrying(Supplier<T> step, long deadline, String drainId, String call, boolean closing) {
        Backoff backoff = new Backoff();
        while (true) {
            try {
                return step.get();
            } catch (RuntimeException e) {
                Link.Failure kind = failed(e);
                if (kind == Link.Failure.PERMANENT) {
                    throw rejected(e, drainId, closing);
                }
                long left = deadline - System.nanoTime();
                if (kind == Link.Failure.INTERRUPTED || left <= 0) {
                    throw unavailable(e, drainId, call, closing);
                }
                backoff.pause(deadline, this);
            }
        }
    }

    /**
     * Takes the lock, waiting until {@code deadline} at most (another call holds it for as long as
     * its own limit), interruptibly; throws {@link CounterUnavailableException} if it cannot.
     */
    private void lockFor(long deadline, String call) {
        if (!lockUntil(deadline)) {
            throw new CounterUnavailableException("'" + name + "': " + call + " gave up waiting for "
                    + "another call of this counter (staleness limit "
                    + Duration.ofNanos(owner.stalenessNanos).toMillis() + " ms)"
                    + (Thread.currentThread().isInterrupted() ? "; interrupted" : "")
                    + "; nothing was sent by this call", Duration.ofNanos(System.nanoTime() - lastHeardNanos),
                    null, lastFailure);
        }
    }

    private boolean lockUntil(long deadline) {
        try {
            return lock.tryLock(Math.max(0L, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether the last value read from the server is younger than the staleness limit. */
    private boolean fresh() {
        return heardFromServer && System.nanoTime() - lastHeardNanos <= owner.stalenessNanos;
    }

    /** What {@link #get()} returns when the server did not answer in time, or its exception. */
    private long estimate(long start) {
        // Read without the lock when a caller holds it: a racy estimate, never a lost add.
        if (!fresh()) {
            throw unavailable(lastFailure != null ? lastFailure
                    : new IllegalStateException("another call held the counter"), null, "get", false);
        }
        return lastValue + (hasInFlight ? inFlight : 0L) + pending.get();
    }

    private CounterUnavailableException unavailable(RuntimeException last, String drainId, String call,
            boolean closing) {
        Duration age = Duration.ofNanos(System.nanoTime() - lastHeardNanos);
        String message = "Redis at " + owner.link.description() + " did not answer " + call + " of '"
                + name + "' (staleness limit " + Duration.ofNanos(owner.stalenessNanos).toMillis()
                + " ms; last heard from " + (heardFromServer ? age.toMillis() + " ms ago" : "never")
                + "; last failure: " + last.getMessage() + "); " + fate(drainId, closing, false);
        return new CounterUnavailableException(message, age, drainId, last);
    }

    private CounterRejectedException rejected(RuntimeException e, String drainId, boolean closing) {
        return new CounterRejectedException("Redis at " + owner.link.description() + " refused "
                + describe(lastCommand) + " of counter '" + name + "': " + e.getMessage()
                + " (not retried: this will not pass by waiting); " + fate(drainId, closing, true),
                drains.mayHaveApplied(drainId) ? drainId : null, e);
    }

    private String describe(Command command) {
        return switch (command) {
            case NONE -> "nothing";
            case GET -> "GET " + keys.value;
            case ADD -> "the add script (EVALSHA or EVAL; GET, INCRBY, SET on " + keys.value + " and "
                    + keys.seq + ")";
            case DRAIN -> "the drain script (EVALSHA or EVAL; GET, SET, DEL on " + keys.value + " and "
                    + keys.drain(lastDrainId) + ")";
        };
    }

    /** The kinds of command a counter sends. */
    private enum Command { NONE, GET, ADD, DRAIN }

    private String fate(String drainId, boolean closing, boolean refused) {
        long unknown = hasInFlight && inFlightSent ? inFlight : 0L;
        long notSent = pending.get() + (hasInFlight && !inFlightSent ? inFlight : 0L);
        return Fate.of(notSent, unknown, drains.undelivered(), drainId, closing, refused);
    }

    private long parse(String value) {
        if (value == null) {
            return 0L;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw notACount(keys.value, value);
        }
    }

    /** Sums a drain result, decimals separated by spaces, with {@code long} wrap-around. */
    private long sum(String result) {
        long total = 0L;
        for (String part : result.split(" ")) {
            if (!part.isEmpty()) {
                total += parse(part);
            }
        }
        return total;
    }

    private RedisCommandExecutionException notACount(String key, String value) {
        return new RedisCommandExecutionException("WRONGTYPE " + key + " holds '" + value
                + "', not a count: another program wrote it");
    }

    private void ensureOpen() {
        if ((state & CLOSED) != 0) {
            throw new IllegalStateException("counter '" + name + "' is closed");
        }
    }

    /**
     * Settings of a lone {@link RedisCounter}, the same as those of {@link RedisCounters.Builder};
     * {@link #build()} starts its connection's thread. Not thread-safe.
     *
     * <pre>{@code
     * RedisCounter.Builder b = RedisCounter.builder(client, RedisURI.create("redis://localhost:6379"), "logins");
     * b.flushInterval(Duration.ofSeconds(1)).stalenessLimit(Duration.ofMinutes(1)).keyPrefix("shop:");
     * try (RedisCounter logins = b.build()) {
     *     logins.increment();
     * }
     * }</pre>
     */
    public static final class Builder {

        private final RedisCounters.Builder factory;
        private final String name;

        private Builder(RedisCounters.Builder factory, String name) {
            this.factory = factory;
            this.name = Keys.check(name, "name");
            factory.label = name;
        }

        /**
         * Sets how often pending adds are sent; see {@link RedisCounters.Builder#flushInterval}.
         *
         * @param interval at least 1 ms, at most 1 day
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is below 1 ms or above 1 day
         */
        public Builder flushInterval(Duration interval) {
            factory.flushInterval(interval);
            return this;
        }

        /**
         * Sets the pending amount at which a flush starts early; see
         * {@link RedisCounters.Builder#flushThreshold}.
         *
         * @param threshold a positive amount
         * @return this builder
         * @throws IllegalArgumentException if {@code threshold} is zero or negative
         */
        public Builder flushThreshold(long threshold) {
            factory.flushThreshold(threshold);
            return this;
        }

        /**
         * Sets how long one round trip may take; see {@link RedisCounters.Builder#commandTimeout}.
         *
         * @param timeout at least 1 ms, at most 1 day
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is below 1 ms or above 1 day
         */
        public Builder commandTimeout(Duration timeout) {
            factory.commandTimeout(timeout);
            return this;
        }

        /**
         * Sets how long calls retry and how old an estimate may be; see
         * {@link RedisCounters.Builder#stalenessLimit}.
         *
         * @param limit zero, or 1 ms to 1 day
         * @return this builder
         * @throws IllegalArgumentException if {@code limit} is negative or below 1 ms but not zero
         */
        public Builder stalenessLimit(Duration limit) {
            factory.stalenessLimit(limit);
            return this;
        }

        /**
         * Sets the prefix of the counter's keys; see {@link RedisCounters.Builder#keyPrefix}.
         *
         * @param prefix the prefix, possibly empty
         * @return this builder
         * @throws IllegalArgumentException if {@code prefix} has a brace or a control character, or
         *     more than 200 characters
         */
        public Builder keyPrefix(String prefix) {
            factory.keyPrefix(prefix);
            return this;
        }

        /**
         * Sets whether a JVM that exits without closing the counter sends its pending adds from a
         * shutdown hook; see {@link RedisCounters.Builder#shutdownHook}.
         *
         * @param enabled false to opt out; default true
         * @return this builder
         */
        public Builder shutdownHook(boolean enabled) {
            factory.shutdownHook(enabled);
            return this;
        }

        /**
         * Makes every batch and drain wait for replicas; see
         * {@link RedisCounters.Builder#waitForReplicas}.
         *
         * @param replicas how many replicas must acknowledge, 1 or more
         * @param wait how long {@code WAIT} may wait, at least 1 ms and less than the command timeout
         * @return this builder
         * @throws IllegalArgumentException if {@code replicas} is below 1 or {@code wait} below 1 ms
         */
        public Builder waitForReplicas(int replicas, Duration wait) {
            factory.waitForReplicas(replicas, wait);
            return this;
        }

        /**
         * Makes every batch and drain wait for the server's append-only file; see
         * {@link RedisCounters.Builder#waitForAof}.
         *
         * @param wait how long {@code WAITAOF} may wait, at least 1 ms and less than the command timeout
         * @return this builder
         * @throws IllegalArgumentException if {@code wait} is below 1 ms or above 1 day
         */
        public Builder waitForAof(Duration wait) {
            factory.waitForAof(wait);
            return this;
        }

        /**
         * Builds the counter and starts its flusher thread. Does not connect: the first flush or
         * call does, so a counter can be built while the server is down.
         *
         * @return a new counter; close it to stop its thread and send its last adds
         * @throws IllegalStateException if the replica or append-only-file wait is not shorter than
         *     the command timeout
         */
        public RedisCounter build() {
            return factory.build().lone(name);
        }
    }
}
