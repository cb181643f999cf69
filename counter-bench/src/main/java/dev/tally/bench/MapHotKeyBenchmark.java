package dev.tally.bench;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.StripedCounterMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * One hot key that every benchmark thread increments: through the map, through a bound
 * {@code counter(key)}, and the peers, {@code computeIfAbsent(key, ..).increment()} on a
 * {@code ConcurrentHashMap<K, LongAdder>} and a plain {@link StripedCounter}. The runner repeats
 * it at 2 and 4 threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MapHotKeyBenchmark {

    private static final String HOT = "/api/orders";

    private final StripedCounterMap<String> tally = new StripedCounterMap<>();
    private final Counter tallyHandle = tally.counter(HOT);
    private final ConcurrentHashMap<String, LongAdder> chm = new ConcurrentHashMap<>();
    private final StripedCounter striped = new StripedCounter();

    /** {@code StripedCounterMap.increment(key)}: a look-up per add. */
    @Benchmark
    public void tallyMapIncrement() {
        tally.increment(HOT);
    }

    /** An increment through {@code StripedCounterMap.counter(key)}: no look-up. */
    @Benchmark
    public void tallyMapCounter() {
        tallyHandle.increment();
    }

    /** The peer: {@code computeIfAbsent(key, ..).increment()} on a map of {@code LongAdder}s. */
    @Benchmark
    public void chmLongAdder() {
        chm.computeIfAbsent(HOT, k -> new LongAdder()).increment();
    }

    /** One {@link StripedCounter}, the floor for {@code tallyMapCounter}. */
    @Benchmark
    public void tallyStriped() {
        striped.increment();
    }
}
