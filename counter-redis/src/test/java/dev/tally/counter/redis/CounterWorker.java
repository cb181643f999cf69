package dev.tally.counter.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One worker process of the multi-JVM tests, the demo and counter-bench's throughput runs. Prints one line per step on stdout, so
 * the parent can follow it. Modes:
 * <ul>
 *   <li>{@code counter PORT NAME WORKER ADDS}: adds {@code delta(WORKER, i)} for each
 *       {@code i < ADDS} through a {@link RedisCounter}, closes it, prints {@code sum=N}.</li>
 *   <li>{@code increment PORT NAME WORKER ADDS}: increments a {@link RedisCounter} {@code ADDS}
 *       times, closes it, prints {@code sum=ADDS}.</li>
 *   <li>{@code naive PORT NAME WORKER ADDS}: adds one at a time with {@code GET} then {@code SET}
 *       on the counter's value key, the way {@code count += 1} does it, prints {@code sum=N}.</li>
 *   <li>{@code flood PORT NAME WORKER MILLIS}: prints {@code ready}, waits for a line on stdin,
 *       increments a {@link RedisCounter} for {@code MILLIS} ms, closes it, prints
 *       {@code added=N}. {@code flood-incrby} does the same with one synchronous {@code INCRBY}
 *       per increment. For counter-bench's throughput runs.</li>
 *   <li>{@code exit PORT NAME WORKER ADDS}: adds through a counter that flushes once an hour,
 *       prints {@code pending}, and exits without closing it: its shutdown hook sends the adds.</li>
 *   <li>{@code crash PORT NAME WORKER ADDS}: adds, flushes, prints {@code flushed=N}, adds as much
 *       again without flushing, prints {@code pending}, then waits to be killed.</li>
 * </ul>
 */
public final class CounterWorker {

    private CounterWorker() {
    }

    /** The worker's {@code i}-th delta: -3 to 7, 2 on average, different for each worker. */
    static long delta(int worker, int i) {
        return (i * 31L + worker) % 11 - 3;
    }

    /** What worker {@code worker} adds in all in {@code adds} steps. */
    static long sum(int worker, int adds) {
        long sum = 0;
        for (int i = 0; i < adds; i++) {
            sum += delta(worker, i);
        }
        return sum;
    }

    /**
     * Starts a worker JVM with the same class path as this one.
     *
     * @return the started process, its stdout readable, its stderr inherited
     */
    public static Process launch(String mode, RedisURI server, String name, int worker, int adds)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                CounterWorker.class.getName(), mode, Integer.toString(server.getPort()), name,
                Integer.toString(worker), Integer.toString(adds)));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void flood(RedisClient client, RedisURI server, String name, boolean batched,
            int millis) throws IOException {
        try (StatefulRedisConnection<String, String> connection = client.connect(server)) {
            RedisCommands<String, String> redis = connection.sync();
            String key = "tally:{" + name + "}:value";
            // Only the batched mode has a counter (and so a flusher thread) running beside it.
            RedisCounter counter = batched ? RedisCounter.builder(client, server, name).build() : null;
            redis.ping();
            System.out.println("ready");
            System.out.flush();
            System.in.read();
            long end = System.nanoTime() + millis * 1_000_000L;
            long added = 0;
            try {
                do {
                    for (int i = 0; i < 1024; i++) {
                        if (batched) {
                            counter.increment();
                        } else {
                            redis.incrby(key, 1);
                        }
                    }
                    added += 1024;
                } while (System.nanoTime() < end);
            } finally {
                if (counter != null) {
                    counter.close();   // its last batch is in before the parent stops the clock
                }
            }
            System.out.println("added=" + added);
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        RedisURI server = RedisURI.create("127.0.0.1", Integer.parseInt(args[1]));
        String name = args[2];
        int worker = Integer.parseInt(args[3]);
        int adds = Integer.parseInt(args[4]);
        RedisClient client = RedisClient.create();
        try {
            switch (mode) {
                case "counter" -> {
                    try (RedisCounter counter = RedisCounter.builder(client, server, name).build()) {
                        for (int i = 0; i < adds; i++) {
                            counter.add(delta(worker, i));
                        }
                    }
                    System.out.println("sum=" + sum(worker, adds));
                }
                case "exit" -> {
                    RedisCounter counter = RedisCounter.builder(client, server, name)
                            .flushInterval(Duration.ofHours(1)).build();
                    for (int i = 0; i < adds; i++) {
                        counter.add(delta(worker, i));
                    }
                    System.out.println("pending");
                    System.out.flush();
                    System.exit(0);   // no close(), and the client stays up for the hook
                }
                case "increment" -> {
                    try (RedisCounter counter = RedisCounter.builder(client, server, name).build()) {
                        for (int i = 0; i < adds; i++) {
                            counter.increment();
                        }
                    }
                    System.out.println("sum=" + adds);
                }
                case "naive" -> {
                    try (StatefulRedisConnection<String, String> connection = client.connect(server)) {
                        RedisCommands<String, String> redis = connection.sync();
                        String key = "tally:{" + name + "}:value";
                        for (int i = 0; i < adds; i++) {
                            String value = redis.get(key);                          // read
                            long next = (value == null ? 0 : Long.parseLong(value)) + 1;  // add
                            redis.set(key, Long.toString(next));                   // write
                        }
                    }
                    System.out.println("sum=" + adds);
                }
                case "flood", "flood-incrby" -> flood(client, server, name, mode.equals("flood"), adds);
                case "crash" -> {
                    RedisCounter counter = RedisCounter.builder(client, server, name)
                            .flushInterval(Duration.ofDays(1)).build();
                    for (int i = 0; i < adds; i++) {
                        counter.add(delta(worker, i));
                    }
                    counter.flush();
                    System.out.println("flushed=" + sum(worker, adds));
                    for (int i = 0; i < adds; i++) {
                        counter.add(delta(worker, i));
                    }
                    System.out.println("pending");
                    System.out.flush();
                    System.in.read();   // the parent kills this process here
                }
                default -> throw new IllegalArgumentException("unknown mode: " + mode);
            }
        } finally {
            client.shutdown();
        }
    }
}
