package dev.tally.bench;

import dev.tally.counter.impl.StripedCounterMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Increments spread over 10,000 keys from 4 threads, each thread walking the keys in its own
 * order: {@code StripedCounterMap.increment(key)} beside {@code computeIfAbsent(key, ..)
 * .increment()} on a {@code ConcurrentHashMap<K, LongAdder>}. Every key exists before the
 * measurement.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(4)
public class MapSpreadBenchmark {

    static final int KEYS = 10_000;

    private final String[] keys = new String[KEYS];
    private final StripedCounterMap<String> tally = new StripedCounterMap<>();
    private final ConcurrentHashMap<String, LongAdder> chm = new ConcurrentHashMap<>();

    /** Makes the keys and adds each once to both maps. */
    @Setup
    public void fill() {
        for (int i = 0; i < KEYS; i++) {
            keys[i] = "/api/item/" + i;
            tally.increment(keys[i]);
            chm.computeIfAbsent(keys[i], k -> new LongAdder()).increment();
        }
    }

    /** Each thread's position among the keys. */
    @State(Scope.Thread)
    public static class Cursor {
        private int next;

        /** Starts each thread at its own place. */
        @Setup
        public void start() {
            next = (int) (Thread.currentThread().getId() * 2_503 % KEYS);
        }

        int advance() {
            next += 7;
            if (next >= KEYS) {
                next -= KEYS;
            }
            return next;
        }
    }

    /** {@code StripedCounterMap.increment(key)}. */
    @Benchmark
    public void tallyMapIncrement(Cursor cursor) {
        tally.increment(keys[cursor.advance()]);
    }

    /** The peer, {@code computeIfAbsent(key, ..).increment()}. */
    @Benchmark
    public void chmLongAdder(Cursor cursor) {
        chm.computeIfAbsent(keys[cursor.advance()], k -> new LongAdder()).increment();
    }
}
