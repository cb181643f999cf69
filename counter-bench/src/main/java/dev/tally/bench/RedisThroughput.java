package dev.tally.bench;

import dev.tally.counter.redis.CounterWorker;
import dev.tally.counter.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Adds per second that reach Redis from 1 and from 4 worker JVMs, each incrementing as fast as it
 * can for a fixed time, through {@code RedisCounter} and through one synchronous {@code INCRBY}
 * per add. Timed from the moment all workers are told to go until the last has closed its
 * counter (so its last batch is in); JVM start-up is outside. Not JMH: the load is several
 * processes. Each run also checks that the server holds exactly what the workers added.
 */
final class RedisThroughput {

    /** One configuration's rounds: adds per second, and batches (script calls) per second. */
    record Row(String how, int jvms, double[] addsPerSecond, double[] batchesPerSecond) {
    }

    private RedisThroughput() {
    }

    /** Measures {@code rounds} rounds of {@code millis} ms with 1 and with {@code manyJvms} JVMs. */
    static List<Row> measure(int rounds, int millis, int manyJvms) throws IOException, InterruptedException {
        List<Row> rows = new ArrayList<>();
        try (RedisServer server = RedisServer.start(false)) {
            RedisClient client = RedisClient.create();
            try (StatefulRedisConnection<String, String> connection = client.connect(server.uri())) {
                for (String mode : List.of("flood", "flood-incrby")) {
                    for (int jvms : manyJvms > 1 ? new int[] {1, manyJvms} : new int[] {1}) {
                        double[] adds = new double[rounds];
                        double[] batches = new double[rounds];
                        for (int r = 0; r < rounds; r++) {
                            String name = mode + "-" + jvms + "-" + r;
                            long scriptsBefore = scriptCalls(connection);
                            double seconds = round(server, mode, name, jvms, millis, connection);
                            String v = connection.sync().get("tally:{" + name + "}:value");
                            adds[r] = Long.parseLong(v) / seconds;
                            batches[r] = (scriptCalls(connection) - scriptsBefore) / seconds;
                        }
                        rows.add(new Row(mode.equals("flood") ? "RedisCounter" : "INCRBY per add",
                                jvms, adds, batches));
                    }
                }
            } finally {
                client.shutdown();
            }
        }
        return rows;
    }

    /** Runs one round; returns its seconds. Fails if the server's value is not what was added. */
    private static double round(RedisServer server, String mode, String name, int jvms, int millis,
            StatefulRedisConnection<String, String> connection) throws IOException, InterruptedException {
        List<Process> workers = new ArrayList<>();
        List<BufferedReader> outs = new ArrayList<>();
        for (int w = 0; w < jvms; w++) {
            Process p = CounterWorker.launch(mode, server.uri(), name, w, millis);
            workers.add(p);
            outs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        }
        for (BufferedReader out : outs) {
            expect(out.readLine(), "ready");
        }
        long start = System.nanoTime();
        for (Process p : workers) {
            OutputStream in = p.getOutputStream();
            in.write('\n');
            in.flush();
        }
        long added = 0;
        for (int w = 0; w < jvms; w++) {
            String line = outs.get(w).readLine();
            expect(line == null ? null : line.replaceAll("=\\d+", "="), "added=");
            added += Long.parseLong(line.substring("added=".length()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        for (Process p : workers) {
            if (p.waitFor() != 0) {
                throw new IllegalStateException(mode + " worker exited with " + p.exitValue());
            }
        }
        long onServer = Long.parseLong(connection.sync().get("tally:{" + name + "}:value"));
        if (onServer != added) {
            throw new IllegalStateException(mode + ": workers added " + added + ", server holds " + onServer);
        }
        return seconds;
    }

    private static long scriptCalls(StatefulRedisConnection<String, String> connection) {
        long calls = 0;
        for (String line : connection.sync().info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                String field = line.substring(line.indexOf("calls=") + 6);
                calls += Long.parseLong(field.substring(0, field.indexOf(',')));
            }
        }
        return calls;
    }

    private static void expect(String line, String expected) {
        if (!expected.equals(line)) {
            throw new IllegalStateException("worker printed " + line + ", expected " + expected);
        }
    }

    /** The Markdown table: median and range over the rounds. */
    static String table(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        md.append("| how | JVMs | adds reaching Redis per second (median, range) | script calls per second |\n");
        md.append("|---|---:|---:|---:|\n");
        for (Row row : rows) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %s (%s to %s) | %s |%n", row.how(), row.jvms(),
                    count(median(row.addsPerSecond())), count(min(row.addsPerSecond())),
                    count(max(row.addsPerSecond())),
                    row.how().equals("RedisCounter") ? count(median(row.batchesPerSecond())) : "-"));
        }
        return md.toString();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(0);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(0);
    }

    private static String count(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }
}
