package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Several worker JVMs against one real server: exact totals, and what a killed worker costs. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
final class MultiProcessTest {

    @RegisterExtension
    static final TestRedis redis = TestRedis.perClass();

    @Test
    void drainsAndTheFinalValueAddUpToEveryWorkersAddsExactly() throws Exception {
        int workers = 4;
        int adds = 20_000;
        List<Process> processes = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            processes.add(CounterWorker.launch("counter", redis.server.uri(), "multi", w, adds));
        }
        long drained = 0;
        int drains = 0;
        try (RedisCounter drainer = redis.counter("multi").build()) {
            while (processes.stream().anyMatch(Process::isAlive) || drains < 3) {
                drained += drainer.getAndReset();
                drains++;
            }
        }
        long expected = 0;
        for (int w = 0; w < workers; w++) {
            Process p = processes.get(w);
            assertThat(p.waitFor()).as("worker %d exit code", w).isZero();
            assertThat(lines(p)).containsExactly("sum=" + CounterWorker.sum(w, adds));
            expected += CounterWorker.sum(w, adds);
        }
        assertThat(drains).isGreaterThan(3);
        assertThat(drained + redis.value("multi")).isEqualTo(expected);
    }

    @Test
    void aKilledWorkerLosesOnlyWhatItHadNotFlushed() throws Exception {
        Process worker = CounterWorker.launch("crash", redis.server.uri(), "crash", 0, 10_000);
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
            String flushed = out.readLine();
            assertThat(flushed).isEqualTo("flushed=" + CounterWorker.sum(0, 10_000));
            assertThat(out.readLine()).isEqualTo("pending");
            ProcessHandle.of(worker.pid()).ifPresent(ProcessHandle::destroyForcibly);   // kill -9
            assertThat(worker.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(worker.exitValue()).isEqualTo(137);
        assertThat(redis.value("crash")).isEqualTo(CounterWorker.sum(0, 10_000));
    }

    @Test
    void aJvmThatExitsWithoutClosingSendsWhatWasPending() throws Exception {
        Process worker = CounterWorker.launch("exit", redis.server.uri(), "exit", 0, 10_000);
        assertThat(worker.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(worker.exitValue()).isZero();
        assertThat(lines(worker)).containsExactly("pending");
        assertThat(redis.value("exit")).as("sent by the shutdown hook").isEqualTo(CounterWorker.sum(0, 10_000));
    }

    private static List<String> lines(Process p) throws IOException {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            return out.lines().toList();
        }
    }
}
