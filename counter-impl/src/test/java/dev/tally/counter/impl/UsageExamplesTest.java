package dev.tally.counter.impl;

import dev.tally.counter.testkit.UsageExamples;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example in the javadoc of counter-api and counter-impl, and every {@code ```java} block of
 * the README, compiles and runs with assertions enabled; every public type has an example.
 */
final class UsageExamplesTest {

    @TempDir
    Path classes;

    @Test
    void everyPublicTypeHasAnExample() {
        UsageExamples.assertEveryPublicTypeHasAnExample();
    }

    @TestFactory
    Stream<DynamicTest> everyExampleCompilesAndRuns() {
        return new UsageExamples(classes, "import dev.tally.counter.*;\nimport dev.tally.counter.impl.*;", "")
                .tests("java").stream();
    }
}
