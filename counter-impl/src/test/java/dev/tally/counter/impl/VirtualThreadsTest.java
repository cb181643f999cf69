package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tally.counter.Counter;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A million short-lived virtual threads, each writing once: the way servers run requests since
 * JDK 21. Skipped on an older JDK; {@code .ci/run} runs it under JDK 25. The project compiles for
 * JDK 17, so the virtual-thread executor is looked up reflectively.
 */
final class VirtualThreadsTest {

    private static final int THREADS = 1_000_000;

    @Test
    void aMillionVirtualThreadsAddingThroughTheCounterMethodsLeaveNoCell() throws Exception {
        PerThreadCounter counter = new PerThreadCounter();
        runOnVirtualThreads(THREADS, Counter::increment, counter);
        assertThat(counter.get()).isEqualTo(THREADS);
        assertThat(counter.cellCount()).as("live cells").isZero();
        assertThat(counter.getAndReset()).isEqualTo(THREADS);
    }

    @Test
    void aMillionVirtualThreadsClosingTheirHandlesLeaveNoCell() throws Exception {
        PerThreadCounter counter = new PerThreadCounter();
        runOnVirtualThreads(THREADS, c -> {
            try (PerThreadCounter.Writer handle = c.writer()) {
                handle.increment();
            }
        }, counter);
        assertThat(counter.get()).isEqualTo(THREADS);
        assertThat(counter.cellCount()).as("live cells").isZero();
    }

    @Test
    void aMillionVirtualThreadsDroppingTheirHandlesAreFoldedByTheNextDrain() throws Exception {
        PerThreadCounter counter = new PerThreadCounter();
        runOnVirtualThreads(THREADS, c -> c.writer().increment(), counter);
        long drained = counter.getAndReset();
        // The executor counts a thread done when its task returns, a moment before the thread
        // itself ends: a drain folds the cell of a thread only once the thread has ended.
        for (int i = 0; i < 100_000 && counter.cellCount() > 0; i++) {
            Thread.yield();
            drained += counter.getAndReset();
        }
        assertThat(drained).isEqualTo(THREADS);
        assertThat(counter.cellCount()).as("live cells after the drains").isZero();
        assertThat(counter.get()).isZero();
    }

    @Test
    void aMillionVirtualThreadsOnAStripedCounterEndExact() throws Exception {
        StripedCounter counter = new StripedCounter();
        runOnVirtualThreads(THREADS, Counter::increment, counter);
        assertThat(counter.get()).isEqualTo(THREADS);
    }

    @Test
    void aHandleUsedFromAnUnnamedVirtualThreadSaysWhichThreads() throws Exception {
        PerThreadCounter counter = new PerThreadCounter();
        PerThreadCounter.Writer handle = counter.writer();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        runOnVirtualThreads(1, c -> {
            try {
                handle.increment();
            } catch (IllegalStateException e) {
                thrown.set(e);
            }
        }, counter);
        assertThat(thrown.get()).hasMessageContaining("VirtualThread[#")
                .hasMessageContaining(Thread.currentThread().getName());
        handle.close();
    }

    /** Starts {@code threads} virtual threads, each running {@code body} once, and waits. */
    static <C> void runOnVirtualThreads(int threads, Consumer<C> body, C counter) throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21 or later");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ExecutorService executor = (ExecutorService) Executors.class
                .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        for (int i = 0; i < threads; i++) {
            executor.execute(() -> {
                try {
                    body.accept(counter);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
        }
        executor.shutdown();
        assertThat(executor.awaitTermination(5, TimeUnit.MINUTES)).as("all threads ended").isTrue();
        assertThat(failure.get()).as("a thread's failure").isNull();
    }
}
