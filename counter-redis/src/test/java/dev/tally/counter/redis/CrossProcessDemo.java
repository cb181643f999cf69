package dev.tally.counter.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The seed's lesson across processes: several JVMs each add 100,000 to one Redis key, first with
 * a naive {@code GET} then {@code SET} (the read-add-write of {@code count += 1}, with the network
 * in the middle), then through {@link RedisCounter}. Prints expected, actual and lost for both, and
 * exits non-zero if {@code RedisCounter} lost or doubled anything. Run by
 * {@code mvn -B -Pdemo -pl counter-redis -am verify}; arguments: JVMs (default 4), adds per JVM
 * (default 100,000).
 */
final class CrossProcessDemo {

    private CrossProcessDemo() {
    }

    public static void main(String[] args) throws Exception {
        int jvms = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int adds = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        try (TestRedis redis = TestRedis.started()) {
            System.out.printf(Locale.ROOT, "%d JVMs x %,d increments of one Redis key (%s, %s)%n",
                    jvms, adds, redis.server.version(), redis.server.binary());
            long expected = (long) jvms * adds;
            round(redis, "naive GET then SET", "naive", jvms, adds, expected);
            long lost = round(redis, "RedisCounter", "increment", jvms, adds, expected);
            if (lost != 0) {
                System.out.println("RedisCounter was off by " + lost + ": this is a bug in tally");
                System.exit(1);
            }
        }
    }

    /** Runs one round in fresh JVMs on a fresh key; prints and returns how many were lost. */
    private static long round(TestRedis redis, String label, String mode, int jvms, int adds,
            long expected) throws IOException, InterruptedException {
        String name = "demo-" + mode;
        long start = System.nanoTime();
        List<Process> workers = new ArrayList<>();
        for (int w = 0; w < jvms; w++) {
            workers.add(CounterWorker.launch(mode, redis.server.uri(), name, w, adds));
        }
        for (Process worker : workers) {
            String line;
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
                line = out.readLine();
            }
            if (worker.waitFor() != 0 || !("sum=" + adds).equals(line)) {
                throw new IllegalStateException("a " + mode + " worker failed: exit " + worker.exitValue()
                        + ", printed " + line);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long actual = redis.value(name);
        long lost = expected - actual;
        System.out.printf(Locale.ROOT, "  %-20s expected %,9d   actual %,9d   lost %,9d (%4.1f%%)   %5.1f s%n",
                label, expected, actual, lost, 100.0 * lost / expected, seconds);
        return lost;
    }
}
