package dev.tally.counter.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerListOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import java.nio.charset.StandardCharsets;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one connection that all counters of a {@link RedisCounters} share (to one server, or to a
 * cluster through Lettuce's cluster connection, which keeps one connection per node), with the
 * scripts' {@code NOSCRIPT} fallback and the sorting of failures into transient and permanent.
 * Thread-safe: Lettuce pipelines the commands of every thread on the connection, and the
 * connection is opened on first use, so that counters can be built while the server is down.
 */
final class Link implements AutoCloseable {

    /** The factory's logger: users configure one name for everything this module logs. */
    private static final System.Logger LOG = System.getLogger(RedisCounters.class.getName());

    /** What a failure says about the next attempt. */
    enum Failure {
        /** The server may answer the same command later: retry it until the call's deadline. */
        TRANSIENT,
        /** The server will refuse the command again until someone changes its set-up: fail now. */
        PERMANENT,
        /** The calling thread was interrupted: stop retrying, keep the interrupt. */
        INTERRUPTED
    }

    /**
     * Error words with which a server says "not now": still loading, busy with a script, a slot
     * moving or a cluster or failover in progress, too few replicas ({@code NOAOF} is this
     * class's own word, for an append-only file that did not sync in time). Any other error reply is the
     * server's refusal (an ACL, a wrong type, a key in another slot, scripting off).
     */
    private static final List<String> TRANSIENT_ERRORS = List.of("LOADING", "BUSY", "TRYAGAIN",
            "CLUSTERDOWN", "MASTERDOWN", "READONLY", "NOREPLICAS", "NOTREADY", "UNBLOCKED", "NOAOF");

    /**
     * Redirections, transient through a cluster connection only: Lettuce follows them itself, so
     * one that reaches us means a slot moved while its topology was out of date (a
     * resharding or failover in progress: the next attempt, after a refresh, goes to the new
     * node). Through a plain connection they mean the wrong node, for good.
     */
    private static final List<String> CLUSTER_REDIRECTIONS = List.of("MOVED", "ASK");

    /** Redis 7.2's {@code WAITAOF}, which Lettuce has no method for. */
    private static final ProtocolKeyword WAITAOF = new ProtocolKeyword() {
        private final byte[] bytes = "WAITAOF".getBytes(StandardCharsets.US_ASCII);

        @Override
        public byte[] getBytes() {
            return bytes.clone();
        }

        @Override
        public String toString() {
            return "WAITAOF";
        }
    };

    private final String description;
    private final Supplier<CompletableFuture<? extends StatefulConnection<String, String>>> connect;
    private final Function<StatefulConnection<String, String>, RedisClusterAsyncCommands<String, String>> async;
    /** Whether this is a cluster connection, through which redirections are transient. */
    private final boolean cluster;
    private final long timeoutNanos;
    /**
     * Replicas that must acknowledge each write (Redis {@code WAIT}), whether the append-only
     * files must have it ({@code WAITAOF}), and how long to wait.
     */
    private int replicas;
    private boolean aof;
    private long durableWaitMillis;

    private volatile String evictionPolicy;
    /** Counts the connection's drops, so that a durability wait can tell it outlived one. */
    private volatile long disconnects;
    private final RedisConnectionStateListener dropCounter = new RedisConnectionStateListener() {
        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            disconnects++;   // only Lettuce's one event thread per connection writes it
        }
    };

    // Guarded by this.
    private StatefulConnection<String, String> connection;
    private CompletableFuture<? extends StatefulConnection<String, String>> connecting;
    private boolean closed;

    private Link(String description,
            Supplier<CompletableFuture<? extends StatefulConnection<String, String>>> connect,
            Function<StatefulConnection<String, String>, RedisClusterAsyncCommands<String, String>> async,
            Duration timeout, boolean cluster) {
        this.description = description;
        this.connect = connect;
        this.async = async;
        this.cluster = cluster;
        this.timeoutNanos = timeout.toNanos();
    }

    @SuppressWarnings("unchecked")
    static Link to(RedisClient client, RedisURI server, Duration timeout) {
        return new Link(describe(server),
                () -> client.connectAsync(StringCodec.UTF8, server).toCompletableFuture(),
                c -> ((StatefulRedisConnection<String, String>) c).async(), timeout, false);
    }

    /**
     * Names a server for messages: its address, or its Sentinel master and sentinels; not
     * {@link RedisURI#toString()}, which shows the URI's own timeout rather than the factory's.
     */
    static String describe(RedisURI server) {
        String scheme = server.isSsl() ? "rediss://" : "redis://";
        String where;
        if (!server.getSentinels().isEmpty()) {
            StringBuilder sentinels = new StringBuilder();
            for (RedisURI sentinel : server.getSentinels()) {
                sentinels.append(sentinels.length() == 0 ? "" : ",")
                        .append(sentinel.getHost()).append(':').append(sentinel.getPort());
            }
            where = "the master '" + server.getSentinelMasterId() + "' of sentinels " + sentinels;
        } else if (server.getSocket() != null) {
            where = "redis-socket://" + server.getSocket();
        } else {
            where = scheme + server.getHost() + ":" + server.getPort();
        }
        return server.getDatabase() == 0 ? where : where + " (database " + server.getDatabase() + ")";
    }

    @SuppressWarnings("unchecked")
    static Link to(RedisClusterClient client, Duration timeout) {
        // Lettuce's asynchronous connect needs the cluster's topology loaded first.
        return new Link("a Redis Cluster", () -> client.refreshPartitionsAsync().toCompletableFuture()
                        .thenCompose(loaded -> client.connectAsync(StringCodec.UTF8)),
                c -> ((StatefulRedisClusterConnection<String, String>) c).async(), timeout, true);
    }

    /** Runs {@code script} by its digest, loading it with {@code EVAL} if the server lost it. */
    CompletableFuture<String> script(String script, String sha, String[] keys, String... args) {
        RedisClusterAsyncCommands<String, String> commands = commands();
        CompletableFuture<String> first = commands.<String>evalsha(sha, ScriptOutputType.VALUE, keys, args)
                .toCompletableFuture();
        return first.handle((value, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(value);
            }
            if (unwrap(failure) instanceof RedisNoScriptException) {
                // A restart or SCRIPT FLUSH emptied the script cache: EVAL loads it again.
                CompletableFuture<String> loaded = commands.<String>eval(script, ScriptOutputType.VALUE, keys, args)
                        .toCompletableFuture();
                // The caller's WAIT went out before this EVAL: one sent now covers it.
                return acknowledged(loaded, durableWait(commands));
            }
            return CompletableFuture.<String>failedFuture(unwrap(failure));
        }).thenCompose(Function.identity());
    }

    /**
     * Makes every write wait, for at most {@code wait}, until {@code replicas} replicas hold it
     * ({@code WAIT}) or, with {@code aof}, until the server's append-only file and that of
     * {@code replicas} replicas have it on disk ({@code WAITAOF}); set before use.
     */
    Link waitForDurability(int replicas, boolean aof, Duration wait) {
        this.replicas = replicas;
        this.aof = aof;
        this.durableWaitMillis = wait.toMillis();
        return this;
    }

    /**
     * Sends {@code WAIT} or {@code WAITAOF} for the writes sent so far on this connection, or
     * returns null when nothing needs to acknowledge them. The future fails with a transient
     * error when too few acknowledged in time.
     */
    CompletableFuture<Void> durableWait() {
        return durableWait(null);
    }

    private CompletableFuture<Void> durableWait(RedisClusterAsyncCommands<String, String> on) {
        if (replicas == 0 && !aof) {
            return null;
        }
        RedisClusterAsyncCommands<String, String> commands = on != null ? on : commands();
        // A WAIT that Lettuce re-sends on a new connection counts that connection's writes, none
        // (Redis 7.2 and later start each client at offset 0): its answer says nothing of ours.
        long epoch = disconnects;
        if (!aof) {
            return commands.waitForReplication(replicas, durableWaitMillis).toCompletableFuture()
                    .thenAccept(acknowledged -> {
                        checkSameConnection(epoch);
                        if (acknowledged < replicas) {
                            throw shortOf("NOREPLICAS " + acknowledged + " of " + replicas + " replicas");
                        }
                    });
        }
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8)
                .add(1).add(replicas).add(durableWaitMillis);
        return commands.dispatch(WAITAOF, new IntegerListOutput<>(StringCodec.UTF8), args)
                .toCompletableFuture()
                .thenAccept(reply -> {
                    checkSameConnection(epoch);
                    long local = reply.size() > 0 ? reply.get(0) : 0L;
                    long remote = reply.size() > 1 ? reply.get(1) : 0L;
                    if (local < 1) {
                        throw shortOf("NOAOF the server's append-only file");
                    }
                    if (remote < replicas) {
                        throw shortOf("NOREPLICAS the append-only files of " + remote + " of " + replicas
                                + " replicas");
                    }
                });
    }

    private void checkSameConnection(long epoch) {
        if (disconnects != epoch) {
            throw new CompletionException(new RedisCommandExecutionException("NOREPLICAS the "
                    + "connection dropped while waiting: the write is not known to be durable"));
        }
    }

    private CompletionException shortOf(String what) {
        return new CompletionException(new RedisCommandExecutionException(what
                + " acknowledged the write within " + durableWaitMillis + " ms"));
    }

    /**
     * The reply of {@code write} once {@code wait} (from {@link #durableWait()}, sent after the
     * write) says it is durable; a write that too few acknowledged fails with {@code NOREPLICAS}
     * or {@code NOAOF}, transient failures, and is retried (each write here can be).
     */
    CompletableFuture<String> acknowledged(CompletableFuture<String> write, CompletableFuture<Void> wait) {
        return wait == null ? write : write.thenCombine(wait, (reply, durable) -> reply);
    }

    /** {@code write}'s reply once it is durable; see {@link #acknowledged}. */
    CompletableFuture<String> acknowledged(CompletableFuture<String> write) {
        try {
            return acknowledged(write, durableWait());
        } catch (RuntimeException notSent) {
            return CompletableFuture.failedFuture(notSent);
        }
    }

    /**
     * Connects, if not connected, waiting for it at most the command timeout; so that a round of
     * many counters finds the connection open rather than each failing with "still connecting".
     * Throws as a command would.
     */
    void connect() {
        commands();
    }

    /** Reads one key. */
    CompletableFuture<String> get(String key) {
        return commands().get(key).toCompletableFuture();
    }

    /** Waits for {@code reply} for at most the command timeout; throws a {@link RedisException}. */
    <T> T await(CompletableFuture<T> reply) {
        return await(reply, System.nanoTime() + timeoutNanos);
    }

    /**
     * Waits for {@code reply} until the command timeout has passed, or until {@code deadline}
     * (a {@link System#nanoTime()} value) if that comes first; throws a {@link RedisException}.
     */
    <T> T await(CompletableFuture<T> reply, long deadline) {
        long wait = Math.min(timeoutNanos, Math.max(0L, deadline - System.nanoTime()));
        try {
            return reply.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // The command may still run after this: a seq or a drain id makes its retry harmless.
            throw new RedisCommandTimeoutException("no reply from " + description + " within "
                    + Duration.ofNanos(wait).toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandInterruptedException(e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e.getCause());
            throw cause instanceof RedisException redis ? redis : new RedisException(cause);
        }
    }

    /**
     * Drops the connection after a {@code READONLY} reply: the server was demoted by a failover
     * and keeps the connection, so only a new one, which a Sentinel URI resolves to the new
     * master, reaches a server that takes writes.
     */
    void failedWith(RuntimeException e) {
        if (e instanceof RedisCommandExecutionException && String.valueOf(e.getMessage()).startsWith("READONLY")) {
            StatefulConnection<String, String> demoted;
            synchronized (this) {
                demoted = connection;
                connection = null;
            }
            if (demoted != null) {
                demoted.closeAsync();
            }
        }
    }

    /** Sorts a failure of {@link #await} or of sending a command on this link. */
    Failure classify(RuntimeException e) {
        if (cluster && e instanceof RedisCommandExecutionException) {
            String words = String.valueOf(e.getMessage()).toUpperCase(Locale.ROOT);
            for (String redirection : CLUSTER_REDIRECTIONS) {
                // The reply's first word only: other errors may quote a value or a name.
                if (words.startsWith(redirection + " ")) {
                    return Failure.TRANSIENT;
                }
            }
        }
        return classifyAny(e);
    }

    /** Sorts a failure the same way on any link. */
    static Failure classifyAny(RuntimeException e) {
        if (e instanceof RedisCommandInterruptedException) {
            return Failure.INTERRUPTED;
        }
        if (e instanceof RedisConnectionException) {
            // A refused handshake (WRONGPASS, NOAUTH, NOPERM on HELLO) comes wrapped in one.
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof RedisCommandExecutionException refused) {
                    return classifyAny(refused);
                }
            }
            return Failure.TRANSIENT;
        }
        if (e instanceof RedisCommandExecutionException) {
            String words = String.valueOf(e.getMessage()).toUpperCase(Locale.ROOT);
            for (String transientError : TRANSIENT_ERRORS) {
                if (words.startsWith(transientError) || words.contains(" " + transientError + " ")) {
                    return Failure.TRANSIENT;
                }
            }
            return Failure.PERMANENT;
        }
        return e instanceof RedisException ? Failure.TRANSIENT : Failure.PERMANENT;
    }

    String description() {
        return description;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (connecting != null) {
            connecting.thenAccept(StatefulConnection::close);
            connecting = null;
        }
    }

    /**
     * The connection's commands, connecting first if needed: a connect is awaited for at most the
     * command timeout, outside the lock, and one that outlives it is kept for the next call.
     */
    private RedisClusterAsyncCommands<String, String> commands() {
        CompletableFuture<? extends StatefulConnection<String, String>> attempt;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the connection to " + description + " is closed");
            }
            if (connection != null) {
                if (!connection.isOpen()) {
                    // Lettuce reconnects by itself; sending now would only queue the command
                    // behind the outage, one more for each retry, so fail at once and back off.
                    throw new RedisConnectionException("not connected to " + description + ", reconnecting");
                }
                return async.apply(connection);
            }
            if (connecting != null) {
                // Another call started it and waits for it: fail at once rather than wait a
                // timeout per caller (a flush of many counters would wait once per counter).
                if (!connecting.isDone()) {
                    throw new RedisConnectionException("still connecting to " + description);
                }
            } else {
                connecting = connect.get();
            }
            attempt = connecting;
        }
        StatefulConnection<String, String> opened;
        try {
            opened = attempt.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new RedisConnectionException("still connecting to " + description);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandInterruptedException(e);
        } catch (ExecutionException failed) {
            synchronized (this) {
                if (connecting == attempt) {
                    connecting = null;
                }
            }
            Throwable cause = unwrap(failed);
            throw cause instanceof RedisException redis ? redis
                    : new RedisConnectionException("cannot connect to " + description, cause);
        }
        synchronized (this) {
            if (connecting == attempt) {
                connecting = null;
                if (closed) {
                    opened.close();
                    throw new IllegalStateException("the connection to " + description + " is closed");
                }
                connection = opened;
                if (opened instanceof RedisChannelHandler<?, ?> handler) {
                    handler.addListener(dropCounter);
                }
                checkEvictionPolicy(async.apply(opened));
            } else if (connection == null) {
                throw new IllegalStateException("the connection to " + description + " is closed");
            }
            return async.apply(connection);
        }
    }

    /**
     * Warns, once per connection, when the server may evict the keys that keep counts exact. Best
     * effort: a server or an ACL user that refuses {@code CONFIG GET} is not checked.
     */
    private void checkEvictionPolicy(RedisClusterAsyncCommands<String, String> commands) {
        try {
            commands.configGet("maxmemory-policy").toCompletableFuture().whenComplete((config, refused) -> {
                if (refused != null || config == null) {
                    LOG.log(Level.DEBUG, () -> "could not read maxmemory-policy of " + description
                            + ": " + (refused != null ? unwrap(refused).getMessage() : "no reply"));
                    return;
                }
                String policy = config.getOrDefault("maxmemory-policy", "");
                evictionPolicy = policy;
                if (policy.startsWith("volatile-") || policy.startsWith("allkeys-")) {
                    LOG.log(Level.WARNING, () -> "Redis at " + description + " has maxmemory-policy "
                            + policy + ": when full it may evict "
                            + (policy.startsWith("allkeys-") ? "the counters' values, and " : "")
                            + "the records that stop a retried batch or drain from counting twice "
                            + "(they carry a time to live); counts are exact only with noeviction");
                }
            });
        } catch (RuntimeException notSent) {
            LOG.log(Level.DEBUG, () -> "could not ask " + description + " for its maxmemory-policy: "
                    + notSent.getMessage());
        }
    }

    /** The server's {@code maxmemory-policy} as last read, or null if not (yet) read. */
    String evictionPolicy() {
        return evictionPolicy;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
