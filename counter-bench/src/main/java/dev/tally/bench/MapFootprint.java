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
 * to once from one thread (a cold key). A contended key (one whose adds collided, which inflates
 * a {@code LongAdder} and a {@code StripedCounterMap} key alike) is not measured here.
 */
final class MapFootprint {

    /** One map's footprint per key, in bytes, keys excluded. */
    record Row(String map, double coldBytesPerKey) {
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
}
