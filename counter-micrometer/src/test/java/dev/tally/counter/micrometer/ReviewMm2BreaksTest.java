package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Breaks found by the review-mm2 review of the redesigned map export (series by registered id). */
final class ReviewMm2BreaksTest {

    /**
     * Break 1: a series whose registration returns a FunctionCounter the map did not make (here a
     * TallyMeters.counter registered after the map, which counterMap's creation-time check cannot
     * see) is adopted as the series' own meter: the map's amounts are never exported under the
     * id, and once the map's key is idle the map removes the other owner's meter from the
     * registry, for good (a MonotoneCounter never registers again).
     */
    @Test
    void aMapDoesNotAdoptNorRemoveAMeterItDidNotMake() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        MonotoneCounter home = TallyMeters.counter(registry, "hits", Tags.of("path", "/home"),
                new StripedCounter());   // accepted: no meter of that id yet
        home.add(10);
        hits.add("/home", 5);            // the map's series gets the registry's answer: home's meter
        FunctionCounter exported = registry.get("hits").tag("path", "/home").functionCounter();
        assertThat(exported.count()).as("the id reads home's 10; the map's 5 are nowhere").isEqualTo(10.0);
        hits.drain();
        hits.drain();
        hits.drain();                    // /home idle twice: the map removes "its" meter
        home.add(1);
        assertThat(registry.find("hits").tag("path", "/home").functionCounter())
                .as("home's meter, which the map did not make, is still registered")
                .isNotNull();
    }

    /**
     * Break 2: a map re-entered from the registry during its own registration lists one key twice
     * in its series, and exports double. A user's onMeterAdded listener that counts added meters by
     * name in a MonotoneCounterMap of the same registry does it: registering the series of
     * "meters.added" calls the listener, whose add of "meters.added" finds the series in texts
     * (already registered) and joins the key; the outer memberOf then joins it again.
     */
    @Test
    void aListenerThatCountsAddedMetersInTheSameRegistryIsNotCountedTwice() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<String> added = TallyMeters.counterMap(registry, "meters.added", Tags.empty(), "name",
                new StripedCounterMap<>());
        registry.config().onMeterAdded(m -> added.increment(m.getId().getName()));
        registry.counter("orders");      // -> added.increment("orders") -> registers meters.added{name=orders}
                                         // -> added.increment("meters.added") -> registers ...{name=meters.added}
                                         // -> added.increment("meters.added") again, re-entrant
        long truth = added.get("meters.added");
        double exported = registry.get("meters.added").tag("name", "meters.added").functionCounter().count();
        assertThat(truth).isEqualTo(2L);
        assertThat(exported).as("exported vs everything added to the key (%d)", truth).isEqualTo((double) truth);
        added.drain();
        assertThat(registry.get("meters.added").tag("name", "meters.added").functionCounter().count())
                .as("exact once quiet").isEqualTo(2.0);
    }

    /**
     * Break 3: deadlock. Micrometer calls onMeterAdded listeners under its meter-map lock; a drain
     * holds the map's drain lock and calls the registry (register, remove), which takes that
     * lock. A listener that adds a new key to a map of the same registry takes the locks in the
     * other order.
     */
    @Test
    void aListenerThatAddsToTheMapDoesNotDeadlockItsDrains() throws InterruptedException {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<String> added = TallyMeters.counterMap(registry, "meters.added", Tags.empty(), "name",
                new StripedCounterMap<>());
        registry.config().onMeterAdded(m -> {
            if (!m.getId().getName().equals("meters.added")) {
                added.increment(m.getId().getName());
            }
        });
        AtomicBoolean registered = new AtomicBoolean();
        int names = 20_000;
        Thread registrar = new Thread(() -> {
            for (int i = 0; i < names; i++) {
                registry.counter("m" + i);   // a new name, so a new key: its add wants the drain lock
            }
            registered.set(true);
        }, "registrar");
        Thread drainer = new Thread(() -> {
            while (!registered.get()) {
                added.drain();               // registers the drained keys' series, removes idle ones
            }
        }, "drainer");
        registrar.setDaemon(true);
        drainer.setDaemon(true);
        registrar.start();
        drainer.start();
        registrar.join(10_000);              // a deadline, not a wait for the race: done in well under 1 s
        drainer.join(2_000);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] deadlocked = threads.findDeadlockedThreads();
        assertThat(deadlocked).as("deadlocked threads").isNull();
        assertThat(registrar.isAlive() || drainer.isAlive()).as("a thread still blocked").isFalse();
    }

    /**
     * Break 4 (cost): a key whose series the registry refuses for good (a Micrometer Counter
     * already under its id) makes every add of it take the drain lock and run a registration
     * that throws, allocating each time, not once per drain.
     */
    @Test
    void anAddOfAKeyWhoseSeriesIsRefusedDoesNotRegisterAtEveryAdd() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        registry.counter("hits", "path", "/taken");   // a Counter, not a FunctionCounter: refused
        hits.add("/taken", 1);
        hits.add("/free", 1);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        int n = 100_000;
        for (int i = 0; i < n; i++) {   // warm up
            hits.add("/free", 1);
            hits.add("/taken", 1);
        }
        long b0 = mx.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            hits.add("/free", 1);
        }
        long t1 = System.nanoTime();
        long b1 = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < n; i++) {
            hits.add("/taken", 1);
        }
        long t2 = System.nanoTime();
        long b2 = mx.getThreadAllocatedBytes(tid);
        System.out.printf("review-mm2 add cost: registered key %.1f ns/add %.2f B/add; refused key %.1f ns/add %.1f B/add%n",
                (t1 - t0) / (double) n, (b1 - b0) / (double) n, (t2 - t1) / (double) n, (b2 - b1) / (double) n);
        assertThat((b1 - b0) / (double) n).as("bytes per add, registered key").isLessThan(1.0);
        assertThat((b2 - b1) / (double) n).as("bytes per add, key whose series the registry refuses")
                .isLessThan(1.0);
    }

    /**
     * Break 5: a folded series removed by registry.clear() falls to 0 when the first registration
     * of its id after the clear comes from a new text: the registry makes a fresh meter for the new,
     * empty series, which reads that series (0) until fold() sets its forward pointer. Anything
     * that reads the meter in that window (a scrape on another thread; here an onMeterAdded
     * listener, called inside the registration) sees the id fall from 12 to 0. ReviewMm2HoldsTest's
     * race saw it through a PrometheusMeterRegistry scrape: "fell from 6.0506054E7 to 0.0".
     */
    @Test
    void aFoldedSeriesRegisteredAgainThroughANewTextDoesNotReadZero() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.replaceTagValues("path",
                v -> v.startsWith("/user/") ? "/user/*" : v));
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        hits.add("/user/1", 5);
        hits.add("/user/2", 7);
        assertThat(registry.get("hits").tag("path", "/user/*").functionCounter().count()).isEqualTo(12.0);
        registry.clear();
        java.util.List<Double> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        registry.config().onMeterAdded(m -> seen.add(((FunctionCounter) m).count()));
        hits.add("/user/3", 1);          // a new text: a new series, a fresh meter, then the fold
        assertThat(registry.get("hits").tag("path", "/user/*").functionCounter().count()).isEqualTo(13.0);
        assertThat(seen).as("readings of the id while it was registered again").allMatch(v -> v >= 12.0);
    }
}
