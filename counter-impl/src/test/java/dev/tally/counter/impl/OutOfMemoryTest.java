package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every state change of a {@link PerThreadCounter} is all-or-nothing: an {@link OutOfMemoryError}
 * in {@code writer()} or {@code close()} never changes the count. Run in a separate JVM with a
 * 32 MB heap, filled before the handles are closed ({@link OutOfMemoryProbe}).
 */
final class OutOfMemoryTest {

    @Test
    void aFullHeapNeverChangesTheCount() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process probe = new ProcessBuilder(java, "-Xmx32m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                OutOfMemoryProbe.class.getName(), "32768")
                .redirectErrorStream(true)
                .start();
        boolean finished = probe.waitFor(1, TimeUnit.MINUTES);
        if (!finished) {
            probe.destroyForcibly();
        }
        assertThat(finished).as("probe finished within a minute").isTrue();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(output).as("probe output").contains(": exact");
        assertThat(output).contains("failed closes 0,");
        assertThat(probe.exitValue()).as("probe exit status; output: %s", output).isZero();
    }
}
