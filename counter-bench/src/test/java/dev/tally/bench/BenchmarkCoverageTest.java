package dev.tally.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.testkit.Counters;
import dev.tally.counter.testkit.Coverage;
import dev.tally.counter.testkit.Promises.WritePath;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;

/**
 * Every benchmark that has a table in the report measures every thread-safe counter of
 * {@link Counters} (as {@code "tally" + label}, through its {@code Counter} methods), or its class
 * says why not ({@code @LeavesOut}); and each table's rows are exactly its benchmarks, so a
 * renamed or added benchmark fails here instead of printing "-" or being left out.
 */
final class BenchmarkCoverageTest {

    @Test
    void everyReportedBenchmarkMeasuresEveryThreadSafeCounterOrSaysWhyNot() {
        for (Class<?> benchmark : Set.of(IncrementBenchmark.class, GetBenchmark.class,
                MixedBenchmark.class, DrainBenchmark.class)) {
            Set<String> names = names(benchmark);
            Set<Coverage.Pair> covered = new HashSet<>();
            for (Counters counter : Counters.threadSafe()) {
                if (names.contains("tally" + counter.label())) {
                    covered.add(new Coverage.Pair(counter, WritePath.COUNTER_METHODS));
                }
            }
            Coverage.assertCovers(benchmark, Coverage.required(Set.of(WritePath.COUNTER_METHODS)),
                    covered);
        }
    }

    @Test
    void eachTableHasOneRowPerBenchmarkAndEveryPeerIsMeasured() {
        assertRowsAreTheBenchmarks(IncrementBenchmark.class, Report.INCREMENT);
        assertRowsAreTheBenchmarks(GetBenchmark.class, Report.GET);
        assertRowsAreTheBenchmarks(RedisAddBenchmark.class, Report.REDIS_ADD);
        assertRowsAreTheBenchmarks(MixedBenchmark.class, Report.GROUPS);
        assertRowsAreTheBenchmarks(DrainBenchmark.class, Report.GROUPS);
    }

    private static void assertRowsAreTheBenchmarks(Class<?> benchmark, String[][] rows) {
        Set<String> names = names(benchmark);
        Set<String> rowNames = new LinkedHashSet<>();
        for (String[] row : rows) {
            rowNames.add(row[0]);
            if (row[1] != null) {
                assertThat(names).as("the peer of %s in %s's table", row[0],
                        benchmark.getSimpleName()).contains(row[1]);
            }
        }
        assertThat(rowNames).as("the rows of %s's table", benchmark.getSimpleName())
                .containsExactlyInAnyOrderElementsOf(names);
    }

    /** The benchmarks of a class: its groups if it has any, else its benchmark methods. */
    private static Set<String> names(Class<?> benchmark) {
        Set<String> groups = new LinkedHashSet<>();
        Set<String> methods = new LinkedHashSet<>();
        for (Method method : benchmark.getMethods()) {
            if (method.isAnnotationPresent(Benchmark.class)) {
                methods.add(method.getName());
                if (method.isAnnotationPresent(Group.class)) {
                    groups.add(method.getAnnotation(Group.class).value());
                }
            }
        }
        assertThat(methods).as("benchmarks in %s", benchmark.getSimpleName()).isNotEmpty();
        return groups.isEmpty() ? methods : groups;
    }

    @Test
    void theListHasTheLabelsTheBenchmarksUse() {
        assertThat(Arrays.stream(Counters.values()).map(c -> "tally" + c.label()))
                .contains("tallyStriped", "tallyPerThread");
    }
}
