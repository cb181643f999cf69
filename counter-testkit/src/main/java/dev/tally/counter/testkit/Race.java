package dev.tally.counter.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Runs bodies on their own threads, all released by one latch, and waits for every one of them;
 * the first failure on any thread fails the caller.
 */
public final class Race {

    /** The work of one racing thread, given its index. */
    @FunctionalInterface
    public interface Body {
        void run(int index) throws Exception;
    }

    /** The work of a thread that watches the writers until the last of them has finished. */
    @FunctionalInterface
    public interface Observer {
        void run(BooleanSupplier writersRunning) throws Exception;
    }

    private Race() {
    }

    /** Runs {@code writer} on {@code writers} threads, indexed from 0. */
    public static void run(int writers, Body writer) throws InterruptedException {
        runWithObserver(writers, writer, writersRunning -> { });
    }

    /**
     * Runs {@code writer} on {@code writers} threads, indexed from 0, and {@code observer} on one
     * more thread, all released together; the observer's supplier turns false once every writer
     * has returned.
     */
    public static void runWithObserver(int writers, Body writer, Observer observer)
            throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger(writers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i <= writers; i++) {
            int index = i;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    if (index == writers) {
                        observer.run(() -> running.get() > 0);
                    } else {
                        try {
                            writer.run(index);
                        } finally {
                            running.decrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, index == writers ? "race-observer" : "race-writer-" + index);
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("a racing thread failed: " + t, t);
        }
    }
}
