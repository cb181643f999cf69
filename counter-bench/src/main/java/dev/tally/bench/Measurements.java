package dev.tally.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * JMH scores by benchmark class, counter and thread count. A group benchmark's writers and reader
 * are kept apart, under their method names ({@code tallyStripedWrite}, {@code tallyStripedRead}).
 */
final class Measurements {

    /** A score in ns/op and its error (the 99.9% confidence half-width JMH reports). */
    record Score(double nanos, double error) {
    }

    private final Map<String, Score> scores = new LinkedHashMap<>();

    static Measurements of(Collection<RunResult> results) {
        Measurements m = new Measurements();
        for (RunResult run : results) {
            String benchmark = run.getParams().getBenchmark();
            String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            String type = simpleClass(benchmark);
            int threads = run.getParams().getThreads();
            Result<?> primary = run.getPrimaryResult();
            m.put(type, name, threads, new Score(primary.getScore(), primary.getScoreError()));
            for (String label : run.getSecondaryResults().keySet()) {
                Result<?> r = run.getSecondaryResults().get(label);
                m.put(type, label, threads, new Score(r.getScore(), r.getScoreError()));
            }
        }
        return m;
    }

    void put(String benchmarkClass, String name, int threads, Score score) {
        scores.put(key(benchmarkClass, name, threads), score);
    }

    Optional<Score> get(String benchmarkClass, String name, int threads) {
        return Optional.ofNullable(scores.get(key(benchmarkClass, name, threads)));
    }

    private static String key(String benchmarkClass, String name, int threads) {
        return benchmarkClass + "/" + name + "/" + threads;
    }

    private static String simpleClass(String benchmark) {
        String owner = benchmark.substring(0, benchmark.lastIndexOf('.'));
        return owner.substring(owner.lastIndexOf('.') + 1);
    }
}
