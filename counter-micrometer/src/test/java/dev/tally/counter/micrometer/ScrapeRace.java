package dev.tally.counter.micrometer;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Writers adding, a thread draining and a thread scraping the registry's Prometheus text format in
 * a loop, all released at once; every sample of every series in every scrape is parsed and
 * compared with the same series' previous sample. The writers go on until they have made their
 * adds and, while they ran, a minimum number of scrapes each followed a drain that took something
 * since the scrape before (so drains and scrapes interleave, whatever the scheduler does with
 * four threads on two cores), or until the deadline; no thread sleeps.
 */
final class ScrapeRace {

    static final int WRITERS = 2;
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** What one run saw; {@code added} is exact, each writer counting its own adds. */
    record Outcome(long added, long drained, int scrapes, int drains, int interleaved, long samples, long falls,
            long negatives, List<String> examples, List<String> failedScrapes,
            Map<String, Double> lastScrape, boolean deadlinePassed) {
    }

    private final PrometheusMeterRegistry registry;
    private final LongConsumer add;
    private final LongSupplier drain;
    private final Map<String, Double> previous = new HashMap<>();
    private long samples;
    private long falls;
    private long negatives;
    private final List<String> examples = new ArrayList<>();
    private final List<String> failedScrapes = new ArrayList<>();

    /**
     * @param add each writer's add (amounts of 1 and 2, alternately)
     * @param drain one drain; the sum of their results is the outcome's {@code drained}
     */
    ScrapeRace(PrometheusMeterRegistry registry, LongConsumer add, LongSupplier drain) {
        this.registry = registry;
        this.add = add;
        this.drain = drain;
    }

    /**
     * @param minInterleaved how many scrapes must follow a drain that took something since the
     *     scrape before, while the writers run
     */
    Outcome run(long addsPerWriter, int minInterleaved) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger writersLeft = new AtomicInteger(WRITERS);
        AtomicInteger scrapes = new AtomicInteger();
        AtomicInteger drains = new AtomicInteger();
        AtomicInteger interleaved = new AtomicInteger();
        AtomicLong added = new AtomicLong();
        AtomicLong drained = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            threads.add(thread("writer-" + w, errors, () -> {
                start.await();
                long mine = 0L;
                try {
                    for (long i = 0; ; i++) {
                        long delta = 1L + (i & 1L);
                        add.accept(delta);
                        mine += delta;
                        if ((i & 1023L) == 0L && i >= addsPerWriter
                                && (interleaved.get() >= minInterleaved || System.nanoTime() > deadline)) {
                            break;
                        }
                    }
                } finally {
                    added.addAndGet(mine);
                    writersLeft.decrementAndGet();
                }
            }));
        }
        threads.add(thread("drainer", errors, () -> {
            start.await();
            while (writersLeft.get() > 0) {
                drained.addAndGet(drain.getAsLong());
                drains.incrementAndGet();
                Thread.yield();   // lets a scrape in between: four threads share two cores
            }
        }));
        threads.add(thread("scraper", errors, () -> {
            start.await();
            long drainedBefore = 0L;
            while (writersLeft.get() > 0) {
                scrapeOnce();
                scrapes.incrementAndGet();
                long drainedNow = drained.get();
                if (drainedNow != drainedBefore) {
                    interleaved.incrementAndGet();
                    drainedBefore = drainedNow;
                }
                Thread.yield();
            }
        }));
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread thread : threads) {
            thread.join(Math.max(1L, (deadline - System.nanoTime()) / 1_000_000L + 5_000L));
            if (thread.isAlive()) {
                throw new AssertionError(thread.getName() + " still running past the deadline");
            }
        }
        if (!errors.isEmpty()) {
            AssertionError failure = new AssertionError("a thread of the race threw");
            errors.forEach(failure::addSuppressed);
            throw failure;
        }
        Map<String, Double> last = scrapeOnce();
        return new Outcome(added.get(), drained.get(), scrapes.get(), drains.get(), interleaved.get(),
                samples, falls,
                negatives, List.copyOf(examples), List.copyOf(failedScrapes), last,
                System.nanoTime() > deadline);
    }

    /** Scrapes once and checks every sample against its series' previous one. */
    private Map<String, Double> scrapeOnce() {
        Map<String, Double> scraped;
        try {
            scraped = PrometheusSamples.parse(registry.scrape());
        } catch (RuntimeException e) {
            if (failedScrapes.size() < 5) {
                failedScrapes.add(e.toString());
            }
            return Map.of();
        }
        for (Map.Entry<String, Double> sample : scraped.entrySet()) {
            samples++;
            double value = sample.getValue();
            Double before = previous.put(sample.getKey(), value);
            if (value < 0.0 || Double.isNaN(value)) {
                negatives++;
                note(sample.getKey() + " read " + value);
            }
            if (before != null && value < before) {
                falls++;
                note(sample.getKey() + " fell from " + before + " to " + value);
            }
        }
        return scraped;
    }

    private void note(String example) {
        if (examples.size() < 5) {
            examples.add(example);
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Thread thread(String name, ConcurrentLinkedQueue<Throwable> errors, Body body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        }, "scrape-race-" + name);
        thread.setDaemon(true);
        return thread;
    }
}
