package dev.tally.stress;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;

/**
 * One jcstress run, in process: jcstress forks a JVM per test configuration, prints its progress
 * and writes its text and HTML reports; this class then reads back every result it recorded, so
 * that the gate judges the results themselves rather than jcstress's exit code (which is 0 when an
 * interesting outcome never showed, and when no test matched at all).
 */
final class SuiteRun {

    private final SortedSet<String> expectedTests;
    private final List<TestResult> results;
    private final File reportDir;

    private SuiteRun(SortedSet<String> expectedTests, List<TestResult> results, File reportDir) {
        this.expectedTests = expectedTests;
        this.results = results;
        this.reportDir = reportDir;
    }

    /**
     * Runs jcstress with {@code args} (its own command-line options) and collects the results.
     *
     * @param args jcstress options, such as {@code -m quick -t Regex -r dir}
     * @return the tests that matched the filter and the results recorded for them
     * @throws IllegalArgumentException if jcstress rejects the options
     * @throws Exception if jcstress fails to run
     */
    static SuiteRun start(List<String> args) throws Exception {
        Options options = new Options(args.toArray(new String[0]));
        if (!options.parse()) {
            throw new IllegalArgumentException("jcstress rejected the options " + args);
        }
        JCStress jcstress = new JCStress(options);
        SortedSet<String> expected = jcstress.getTests();
        List<TestResult> results = new ArrayList<>();
        if (!expected.isEmpty()) {
            try {
                jcstress.run();
            } catch (AssertionError e) {
                // jcstress throws this after writing its reports when a test failed; the results
                // it recorded are still there, and the summary judges them below.
                System.out.println("jcstress reported failed tests; the summary lists them.");
            }
            results.addAll(read(new File(options.getResultFile())));
        }
        return new SuiteRun(expected, results, new File(options.getResultDest()).getAbsoluteFile());
    }

    private static List<TestResult> read(File resultFile) throws IOException, ClassNotFoundException {
        if (!resultFile.isFile()) {
            return List.of();
        }
        InProcessCollector collector = new InProcessCollector();
        DiskReadCollector reader = new DiskReadCollector(resultFile.getPath(), collector);
        try {
            reader.dump();
        } finally {
            reader.close();
        }
        return new ArrayList<>(collector.getTestResults());
    }

    /**
     * The names of the tests that matched the filter: each must have results.
     *
     * @return test names, sorted
     */
    SortedSet<String> expectedTests() {
        return expectedTests;
    }

    /**
     * Every result recorded, one per test configuration (JVM flags, compilation mode, fork).
     *
     * @return the results
     */
    List<TestResult> results() {
        return results;
    }

    /**
     * The HTML report jcstress wrote.
     *
     * @return the path of its {@code index.html}
     */
    File htmlReport() {
        return new File(reportDir, "index.html");
    }
}
