package dev.tally.counter.redis;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code redis-server} on loopback and a free port, for tests and the demo. The binary is
 * the one named by the system property {@code tally.redis.server} ({@code embedded} forces the
 * shipped one), else {@code redis-server} on the
 * PATH, else the one that {@code com.github.codemonstur:embedded-redis} ships, so a machine with
 * only a JDK and Maven can run it. Stopped with SIGKILL by its process id; {@link #restart()}
 * brings it back on the same port and directory, which with AOF keeps every acknowledged write.
 * Public for counter-bench, which takes it from this module's test jar.
 */
public final class RedisServer implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(20);

    private final Path binary;
    private final Path dir;
    private final int port;
    private final boolean appendOnly;
    /** A config file to start with (a Sentinel's), or null. */
    private final Path config;
    private final List<String> extra;
    private Process process;

    private RedisServer(Path binary, Path dir, int port, boolean appendOnly, Path config, List<String> extra) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.appendOnly = appendOnly;
        this.config = config;
        this.extra = extra;
    }

    /**
     * Starts a server in a fresh directory under {@code tally.redis.work} (or the temp dir).
     *
     * @param appendOnly whether to persist every write to an AOF file before replying
     * @return the running server
     */
    public static RedisServer start(boolean appendOnly) {
        return start(appendOnly, List.of());
    }

    /**
     * Starts a server as {@link #start(boolean)} does, with more command-line options, such as
     * {@code --replicaof} or {@code --cluster-enabled yes}.
     *
     * @param appendOnly whether to persist every write to an AOF file before replying
     * @param extra options added after the usual ones
     * @return the running server
     */
    public static RedisServer start(boolean appendOnly, List<String> extra) {
        return launchNew(appendOnly, null, extra);
    }

    /**
     * Starts a Sentinel that watches {@code master} under the name {@code masterName}, with a
     * quorum of one, a master declared down after 1 s and failovers allowed every 5 s.
     *
     * @return the running Sentinel
     */
    public static RedisServer sentinel(String masterName, RedisServer master) {
        String conf = "sentinel monitor " + masterName + " 127.0.0.1 " + master.port + " 1\n"
                + "sentinel down-after-milliseconds " + masterName + " 1000\n"
                + "sentinel failover-timeout " + masterName + " 5000\n";
        return launchNew(false, conf, List.of());
    }

    private static RedisServer launchNew(boolean appendOnly, String sentinelConf, List<String> extra) {
        try {
            Path work = Path.of(System.getProperty("tally.redis.work",
                    System.getProperty("java.io.tmpdir") + "/tally-redis"));
            Files.createDirectories(work);
            Path dir = Files.createTempDirectory(work, "server-");
            Path config = null;
            if (sentinelConf != null) {
                config = dir.resolve("sentinel.conf");
                Files.writeString(config, sentinelConf);
            }
            RedisServer server = new RedisServer(binary(work), dir, freePort(), appendOnly, config, extra);
            server.launch();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the server's port. */
    public int port() {
        return port;
    }

    /** Returns the server's address as a URI with a 2 s timeout. */
    public RedisURI uri() {
        return RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(2)).build();
    }

    /** Returns the path of the binary in use, for messages. */
    public Path binary() {
        return binary;
    }

    /** Returns what the binary says of its version, such as {@code redis-server 7.0.15}. */
    public String version() {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            Matcher v = Pattern.compile("v=(\\S+)").matcher(out);
            return "redis-server " + (v.find() ? v.group(1) : "(version unknown)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kills the server with SIGKILL, by its process id, and waits until it is gone. */
    public void kill() {
        if (process != null) {
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts the server again on the same port and directory. */
    public void restart() {
        kill();
        launch();
    }

    @Override
    public void close() {
        kill();
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(binary.toString()));
        if (config != null) {
            command.addAll(List.of(config.toString(), "--sentinel"));
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--save", "", "--daemonize", "no"));
        if (config == null) {
            // A replica's first sync waits 5 s by default for others to join it: a test has one.
            command.addAll(List.of("--repl-diskless-sync-delay", "0"));
        }
        if (appendOnly) {
            command.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
        }
        command.addAll(extra);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (!answersPing()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                kill();
                throw new IllegalStateException(binary + " did not start on port " + port + "; see "
                        + dir.resolve("server.log"));
            }
            Thread.onSpinWait();
        }
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            socket.setSoTimeout(1000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] reply = new byte[5];
            int n = socket.getInputStream().readNBytes(reply, 0, 5);
            return n == 5 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG");
        } catch (IOException notYet) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Path binary(Path work) throws IOException {
        String named = System.getProperty("tally.redis.server", "");
        if (named.equals("embedded")) {
            return embedded(work);
        }
        if (!named.isBlank()) {
            return Path.of(named);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "redis-server");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return embedded(work);
    }

    /** Copies the binary that embedded-redis ships for this platform out of its jar. */
    private static Path embedded(Path work) throws IOException {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        boolean arm = arch.contains("aarch64") || arch.contains("arm64");
        String resource;
        if (os.contains("linux")) {
            resource = arm ? "redis-server-6.2.7-linux-arm64" : "redis-server-6.2.6-v5-linux-amd64";
        } else if (os.contains("mac")) {
            resource = arm ? "redis-server-6.2.6-v5-darwin-arm64" : "redis-server-6.2.6-v5-darwin-amd64";
        } else {
            throw new IllegalStateException("no redis-server on the PATH and none shipped for " + os);
        }
        Path target = work.resolve(resource);
        if (!Files.isExecutable(target)) {
            try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("embedded-redis does not ship " + resource);
                }
                Path part = Files.createTempFile(work, resource, ".part");
                Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                if (!part.toFile().setExecutable(true)) {
                    throw new IOException("cannot make " + part + " executable");
                }
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return target;
    }
}
