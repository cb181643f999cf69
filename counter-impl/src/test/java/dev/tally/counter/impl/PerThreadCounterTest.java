package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Race;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The whole thread-safe contract through the {@link Counter} methods (implicit handles), then the
 * same exact totals through explicit handles, and what handles promise.
 */
final class PerThreadCounterTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new PerThreadCounter();
    }

    /** {@link #write} through the writer's own handle, closed at the end. */
    private static void writeThroughHandle(PerThreadCounter counter, int writer) {
        try (PerThreadCounter.Writer handle = counter.writer()) {
            for (int i = 0; i < OPS_PER_WRITER; i++) {
                long delta = deltaOf(writer, i);
                if (delta == 1L) {
                    handle.increment();
                } else if (delta == -1L) {
                    handle.decrement();
                } else {
                    handle.add(delta);
                }
            }
        }
    }

    @Test
    void handlesEndOnTheExactTotalAndFreeTheirCells() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        Race.run(WRITERS, writer -> writeThroughHandle(counter, writer));
        assertThat(counter.get()).isEqualTo(expectedTotal());
        assertThat(counter.cellCount()).isZero();
    }

    @Test
    void getAndResetCountsEachHandleAddExactlyOnceWhileHandlesOpenAndClose()
            throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        assertDrainsCountEachAddOnce(counter, writer -> writeThroughHandle(counter, writer));
    }

    @Test
    void manyShortLivedThreadsClosingTheirHandlesLoseNothing() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        for (int round = 0; round < 50; round++) {
            Race.run(WRITERS, writer -> {
                try (PerThreadCounter.Writer handle = counter.writer()) {
                    for (int i = 0; i < 1_000; i++) {
                        handle.increment();
                    }
                }
            });
        }
        assertThat(counter.get()).isEqualTo(50L * WRITERS * 1_000);
        assertThat(counter.cellCount()).isZero();
    }

    @Test
    void handlesDroppedWithoutCloseAreFoldedInOnceCollected() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        for (int round = 0; round < 50; round++) {
            Race.run(WRITERS, writer -> {
                PerThreadCounter.Writer handle = counter.writer();
                for (int i = 0; i < 1_000; i++) {
                    handle.increment();
                }
            });
        }
        long expected = 50L * WRITERS * 1_000;
        assertThat(counter.get()).as("before collection").isEqualTo(expected);
        // The collector queues each dropped handle's cell once it finds the handle unreachable,
        // and the next writer() folds what is queued: ask for collections until every cell is
        // gone, within a bound.
        for (int i = 0; i < 200 && counter.cellCount() > 0; i++) {
            System.gc();
            Thread.sleep(10);
            counter.writer().close();
        }
        assertThat(counter.cellCount()).as("cells left after collection").isZero();
        assertThat(counter.get()).as("after folding").isEqualTo(expected);
    }

    @Test
    void handlesOfEndedThreadsAreFoldedWithoutWaitingForACollection() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        // A past peak of open handles must not let ended threads' cells pile up to it.
        List<PerThreadCounter.Writer> peak = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            peak.add(counter.writer());
        }
        peak.forEach(PerThreadCounter.Writer::close);
        int rounds = 500;
        for (int round = 0; round < rounds; round++) {
            Race.run(WRITERS, writer -> {
                PerThreadCounter.Writer handle = counter.writer();   // never closed
                handle.add(1_000);
            });
        }
        // writer() folds ended threads' cells as the cells double: never all of them live at once.
        assertThat(counter.cellCount()).as("live cells before the drain").isLessThanOrEqualTo(16);
        assertThat(counter.getAndReset()).isEqualTo(rounds * WRITERS * 1_000L);
        assertThat(counter.cellCount()).as("live cells after the drain").isZero();
        assertThat(counter.get()).isZero();
    }

    @Test
    void drainsFoldDroppedHandlesAndTakeEachAddOnce() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        Race.run(WRITERS, writer -> {
            PerThreadCounter.Writer handle = counter.writer();
            for (int i = 0; i < 10_000; i++) {
                handle.increment();
            }
        });
        long drained = 0;
        for (int i = 0; i < 200 && counter.cellCount() > 0; i++) {
            System.gc();
            Thread.sleep(10);
            drained += counter.getAndReset();
        }
        assertThat(counter.cellCount()).as("cells left after collection").isZero();
        assertThat(drained + counter.get()).isEqualTo(WRITERS * 10_000L);
    }

    @Test
    void aHandleUsedFromAnotherThreadThrowsNamingBothThreads() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        PerThreadCounter.Writer handle = counter.writer();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread intruder = new Thread(() -> {
            try {
                handle.increment();
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "intruder");
        intruder.start();
        intruder.join();
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("intruder")
                .hasMessageContaining(Thread.currentThread().getName());
        assertThat(counter.get()).isZero();
        handle.close();
    }

    @Test
    void aClosedHandleRejectsAddsAndClosingTwiceDoesNothing() {
        PerThreadCounter counter = new PerThreadCounter();
        PerThreadCounter.Writer handle = counter.writer();
        handle.add(7);
        handle.close();
        handle.close();
        assertThatIllegalStateException().isThrownBy(() -> handle.add(1))
                .withMessageContaining("closed");
        assertThat(counter.get()).isEqualTo(7);
    }

    @Test
    void aHandleWrapsOnOverflowLikeLong() {
        PerThreadCounter counter = new PerThreadCounter();
        try (PerThreadCounter.Writer handle = counter.writer()) {
            handle.add(Long.MAX_VALUE);
            handle.increment();
        }
        assertThat(counter.get()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void drainsAndClosesTogetherCountEveryAddOnce() {
        PerThreadCounter counter = new PerThreadCounter();
        PerThreadCounter.Writer first = counter.writer();
        first.add(5);
        assertThat(counter.getAndReset()).isEqualTo(5);
        first.add(3);
        first.close();
        PerThreadCounter.Writer second = counter.writer();
        second.add(-1);
        assertThat(counter.getAndReset()).isEqualTo(2);
        assertThat(counter.get()).isZero();
        second.close();
        assertThat(counter.get()).isZero();
    }
}
