package dev.tally.bench;

import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.LockingCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.SynchronizedCounter;
import dev.tally.counter.impl.UnsynchronizedCounter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jctools.counters.CountersFactory;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;

/**
 * Retained bytes of each counter, measured with JOL: the object and everything it references
 * (locks, stripe tables, cells), fresh and after {@link Contention#THREADS} threads contended on it.
 */
final class Footprint {

    /** One counter's footprint. */
    record Row(String counter, long freshBytes, long contendedBytes) {
    }

    /** What one live {@link PerThreadCounter.Writer} keeps, in bytes. */
    record WriterCost(long cellAndSlot, long handle, long cleanerRegistration) {
        long total() {
            return cellAndSlot + handle + cleanerRegistration;
        }
    }

    private static final int INCREMENTS = 1_000_000;

    private Footprint() {
    }

    static List<Row> measure() {
        List<Row> rows = new ArrayList<>();
        rows.add(row("tallyUnsynchronized", UnsynchronizedCounter::new, c -> c::increment));
        rows.add(row("tallySynchronized", SynchronizedCounter::new, c -> c::increment));
        rows.add(row("tallyLocking", LockingCounter::new, c -> c::increment));
        rows.add(row("tallyAtomic", AtomicCounter::new, c -> c::increment));
        rows.add(row("tallyStriped", StripedCounter::new, c -> c::increment));
        rows.add(row("tallyPerThread", PerThreadCounter::new, c -> c::increment));
        rows.add(row("jdkAtomicLong", AtomicLong::new, c -> c::incrementAndGet));
        rows.add(row("jdkLongAdder", LongAdder::new, c -> c::increment));
        rows.add(row("jctoolsStriped",
                () -> CountersFactory.createFixedSizeStripedCounter(Peers.JCTOOLS_STRIPES),
                c -> c::inc));
        return rows;
    }

    /**
     * The counter's retained size with {@link Contention#THREADS} writers open, less its size
     * with none, per writer; plus the handle itself and its {@code Cleaner} registration (the
     * cleanable and its action), which the counter does not reference.
     */
    static WriterCost perThreadWriter() throws ReflectiveOperationException {
        PerThreadCounter counter = new PerThreadCounter();
        long none = GraphLayout.parseInstance(counter).totalSize();
        List<PerThreadCounter.Writer> writers = new CopyOnWriteArrayList<>();
        Contention.run(() -> {
            PerThreadCounter.Writer writer = counter.writer();
            writer.increment();
            writers.add(writer);
        });
        long open = GraphLayout.parseInstance(counter).totalSize();
        PerThreadCounter.Writer writer = writers.get(0);
        Field cleanableField = PerThreadCounter.Writer.class.getDeclaredField("cleanable");
        cleanableField.setAccessible(true);
        Object cleanable = cleanableField.get(writer);
        Class<?> action = Class.forName(PerThreadCounter.class.getName() + "$Retire");
        long registration = ClassLayout.parseInstance(cleanable).instanceSize()
                + ClassLayout.parseClass(action).instanceSize();
        return new WriterCost((open - none) / writers.size(),
                ClassLayout.parseInstance(writer).instanceSize(), registration);
    }

    private static <T> Row row(String name, Supplier<T> factory,
            java.util.function.Function<T, Runnable> increment) {
        T counter = factory.get();
        long fresh = GraphLayout.parseInstance(counter).totalSize();
        Contention.hammer(increment.apply(counter), INCREMENTS);
        long contended = GraphLayout.parseInstance(counter).totalSize();
        return new Row(name, fresh, contended);
    }
}
