package dev.tally.bench;

import dev.tally.counter.impl.StripedCounterMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * One drain of 100,000 keys, each holding 1: {@code StripedCounterMap.drain()} beside the peer's
 * iterate-and-{@code sumThenReset()} over a {@code ConcurrentHashMap<K, LongAdder>} (which keeps
 * its keys, and is not exactly-once once it removes any). Each iteration is one drain (single-shot
 * time); before it the keys are added to again, outside the measurement.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
public class MapDrainAllBenchmark {

    static final int KEYS = 100_000;

    private final Long[] keys = new Long[KEYS];
    private final StripedCounterMap<Long> tally = new StripedCounterMap<>();
    private final ConcurrentHashMap<Long, LongAdder> chm = new ConcurrentHashMap<>();

    /** Makes the keys. */
    @Setup
    public void keys() {
        for (int i = 0; i < KEYS; i++) {
            keys[i] = 1_000L + i;
        }
    }

    /** Adds 1 to every key of both maps before each drain. */
    @Setup(Level.Iteration)
    public void refill() {
        for (Long key : keys) {
            tally.increment(key);
            chm.computeIfAbsent(key, k -> new LongAdder()).increment();
        }
    }

    /** {@code StripedCounterMap.drain()}. */
    @Benchmark
    public Map<Long, Long> tallyMapDrain() {
        return tally.drain();
    }

    /** The peer: iterate, {@code sumThenReset()} each adder, collect the non-zero ones. */
    @Benchmark
    public Map<Long, Long> chmLongAdderSumThenReset() {
        Map<Long, Long> out = new HashMap<>();
        chm.forEach((key, adder) -> {
            long v = adder.sumThenReset();
            if (v != 0L) {
                out.put(key, v);
            }
        });
        return out;
    }
}
