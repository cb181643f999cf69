package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every state change is all-or-nothing: an {@link OutOfMemoryError} in {@code writer()},
 * {@code close()}, an add that grows the stripes, or a drain never changes the count. Each
 * scenario runs in a JVM of its own with a 32 MB heap, filled where a counter would allocate
 * ({@link OutOfMemoryProbe}).
 */
final class OutOfMemoryTest {

    @ParameterizedTest
    @ValueSource(strings = {"handles 32768", "sampledAdd", "firstDrain"})
    void aFullHeapNeverChangesTheCount(String scenario) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                OutOfMemoryProbe.class.getName()));
        command.addAll(List.of(scenario.split(" ")));
        Process probe = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .start();
        boolean finished = probe.waitFor(1, TimeUnit.MINUTES);
        if (!finished) {
            probe.destroyForcibly();
        }
        assertThat(finished).as("probe finished within a minute").isTrue();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(output).as("probe output").contains(": exact").doesNotContain("WRONG");
        assertThat(probe.exitValue()).as("probe exit status; output: %s", output).isZero();
    }
}
