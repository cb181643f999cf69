package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A counter that nobody references can be collected while the threads that wrote it live on: a
 * per-request or per-connection counter on a pool's threads must not pile up.
 */
final class DroppedCountersTest {

    private static final int COUNTERS = 10_000;

    private ExecutorService pool;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void perThreadCountersWrittenByAPoolAreCollectedWhileThePoolLives() throws Exception {
        assertThat(collectedOf(() -> {
            PerThreadCounter counter = new PerThreadCounter();
            return () -> {
                counter.increment();
                try (PerThreadCounter.Writer handle = counter.writer()) {
                    handle.increment();
                }
                return counter;
            };
        })).isEqualTo(COUNTERS);
    }

    @Test
    void stripedCountersWrittenByAPoolAreCollectedWhileThePoolLives() throws Exception {
        assertThat(collectedOf(() -> {
            StripedCounter counter = new StripedCounter();
            return () -> {
                counter.increment();
                return counter;
            };
        })).isEqualTo(COUNTERS);
    }

    /**
     * The negative control: a counter whose threads keep a {@code ThreadLocal} value that refers
     * back to it (as {@code PerThreadCounter}'s implicit handles once did) is never collected.
     */
    @Test
    void aCounterThatItsThreadLocalsReferToIsNotCollected() throws Exception {
        assertThat(collectedOf(() -> {
            ThreadLocalCounter counter = new ThreadLocalCounter();
            return () -> {
                counter.increment();
                return counter;
            };
        })).isZero();
    }

    /**
     * Creates {@link #COUNTERS} counters, has each written on a pool thread by the task that
     * {@code tasks} makes for it, drops them, and returns how many the collector then clears.
     */
    private long collectedOf(Supplier<Callable<Counter>> tasks) throws Exception {
        List<WeakReference<Counter>> dropped = new ArrayList<>();
        for (int i = 0; i < COUNTERS; i++) {
            Counter counter = pool.submit(tasks.get()).get();
            assertThat(counter.get()).isPositive();
            dropped.add(new WeakReference<>(counter));
        }
        for (int i = 0; i < 10 && !allCleared(dropped); i++) {
            System.gc();
        }
        return dropped.stream().filter(ref -> ref.get() == null).count();
    }

    private static boolean allCleared(List<WeakReference<Counter>> refs) {
        return refs.stream().allMatch(ref -> ref.get() == null);
    }

    /** One cell per thread in a {@code ThreadLocal} whose value refers back to the counter. */
    private static final class ThreadLocalCounter implements Counter {

        private final List<long[]> cells = new ArrayList<>();
        private final ThreadLocal<Cell> local = ThreadLocal.withInitial(() -> new Cell(this));

        @Override
        public void add(long delta) {
            local.get().value[0] += delta;
        }

        @Override
        public synchronized long get() {
            return cells.stream().mapToLong(cell -> cell[0]).sum();
        }

        @Override
        public long getAndReset() {
            throw new UnsupportedOperationException("not needed by the control");
        }

        private synchronized void register(long[] cell) {
            cells.add(cell);
        }

        private static final class Cell {
            final ThreadLocalCounter owner;
            final long[] value = new long[1];

            Cell(ThreadLocalCounter owner) {
                this.owner = owner;
                owner.register(value);
            }
        }
    }
}
