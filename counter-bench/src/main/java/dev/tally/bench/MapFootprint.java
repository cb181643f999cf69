package dev.tally.bench;

import com.google.common.util.concurrent.AtomicLongMap;
import dev.tally.counter.impl.StripedCounterMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;

/**
 * Retained bytes per key of each keyed counter, keys excluded, measured with JOL: every key added
 * to once from one thread (a cold key); and keys that several threads wrote hard (contended keys,
 * which inflate a {@code LongAdder}'s cells and a {@code StripedCounterMap} key's stripes alike).
 */
final class MapFootprint {

    /** One map's footprint per key, in bytes, keys excluded. */
    record Row(String map, double coldBytesPerKey) {
    }

    /**
     * One map's footprint per key, in bytes, keys excluded: with every key added to once by one
     * thread, then after several threads wrote them at once (the same map, so the difference is
     * what contention added).
     */
    record HotRow(String map, double coldBytesPerKey, double hotBytesPerKey) {
    }

    /** The first key, past the {@code Long} cache, so that every key is an object of its own. */
    private static final long FIRST_KEY = 1_000L;

    private MapFootprint() {
    }

    static List<Row> measure(int keys) {
        Long[] k = new Long[keys];
        for (int i = 0; i < keys; i++) {
            k[i] = FIRST_KEY + i;
        }
        List<Row> rows = new ArrayList<>();
        rows.add(row("tallyStripedCounterMap", k, StripedCounterMap<Long>::new,
                (m, key) -> m.increment(key)));
        rows.add(row("chmLongAdder", k, ConcurrentHashMap<Long, LongAdder>::new,
                (m, key) -> m.computeIfAbsent(key, x -> new LongAdder()).increment()));
        rows.add(row("chmAtomicLong", k, ConcurrentHashMap<Long, AtomicLong>::new,
                (m, key) -> m.computeIfAbsent(key, x -> new AtomicLong()).incrementAndGet()));
        rows.add(row("chmLongMerge", k, ConcurrentHashMap<Long, Long>::new,
                (m, key) -> m.merge(key, 1L, Long::sum)));
        rows.add(row("guavaAtomicLongMap", k, AtomicLongMap::<Long>create,
                (m, key) -> m.incrementAndGet(key)));
        return rows;
    }

    /** The Markdown table of the rows. */
    static String table(int keys, List<Row> rows) {
        StringBuilder md = new StringBuilder(String.format(java.util.Locale.ROOT,
                "| map, %,d `Long` keys | bytes per cold key |%n|---|---:|%n", keys));
        for (Row r : rows) {
            md.append(String.format(java.util.Locale.ROOT, "| `%s` | %.1f |%n",
                    r.map(), r.coldBytesPerKey()));
        }
        return md.toString();
    }

    private static <M> Row row(String name, Long[] keys, Supplier<M> factory,
            BiConsumer<M, Long> increment) {
        long keyBytes = keys.length * ClassLayout.parseClass(Long.class).instanceSize();
        M map = factory.get();
        for (Long key : keys) {
            increment.accept(map, key);
        }
        double cold = (GraphLayout.parseInstance(map).totalSize() - keyBytes) / (double) keys.length;
        return new Row(name, cold);
    }

    /**
     * Bytes per key, keys excluded, of a map of {@code keys} keys that {@code threads} threads
     * wrote at once, {@code addsPerThread} increments each, all walking the keys in the same
     * order, so that their adds collide and the keys inflate.
     */
    static List<HotRow> measureContended(int keys, int threads, int addsPerThread)
            throws InterruptedException {
        Long[] k = new Long[keys];
        for (int i = 0; i < keys; i++) {
            k[i] = FIRST_KEY + i;
        }
        List<HotRow> rows = new ArrayList<>();
        rows.add(hotRow("tallyStripedCounterMap", k, threads, addsPerThread,
                StripedCounterMap<Long>::new, (m, key) -> m.increment(key)));
        rows.add(hotRow("chmLongAdder", k, threads, addsPerThread,
                ConcurrentHashMap<Long, LongAdder>::new,
                (m, key) -> m.computeIfAbsent(key, x -> new LongAdder()).increment()));
        return rows;
    }

    /** The Markdown table of the contended rows. */
    static String hotTable(int keys, int threads, List<HotRow> rows) {
        StringBuilder md = new StringBuilder(String.format(java.util.Locale.ROOT,
                "| map, %,d `Long` key(s) | bytes per key, cold | after %d threads wrote at once |"
                        + " added by contention |%n|---|---:|---:|---:|%n", keys, threads));
        for (HotRow r : rows) {
            md.append(String.format(java.util.Locale.ROOT, "| `%s` | %.1f | %.1f | %.1f |%n",
                    r.map(), r.coldBytesPerKey(), r.hotBytesPerKey(),
                    r.hotBytesPerKey() - r.coldBytesPerKey()));
        }
        return md.toString();
    }

    private static <M> HotRow hotRow(String name, Long[] keys, int threads, int addsPerThread,
            Supplier<M> factory, BiConsumer<M, Long> increment) throws InterruptedException {
        long keyBytes = keys.length * ClassLayout.parseClass(Long.class).instanceSize();
        M map = factory.get();
        for (Long key : keys) {
            increment.accept(map, key);
        }
        double cold = (GraphLayout.parseInstance(map).totalSize() - keyBytes) / (double) keys.length;
        Thread[] writers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            writers[t] = new Thread(() -> {
                for (int i = 0; i < addsPerThread; i++) {
                    increment.accept(map, keys[i % keys.length]);
                }
            }, "footprint-writer-" + t);
        }
        for (Thread w : writers) {
            w.start();
        }
        for (Thread w : writers) {
            w.join();
        }
        double hot = (GraphLayout.parseInstance(map).totalSize() - keyBytes) / (double) keys.length;
        return new HotRow(name, cold, hot);
    }
}
