package dev.tally.counter.micrometer;

import dev.tally.counter.testkit.UsageExamples;
import dev.tally.counter.redis.RedisServer;
import io.lettuce.core.RedisClient;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example in counter-micrometer's javadoc, and every {@code ```java micrometer} block of the
 * README, compiles and runs with assertions enabled, with a Lettuce {@code client} in scope and
 * {@code redis://localhost:6379} pointed at a real test server. Micrometer's types are imported
 * by name, as a user must: {@code Counter} is both tally's and Micrometer's.
 */
final class UsageExamplesTest {

    private static RedisServer server;
    private static RedisClient client;

    @TempDir
    Path classes;

    @BeforeAll
    static void startRedis() {
        server = RedisServer.start(false);
        client = RedisClient.create();
    }

    @AfterAll
    static void stopRedis() {
        client.shutdown();
        server.close();
    }

    @Test
    void everyPublicTypeHasAnExample() {
        UsageExamples.assertEveryPublicTypeHasAnExample();
    }

    @TestFactory
    Stream<DynamicTest> everyExampleCompilesAndRuns() {
        String imports = "import dev.tally.counter.*;\nimport dev.tally.counter.impl.*;\n"
                + "import dev.tally.counter.micrometer.*;\nimport dev.tally.counter.redis.*;\n"
                + "import io.micrometer.core.instrument.MeterRegistry;\n"
                + "import io.micrometer.core.instrument.Tags;\n"
                + "import io.micrometer.core.instrument.simple.SimpleMeterRegistry;\n"
                + "import io.lettuce.core.*;\nimport java.time.Duration;";
        String here = "redis://127.0.0.1:" + server.port();
        return new UsageExamples(classes, imports, "RedisClient client", client)
                .rewriting(code -> code.replace("redis://localhost:6379", here))
                .tests("java micrometer").stream();
    }
}
