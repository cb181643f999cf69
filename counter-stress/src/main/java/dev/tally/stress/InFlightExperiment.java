package dev.tally.stress;

import dev.tally.counter.Counter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Items in flight, as in the Elasticsearch report that made it drop {@code LongAdder} for such a
 * gauge: producer threads increment and then hand a token through a queue; consumer threads take
 * it and decrement; halfway, the two sides swap roles. Every decrement follows its increment, so
 * the true value never drops below zero, and a reader thread records the lowest value
 * {@code get()} ever returns.
 */
final class InFlightExperiment {

    /** The three operations the experiment needs, for a tally counter or the JDK's LongAdder. */
    interface Gauge {
        void increment();

        void decrement();

        long get();
    }

    /**
     * What the reader saw. Not named {@code Result}: before a run, jcstress loads every class whose
     * path on the class path contains "Result", and from a classes directory it passes
     * the file's path as the class name, which fails with a stack trace in the proof's output.
     */
    record Readings(long lowest, long reads, long finalValue) {
    }

    private InFlightExperiment() {
    }

    static Gauge of(Counter counter) {
        return new Gauge() {
            @Override
            public void increment() {
                counter.increment();
            }

            @Override
            public void decrement() {
                counter.decrement();
            }

            @Override
            public long get() {
                return counter.get();
            }
        };
    }

    static Gauge of(LongAdder adder) {
        return new Gauge() {
            @Override
            public void increment() {
                adder.increment();
            }

            @Override
            public void decrement() {
                adder.decrement();
            }

            @Override
            public long get() {
                return adder.sum();
            }
        };
    }

    /**
     * Runs up to {@code maxRounds} rounds of {@link #run}, each on a new gauge and new threads,
     * and stops after the first round whose reader saw a value below zero.
     *
     * @param gauges a new gauge at zero for each round
     * @param maxRounds the most rounds to run
     * @param producers producers per round, and as many consumers
     * @param items items per producer and per consumer, in each round
     * @return what the reader saw in each round run, in order; fewer than {@code maxRounds} only
     *     if the last one read below zero
     * @throws InterruptedException if interrupted while waiting for a round's threads
     */
    static List<Readings> roundsUntilBelowZero(Supplier<Gauge> gauges, int maxRounds,
            int producers, int items) throws InterruptedException {
        // Rounds rather than one long run, for the sake of a one-pass sum (LongAdder's), which
        // reads below zero only if it reads a cell the producers write before one the consumers
        // write and is descheduled in between while the consumers catch up. Which cells the
        // threads write is chance, and stays put once they stop colliding, so a whole run can
        // go by in the harmless order; new threads draw their cells anew.
        List<Readings> rounds = new ArrayList<>();
        for (int round = 0; round < maxRounds; round++) {
            Readings readings = run(gauges.get(), producers, items);
            rounds.add(readings);
            if (readings.lowest() < 0) {
                break;
            }
        }
        return rounds;
    }

    /**
     * Runs {@code producers} producers of {@code items} items each, as many consumers, and one
     * reader, all released together; returns once every item has been consumed. Halfway, once
     * every item so far has been consumed, producers and consumers swap roles.
     */
    static Readings run(Gauge gauge, int producers, int items) throws InterruptedException {
        // The swap is for one-pass readers: such a reader goes wrong only if it reads the cells
        // where items start before the cells where they end, and the swap gives it both orders
        // in every round, wherever the threads' writes land.
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(1_024);
        Object token = new Object();
        CountDownLatch start = new CountDownLatch(1);
        CyclicBarrier halfway = new CyclicBarrier(2 * producers);
        int[] halves = {items / 2, items - items / 2};
        AtomicInteger working = new AtomicInteger(2 * producers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] seen = {Long.MAX_VALUE, 0L};
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2 * producers; w++) {
            boolean producesFirst = w < producers;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int half = 0; half < 2; half++) {
                        if (half == 1) {
                            halfway.await();
                        }
                        boolean producer = producesFirst == (half == 0);
                        for (int i = 0; i < halves[half]; i++) {
                            if (producer) {
                                gauge.increment();
                                queue.put(token);
                            } else {
                                queue.take();
                                gauge.decrement();
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    working.decrementAndGet();
                }
            }, "worker-" + w));
        }
        threads.add(new Thread(() -> {
            try {
                start.await();
                long lowest = Long.MAX_VALUE;
                long reads = 0;
                while (working.get() > 0) {
                    lowest = Math.min(lowest, gauge.get());
                    reads++;
                }
                seen[0] = lowest;
                seen[1] = reads;
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "reader"));
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a thread of the experiment failed", failure.get());
        }
        return new Readings(seen[0], seen[1], gauge.get());
    }
}
