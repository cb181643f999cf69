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
    record WriterCost(long cell, long slot, long handle) {
        long total() {
            return cell + slot + handle;
        }
    }

    private static final int INCREMENTS = 1_000_000;

    private Footprint() {
    }

    static List<Row> measure() throws ReflectiveOperationException {
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
     * The instance sizes of what one open writer adds: its cell (which is also the weak reference
     * to the handle), its slot in the counter's array of cells (the array's growth per writer),
     * and the handle. Sizes of instances rather than a graph, because a graph walked from the
     * counter would follow each cell's reference to its handle and on to the owner thread.
     */
    static WriterCost perThreadWriter() throws ReflectiveOperationException {
        PerThreadCounter counter = new PerThreadCounter();
        Field cellsField = PerThreadCounter.class.getDeclaredField("cells");
        cellsField.setAccessible(true);
        long noSlots = ClassLayout.parseInstance(cellsField.get(counter)).instanceSize();
        List<PerThreadCounter.Writer> writers = new CopyOnWriteArrayList<>();
        Contention.run(() -> {
            PerThreadCounter.Writer writer = counter.writer();
            writer.increment();
            writers.add(writer);
        });
        long slots = ClassLayout.parseInstance(cellsField.get(counter)).instanceSize() - noSlots;
        PerThreadCounter.Writer writer = writers.get(0);
        Field cellField = PerThreadCounter.Writer.class.getDeclaredField("cell");
        cellField.setAccessible(true);
        return new WriterCost(ClassLayout.parseInstance(cellField.get(writer)).instanceSize(),
                slots / writers.size(), ClassLayout.parseInstance(writer).instanceSize());
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
