package dev.tally.counter.micrometer;

import java.util.LinkedHashMap;
import java.util.Map;

/** Every sample of a scrape in the Prometheus text format, by series (name and labels). */
final class PrometheusSamples {

    private PrometheusSamples() {
    }

    /**
     * Parses each sample line, {@code name{labels} value}, into its series and value; comments
     * and blank lines are skipped. Throws on a line it cannot read, so a format change fails the
     * test instead of passing it with nothing checked.
     */
    static Map<String, Double> parse(String scrape) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                throw new IllegalArgumentException("not a sample line: '" + line + "'");
            }
            samples.put(line.substring(0, space), value(line.substring(space + 1)));
        }
        return samples;
    }

    private static double value(String text) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(text);
        }
    }
}
