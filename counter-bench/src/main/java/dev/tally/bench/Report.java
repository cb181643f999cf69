package dev.tally.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Writes the Markdown tables and the increment chart from one run's measurements. */
final class Report {

    static final int[] THREADS = {1, 2, 4};

    /**
     * Increment benchmarks in table order, each with the peer it is compared to (or null). Rows
     * are benchmark method names (group names for the group tables): {@code BenchmarkCoverageTest}
     * fails when a row names no benchmark or a benchmark has no row, so a rename cannot print "-".
     */
    static final String[][] INCREMENT = {
        {"tallyUnsynchronized", "plainLong"},
        {"tallySynchronized", "rawSynchronized"},
        {"tallyLocking", "rawReentrantLock"},
        {"tallyAtomic", "jdkAtomicLong"},
        {"tallyStriped", "jdkLongAdder"},
        {"tallyPerThread", "jdkLongAdder"},
        {"tallyPerThreadWriter", "plainLongNotInlined"},
        {"plainLong", null},
        {"plainLongNotInlined", null},
        {"rawSynchronized", null},
        {"rawReentrantLock", null},
        {"jdkAtomicLong", null},
        {"jdkLongAdder", null},
        {"jctoolsStriped", null},
    };

    static final String[][] GET = {
        {"tallyAtomic", "jdkAtomicLong"},
        {"tallyStriped", "jdkLongAdder"},
        {"tallyPerThread", "jdkLongAdder"},
        {"jdkAtomicLong", null},
        {"jdkLongAdder", null},
        {"jctoolsStriped", null},
    };

    static final String[][] REDIS_ADD = {
        {"tallyRedis", "tallyStriped"},
        {"tallyRedisThreshold", "tallyStriped"},
        {"tallyStriped", null},
        {"incrbyPerAdd", "tallyRedis"},
    };

    static final String[][] GROUPS = {
        {"tallySynchronized", null},
        {"tallyLocking", null},
        {"tallyAtomic", "jdkAtomicLong"},
        {"tallyStriped", "jdkLongAdder"},
        {"tallyPerThread", "jdkLongAdder"},
        {"jdkAtomicLong", null},
        {"jdkLongAdder", null},
        {"jctoolsStriped", null},
    };

    private final Measurements m;

    Report(Measurements measurements) {
        this.m = measurements;
    }

    /** The increment table: ns/op with error at each thread count, then the ratio to the peer. */
    String incrementTable() {
        return byThreads(IncrementBenchmark.class, "counter", "thread", INCREMENT);
    }

    /** The get() table, cells populated by 4 threads beforehand. */
    String getTable() {
        return byThreads(GetBenchmark.class, "counter", "reader", GET);
    }

    /** The Redis add table: ns/op by thread count; tallyRedis against its floor, INCRBY against it. */
    String redisAddTable() {
        return byThreads(RedisAddBenchmark.class, "add", "thread", REDIS_ADD);
    }

    /** One row per {@code {name, peer}}: ns/op at each thread count, then the ratios to the peer. */
    private String byThreads(Class<?> benchmark, String what, String thread, String[][] rows) {
        String benchmarkClass = benchmark.getSimpleName();
        StringBuilder md = new StringBuilder("| " + what);
        for (int t : THREADS) {
            md.append(" | ").append(t).append(' ').append(thread).append(t == 1 ? "" : "s");
        }
        md.append(" | vs peer at 1 / 2 / 4 |\n|---|---:|---:|---:|---|\n");
        for (String[] row : rows) {
            md.append("| `").append(row[0]).append('`');
            for (int t : THREADS) {
                md.append(" | ").append(cell(m.get(benchmarkClass, row[0], t)));
            }
            md.append(" | ").append(ratios(benchmarkClass, row[0], row[1])).append(" |\n");
        }
        return md.toString();
    }

    /** A group table: 3 writers and 1 reader (or drainer), reported apart. */
    String groupTable(Class<? extends GroupCounters> benchmark, String reader) {
        String benchmarkClass = benchmark.getSimpleName();
        StringBuilder md = new StringBuilder();
        md.append("| counter | write (3 threads) | ").append(reader.toLowerCase(Locale.ROOT))
                .append(" (1 thread) | write vs peer | ").append(reader.toLowerCase(Locale.ROOT))
                .append(" vs peer |\n|---|---:|---:|---|---|\n");
        for (String[] row : GROUPS) {
            Optional<Measurements.Score> write = m.get(benchmarkClass, row[0] + "Write", 4);
            Optional<Measurements.Score> read = m.get(benchmarkClass, row[0] + reader, 4);
            md.append("| `").append(row[0]).append("` | ").append(cell(write)).append(" | ")
                    .append(cell(read)).append(" | ")
                    .append(row[1] == null ? "" : ratio(write,
                            m.get(benchmarkClass, row[1] + "Write", 4)))
                    .append(" | ")
                    .append(row[1] == null ? "" : ratio(read,
                            m.get(benchmarkClass, row[1] + reader, 4)))
                    .append(" |\n");
        }
        return md.toString();
    }

    static String footprintTable(List<Footprint.Row> rows) {
        StringBuilder md = new StringBuilder();
        md.append("| counter | fresh | after 4 threads contended |\n|---|---:|---:|\n");
        for (Footprint.Row row : rows) {
            md.append(String.format(Locale.ROOT, "| `%s` | %,d B | %,d B |%n",
                    row.counter(), row.freshBytes(), row.contendedBytes()));
        }
        return md.toString();
    }

    /** The ratio of {@code name} to {@code peer} at each thread count, as {@code 0.95x}. */
    private String ratios(String benchmarkClass, String name, String peer) {
        if (peer == null) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (int t : THREADS) {
            parts.add(ratio(m.get(benchmarkClass, name, t), m.get(benchmarkClass, peer, t)));
        }
        return String.join(" / ", parts) + " `" + peer + "`";
    }

    static String ratio(Optional<Measurements.Score> a, Optional<Measurements.Score> b) {
        if (a.isEmpty() || b.isEmpty() || b.get().nanos() == 0) {
            return "-";
        }
        double r = a.get().nanos() / b.get().nanos();
        return String.format(Locale.ROOT, r >= 100 ? "%,.0fx" : "%.2fx", r);
    }

    private static String cell(Optional<Measurements.Score> score) {
        return score.map(s -> String.format(Locale.ROOT, "%.2f ± %.2f", s.nanos(), s.error()))
                .orElse("-");
    }

    /**
     * Increment cost by thread count, one line per counter, on a log scale; {@code cores} is the
     * measuring machine's, so the axis says where oversubscription starts.
     */
    void incrementChart(Path png, String title, int cores) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("threads (the machine has " + cores + " cores)")
                .yAxisTitle("ns per increment (log)")
                .build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        for (String[] row : INCREMENT) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int t : THREADS) {
                Optional<Measurements.Score> s = m.get(IncrementBenchmark.class.getSimpleName(), row[0], t);
                if (s.isPresent() && s.get().nanos() > 0) {
                    x.add((double) t);
                    y.add(s.get().nanos());
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(row[0], x, y).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
