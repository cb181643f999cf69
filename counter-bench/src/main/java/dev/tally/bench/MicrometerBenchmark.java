package dev.tally.bench;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.StripedCounterMap;
import dev.tally.counter.micrometer.MonotoneCounterMap;
import dev.tally.counter.micrometer.TallyMeters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What exporting through counter-micrometer costs: an increment through a {@code MonotoneCounter}
 * beside the bare {@code StripedCounter} it wraps (both called through the {@code Counter}
 * interface, each in its own fork), and one Prometheus scrape of a {@code MonotoneCounterMap} of
 * 10,000 keys beside one of 10,000 plain function counters, and the map's share of it; and the
 * first adds of many keys whose texts a registry filter folds into one meter id (one series), beside
 * the registration of as many plain function counters under the same filter. Only
 * {@code StripedCounter} is wrapped: the export adds one comparison to whichever counter's add, and
 * the striped one is the counter to export. Not in {@link BenchMain}'s runs, to keep {@code mvn -B verify} short; run it with
 * JMH's own main, as the README shows.
 */
@BenchmarkMode(Mode.AverageTime)
public class MicrometerBenchmark {

    /** One counter shared by every benchmark thread, bare and exported. */
    @State(Scope.Benchmark)
    public static class Counters {
        Counter bare;
        Counter exported;

        @Setup
        public void setUp() {
            bare = new StripedCounter();
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            exported = TallyMeters.counter(registry, "orders", Tags.empty(), new StripedCounter());
        }
    }

    /** A registry holding one exported map of 10,000 keys, each added to once. */
    @State(Scope.Benchmark)
    public static class TenThousandKeys {
        PrometheusMeterRegistry registry;

        @Setup
        public void setUp() {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                    Tags.of("shop", "eu"), "path", new StripedCounterMap<>());
            for (int i = 0; i < 10_000; i++) {
                hits.add("/path/" + i, i + 1L);
            }
            if (!registry.scrape().contains("path=\"/path/9999\"")) {
                throw new IllegalStateException("the 10,000 keys are not all exported");
            }
            meters = List.copyOf(registry.find("http.hits").functionCounters());
        }

        List<FunctionCounter> meters;
    }

    /**
     * The peer: the same registry holding 10,000 plain Micrometer function counters over
     * {@code AtomicLong}s, with the same names and tags, so that a scrape formats the same text.
     */
    @State(Scope.Benchmark)
    public static class TenThousandPlain {
        PrometheusMeterRegistry registry;

        @Setup
        public void setUp() {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            for (int i = 0; i < 10_000; i++) {
                AtomicLong value = new AtomicLong(i + 1L);
                values.add(value);
                FunctionCounter.builder("http.hits", value, AtomicLong::get)
                        .tags(Tags.of("shop", "eu", "path", "/path/" + i)).register(registry);
            }
        }

        /** Held here: Micrometer keeps only a weak reference. */
        private final List<AtomicLong> values = new ArrayList<>();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void bareStriped(Counters c) {
        c.bare.increment();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void exportedStriped(Counters c) {
        c.exported.increment();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public String scrapeMapOf10000Keys(TenThousandKeys k) {
        return k.registry.scrape();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public String scrapePlainOf10000Keys(TenThousandPlain k) {
        return k.registry.scrape();
    }

    /** The map's share of a scrape: each key's exported value read once, without the text. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public double readMapOf10000Keys(TenThousandKeys k) {
        double sum = 0.0;
        for (FunctionCounter meter : k.meters) {
            sum += meter.count();
        }
        return sum;
    }

    /**
     * A fresh registry whose filter folds every {@code /user/...} path into {@code /user/*}, and the
     * keys' texts, made before the measured call.
     */
    @State(Scope.Benchmark)
    public static class FoldedKeys {
        @Param({"10000", "100000"})
        int keys;
        String[] paths;
        PrometheusMeterRegistry registry;
        /** Held here: Micrometer keeps only a weak reference to a function counter's object. */
        List<AtomicLong> values;

        @Setup(Level.Iteration)
        public void setUp() {
            paths = new String[keys];
            for (int i = 0; i < keys; i++) {
                paths[i] = "/user/" + i;
            }
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.config().meterFilter(MeterFilter.replaceTagValues("path",
                    v -> v.startsWith("/user/") ? "/user/*" : v));
            values = new ArrayList<>(keys);
        }
    }

    /** The first add of every key: each joins the one folded series. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public MonotoneCounterMap<String> joinFoldedKeys(FoldedKeys k) {
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(k.registry, "http.hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        for (String path : k.paths) {
            hits.add(path, 1);
        }
        return hits;
    }

    /** The peer: a plain function counter registered per text; the registry folds them into one meter. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public PrometheusMeterRegistry registerFoldedPlain(FoldedKeys k) {
        for (String path : k.paths) {
            AtomicLong value = new AtomicLong(1);
            k.values.add(value);
            FunctionCounter.builder("http.hits", value, AtomicLong::get).tag("path", path).register(k.registry);
        }
        return k.registry;
    }
}
