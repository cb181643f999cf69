package dev.tally.counter.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One counter's round trips to the server: the connection (opened on first use, so that a counter
 * can be built while the server is down), the keys, and the scripts with their {@code NOSCRIPT}
 * fallback. Each call waits at most the command timeout and throws a {@link RedisException} on any
 * failure. Not thread-safe: {@link RedisCounter} serializes the calls.
 */
final class Exchange implements AutoCloseable {

    /** How long the server remembers a client's last applied seq after its last batch. */
    static final Duration SEQ_MEMORY = Duration.ofDays(7);
    /** How long the server remembers a drain's result, for retries of that drain. */
    static final Duration DRAIN_MEMORY = Duration.ofDays(1);

    private final RedisClient client;
    private final RedisURI server;
    private final long timeoutNanos;
    private final String valueKey;
    private final String seqKey;
    private final String drainKeyPrefix;
    private StatefulRedisConnection<String, String> connection;
    private CompletableFuture<StatefulRedisConnection<String, String>> connecting;

    Exchange(RedisClient client, RedisURI server, String name, String clientId, Duration timeout) {
        this.client = client;
        this.server = server;
        this.timeoutNanos = timeout.toNanos();
        // The hash tag puts every key of one counter in one cluster slot, as a script requires.
        String prefix = "tally:{" + name + "}:";
        this.valueKey = prefix + "value";
        this.seqKey = prefix + "client:" + clientId;
        this.drainKeyPrefix = prefix + "drain:";
    }

    /** Applies batch {@code seq} unless already applied; returns the value afterwards. */
    long add(long seq, long delta) {
        String[] parts = Scripts.wrapParts(delta);
        String[] args = new String[3 + parts.length];
        args[0] = Long.toString(seq);
        args[1] = Long.toString(SEQ_MEMORY.toSeconds());
        args[2] = Long.toString(delta);
        System.arraycopy(parts, 0, args, 3, parts.length);
        return parse(script(Scripts.ADD, Scripts.ADD_SHA, new String[] {valueKey, seqKey}, args));
    }

    /** Takes the value and zeroes it, once for each drain id; returns what was taken. */
    long drain(String drainId) {
        String[] keys = {valueKey, drainKeyPrefix + drainId};
        return parse(script(Scripts.DRAIN, Scripts.DRAIN_SHA, keys,
                Long.toString(DRAIN_MEMORY.toSeconds())));
    }

    /** Reads the value. */
    long read() {
        return parse(await(() -> open().async().get(valueKey)));
    }

    String server() {
        return server.toString();
    }

    @Override
    public void close() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (connecting != null) {
            connecting.thenAccept(StatefulRedisConnection::close);
            connecting = null;
        }
    }

    private String script(String script, String sha, String[] keys, String... args) {
        StatefulRedisConnection<String, String> c = open();
        try {
            return await(() -> c.async().evalsha(sha, ScriptOutputType.VALUE, keys, args));
        } catch (RedisNoScriptException noScript) {
            // The server lost its script cache (a restart or SCRIPT FLUSH): EVAL loads it again.
            return await(() -> c.async().eval(script, ScriptOutputType.VALUE, keys, args));
        }
    }

    private StatefulRedisConnection<String, String> open() {
        if (connection == null) {
            if (connecting == null) {
                connecting = client.connectAsync(StringCodec.UTF8, server).toCompletableFuture();
            }
            // A connect that outlives the timeout is kept, not cancelled: the next call takes it.
            CompletableFuture<StatefulRedisConnection<String, String>> attempt = connecting;
            try {
                connection = await(() -> attempt);
                connecting = null;
            } catch (RedisCommandTimeoutException stillConnecting) {
                throw new RedisConnectionException("not yet connected to " + server, stillConnecting);
            } catch (RuntimeException failed) {
                connecting = null;
                throw failed;
            }
        } else if (!connection.isOpen()) {
            // Lettuce reconnects by itself; sending now would only queue the command behind the
            // outage, one more for each retry, so fail at once and let the caller back off.
            throw new RedisConnectionException("not connected to " + server + ", reconnecting");
        }
        return connection;
    }

    private <T> T await(Supplier<? extends CompletionStage<T>> call) {
        Future<T> future = call.get().toCompletableFuture();
        try {
            return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // A command may still run after this; the seq or drain id makes its retry harmless.
            throw new RedisCommandTimeoutException("no reply from " + server + " within "
                    + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandInterruptedException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RedisException redis) {
                throw redis;
            }
            throw new RedisException(e.getCause());
        }
    }

    private long parse(String value) {
        if (value == null) {
            return 0L;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new RedisException(valueKey + " on " + server + " holds '" + value
                    + "', not a count: another program wrote it");
        }
    }
}
