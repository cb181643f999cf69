package dev.tally.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark, measures footprints, and writes the raw JMH JSON, the Markdown tables and
 * the chart. Maven runs it: {@code mvn -B verify} in the smoke mode (each benchmark a moment, to
 * keep them compiling and running; not a timing), and
 * {@code mvn -B -Pbench -pl counter-bench -am verify} in the full mode,
 * which writes {@code counter-bench/results/}.
 */
public final class BenchMain {

    static final String COMMAND = "mvn -B -Pbench -pl counter-bench -am verify";

    /** Keys, and threads writing them at once, of the contended-key footprint. */
    private static final int HOT_KEYS = 64;
    private static final int HOT_THREADS = 4;

    private BenchMain() {
    }

    /**
     * Runs the mode named by the first argument, {@code full} or {@code smoke}.
     *
     * @param args the mode
     * @throws Exception if a benchmark or the report fails
     */
    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "smoke" : args[0];
        boolean full;
        switch (mode) {
            case "full" -> full = true;
            case "smoke" -> full = false;
            default -> {
                System.err.println("Unknown mode '" + mode + "': use full or smoke.");
                System.exit(2);
                return;
            }
        }
        Path out = full ? Path.of("results") : Path.of("target", "bench-smoke");
        Files.createDirectories(out);

        List<RunResult> results = new ArrayList<>();
        // The smoke run at 4 threads only: it shows that each benchmark runs, not a timing, and
        // its runs at 1 and 2 threads cost the build 12 s of its 6 minutes (counter-bench 35.7 s -> 24.1 s).
        for (int threads : full ? Report.THREADS : new int[] {4}) {
            results.addAll(new Runner(settings(full)
                    .include("\\.(IncrementBenchmark|GetBenchmark|RedisAddBenchmark)\\.")
                    .threads(threads)
                    .build()).run());
        }
        results.addAll(new Runner(settings(full)
                .include("\\.(MixedBenchmark|DrainBenchmark)\\.")
                .build()).run());
        for (int threads : full ? new int[] {2, 4} : new int[] {4}) {
            results.addAll(new Runner(settings(full)
                    .include("\\.MapHotKeyBenchmark\\.")
                    .threads(threads)
                    .build()).run());
        }
        results.addAll(new Runner(settings(full)
                .include("\\.(MapSpreadBenchmark|MapDrainAllBenchmark)\\.")
                .build()).run());
        try (PrintStream json = new PrintStream(out.resolve("jmh-results.json").toFile(),
                StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, json).writeOut(results);
        }

        List<RedisThroughput.Row> throughput = full
                ? RedisThroughput.measure(3, 3_000, 4)
                : RedisThroughput.measure(1, 200, 1);   // the smoke run only checks the path: 2 JVMs, not 10
        List<Footprint.Row> footprint = Footprint.measure();
        int mapKeys = full ? 1_000_000 : 1_000;   // JOL walks every object: a moment at 1,000
        String mapFootprint = MapFootprint.table(mapKeys, MapFootprint.measure(mapKeys))
                + "\n" + MapFootprint.hotTable(HOT_KEYS, HOT_THREADS, MapFootprint.measureContended(
                        HOT_KEYS, HOT_THREADS, full ? 4_000_000 : 100_000));
        Footprint.WriterCost writerCost = Footprint.perThreadWriter();
        Report report = new Report(Measurements.of(results));
        String machine = machine();
        report.incrementChart(out.resolve("increment.png"),
                "Increment cost, " + machine + (full ? "" : " (SMOKE RUN: not a timing)"),
                Runtime.getRuntime().availableProcessors());
        String md = markdown(report, footprint, machine, full) + redis(report, throughput, full)
                + String.format(Locale.ROOT,
                "%nOne live `PerThreadCounter` writer keeps %d bytes: %d for its padded cell "
                        + "(also the weak reference to its handle), %d for its slot in the "
                        + "counter, %d for the handle.%n",
                writerCost.total(), writerCost.cell(), writerCost.slot(), writerCost.handle())
                + "\n## Keyed counters: footprint per key, keys excluded (JOL)\n\n" + mapFootprint;
        Files.writeString(out.resolve("results.md"), md);
        System.out.println(md);
        System.out.println("Wrote " + out.toAbsolutePath());
    }

    private static ChainedOptionsBuilder settings(boolean full) {
        ChainedOptionsBuilder options = new OptionsBuilder().shouldFailOnError(true);
        if (full) {
            return options.forks(2)
                    .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(3).measurementTime(TimeValue.seconds(1));
        }
        // The smoke run only proves that every benchmark runs: in the build's own JVM, since a
        // fork per benchmark would cost a JVM start each, most of the smoke run's time.
        return options.forks(0)
                .warmupIterations(0)
                .measurementIterations(1).measurementTime(new TimeValue(20, TimeUnit.MILLISECONDS));
    }

    private static String markdown(Report report, List<Footprint.Row> footprint, String machine,
            boolean full) {
        return "# tally benchmarks\n\n"
                + (full ? "" : "**Smoke run: each benchmark ran for a moment. Not a timing.**\n\n")
                + "Measured " + LocalDate.now(ZoneOffset.UTC) + " on " + machine + ", with `"
                + COMMAND + "`. JMH average time in ns per operation, per thread (lower is "
                + "better), ± the 99.9% confidence half-width; ratios divide tally's time by "
                + "the peer's, measured in the same run.\n\n"
                + "## Increment of a counter shared by all threads\n\n"
                + "![increment cost by thread count](increment.png)\n\n"
                + report.incrementTable()
                + "\n## `get()` after 4 threads contended (cells populated)\n\n"
                + report.getTable()
                + "\n## Mixed: 3 threads increment while 1 reads\n\n"
                + report.groupTable(MixedBenchmark.class, "Read")
                + "\n## Drain: 3 threads increment while 1 calls `getAndReset()`\n\n"
                + report.groupTable(DrainBenchmark.class, "Drain")
                + "\n## Footprint (JOL, retained bytes)\n\n"
                + Report.footprintTable(footprint);
    }

    private static String redis(Report report, List<RedisThroughput.Row> throughput, boolean full) {
        return "\n## counter-redis: one add, shared through Redis\n\n"
                + "Each fork starts its own `redis-server` on loopback; `tallyRedis` includes its "
                + "flusher thread sending batches during the measurement.\n\n"
                + report.redisAddTable()
                + "\n## counter-redis: adds per second reaching Redis\n\n"
                + "Worker JVMs increment as fast as they can for " + (full ? "3 s" : "0.2 s")
                + ", timed until each has closed its counter; " + (full ? "3 rounds" : "1 round")
                + " each. Each round checks that the server holds exactly what was added.\n\n"
                + RedisThroughput.table(throughput);
    }

    /** JDK, CPU model and core count, for the report's heading. */
    static String machine() {
        String cpu = "unknown CPU";
        try {
            Optional<String> model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst();
            cpu = model.orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown CPU"
        }
        return String.format(Locale.ROOT, "JDK %s (%s), %s, %d cores",
                System.getProperty("java.version"), System.getProperty("java.vm.vendor"), cpu,
                Runtime.getRuntime().availableProcessors());
    }
}
