package dev.tally.stress;

import dev.tally.counter.Counter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Items in flight, as in the Elasticsearch report that made it drop {@code LongAdder} for such a
 * gauge: producer threads increment and then hand a token through a queue; consumer threads take
 * it and decrement. Every decrement follows its increment, so the true value never drops below
 * zero, and a reader thread records the lowest value {@code get()} ever returns.
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
     * Runs {@code producers} producers of {@code items} items each, as many consumers, and one
     * reader, all released together; returns once every item has been consumed.
     */
    static Readings run(Gauge gauge, int producers, int items) throws InterruptedException {
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(1_024);
        Object token = new Object();
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger working = new AtomicInteger(2 * producers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] seen = {Long.MAX_VALUE, 0L};
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 2 * producers; p++) {
            boolean producer = p < producers;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < items; i++) {
                        if (producer) {
                            gauge.increment();
                            queue.put(token);
                        } else {
                            queue.take();
                            gauge.decrement();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    working.decrementAndGet();
                }
            }, (producer ? "producer-" : "consumer-") + p));
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
