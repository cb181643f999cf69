package dev.tally.stress;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.stream.Stream;
import org.openjdk.jcstress.infra.collectors.TestResult;

/** The gate over a whole run: one {@link TestSummary} per expected test, and the table of them. */
final class Summary {

    private final Map<String, TestSummary> tests = new LinkedHashMap<>();
    private final List<String> unexpected = new ArrayList<>();

    private Summary() {
    }

    /**
     * Groups the results by test. A test that matched the filter but has no result still gets a
     * row, which fails; a result for a test nobody expected is reported and fails too.
     */
    static Summary of(SortedSet<String> expectedTests, List<TestResult> results) {
        Summary summary = expecting(expectedTests);
        for (TestResult result : results) {
            TestSummary test = summary.tests.get(result.getName());
            if (test == null) {
                summary.unexpected.add(result.getName());
            } else {
                test.add(result);
            }
        }
        return summary;
    }

    /** A summary with a row for each expected test and no results yet. */
    static Summary expecting(SortedSet<String> expectedTests) {
        Summary summary = new Summary();
        for (String name : expectedTests) {
            summary.tests.put(name, new TestSummary(name, mustShowInteresting(name)));
        }
        return summary;
    }

    /** The row of one expected test. */
    TestSummary test(String name) {
        return tests.get(name);
    }

    /** Whether the gate accepts the whole run: some tests, every one passing, nothing unexpected. */
    boolean passed() {
        return !tests.isEmpty() && unexpected.isEmpty()
                && tests.values().stream().allMatch(TestSummary::passed);
    }

    /** Prints, for each test, every outcome it showed and how often. */
    void printOutcomes(PrintStream out) {
        sorted().forEach(t -> {
            out.printf(Locale.ROOT, "%s.%s%n", t.scenario(), t.implementation());
            t.outcomes().forEach((outcome, count) ->
                    out.printf(Locale.ROOT, "    %-36s %,15d%n", outcome, count));
        });
    }

    private Stream<TestSummary> sorted() {
        return tests.values().stream()
                .sorted((a, b) -> a.scenario().equals(b.scenario())
                        ? a.implementation().compareTo(b.implementation())
                        : a.scenario().compareTo(b.scenario()));
    }

    /** Prints the table, one row per test, and the overall verdict. */
    void print(PrintStream out) {
        String row = "%-22s %-14s %,13d %,12d %,10d  %s%n";
        out.printf(Locale.ROOT, "%-22s %-14s %13s %12s %10s  %s%n",
                "implementation", "scenario", "samples", "interesting", "forbidden", "verdict");
        sorted().forEach(t -> out.printf(Locale.ROOT, row, t.implementation(), t.scenario(),
                        t.samples(), t.interesting(), t.forbidden(), t.verdict()));
        for (String name : unexpected) {
            out.println("FAIL: a result for " + name + ", which the filter did not select");
        }
        if (tests.isEmpty()) {
            out.println("FAIL: no jcstress test matched, so nothing was proven");
        }
        long failed = tests.values().stream().filter(t -> !t.passed()).count();
        out.println();
        out.println(passed()
                ? "GATE PASSED: " + tests.size() + " tests; every race that must show did, and no "
                        + "test showed a forbidden outcome."
                : "GATE FAILED: " + failed + " of " + tests.size() + " tests failed (see the "
                        + "verdicts above).");
    }

    private static boolean mustShowInteresting(String testName) {
        String binary = testName;
        while (true) {
            try {
                return Class.forName(binary, false, Summary.class.getClassLoader())
                        .isAnnotationPresent(MustShowInteresting.class);
            } catch (ClassNotFoundException e) {
                int dot = binary.lastIndexOf('.');
                if (dot < 0) {
                    throw new IllegalStateException("no class for the jcstress test " + testName);
                }
                binary = binary.substring(0, dot) + '$' + binary.substring(dot + 1);
            }
        }
    }
}
