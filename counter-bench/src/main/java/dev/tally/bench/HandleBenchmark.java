package dev.tally.bench;

import dev.tally.counter.impl.PerThreadCounter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Opening a {@link PerThreadCounter} handle, one increment, and closing it, beside a number of
 * handles that stay open: the cost must not grow with them. Run on its own:
 *
 * <pre>{@code
 * java -cp <counter-bench classpath> org.openjdk.jmh.Main HandleBenchmark
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HandleBenchmark {

    /** Handles held open by the setup thread for the whole trial. */
    @Param({"0", "1000", "1000000"})
    public int openHandles;

    private PerThreadCounter counter;
    private final List<PerThreadCounter.Writer> held = new ArrayList<>();

    /** Opens the handles that stay open. */
    @Setup(Level.Trial)
    public void open() {
        counter = new PerThreadCounter();
        for (int i = 0; i < openHandles; i++) {
            held.add(counter.writer());
        }
    }

    /** Checks the count, so the benchmark cannot pass while losing adds. */
    @TearDown(Level.Trial)
    public void check() {
        if (counter.get() <= 0) {
            throw new IllegalStateException("no increment was counted");
        }
        held.clear();
    }

    /** Open, increment once, close. */
    @Benchmark
    public void openIncrementClose() {
        try (PerThreadCounter.Writer writer = counter.writer()) {
            writer.increment();
        }
    }
}
