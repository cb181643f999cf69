package dev.tally.counter.redis;

import dev.tally.counter.testkit.UsageExamples;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example in counter-redis's javadoc, and every {@code ```java redis} block of the README,
 * compiles and runs against a real server, with a Lettuce {@code client} in scope and
 * {@code redis://localhost:6379} pointed at the test server.
 */
final class UsageExamplesTest {

    @RegisterExtension
    static final TestRedis redis = TestRedis.perClass();

    @TempDir
    Path classes;

    @Test
    void everyPublicTypeHasAnExample() {
        UsageExamples.assertEveryPublicTypeHasAnExample();
    }

    @TestFactory
    Stream<DynamicTest> everyExampleCompilesAndRuns() {
        String imports = "import dev.tally.counter.*;\nimport dev.tally.counter.redis.*;\n"
                + "import io.lettuce.core.*;\nimport java.time.Duration;";
        String here = "redis://127.0.0.1:" + redis.server.uri().getPort();
        return new UsageExamples(classes, imports, "RedisClient client", redis.client)
                .rewriting(code -> code.replace("redis://localhost:6379", here))
                .tests("java redis").stream();
    }
}
