package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The consumer project under examples/ (built and run by .ci/run against the installed artifacts)
 * runs the README's first example as written, and reads counter-impl as a named module.
 */
final class ConsumerExampleTest {

    private static final Path README = Path.of(System.getProperty("tally.readme", "README.md"));
    private static final Path CONSUMER = README.resolveSibling("examples/consumer/src/main/java");
    private static final Pattern FIRST_JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern MARKED_EXAMPLE = Pattern.compile(
            "// README example: begin\\n(.*?)\\n[ \\t]*// README example: end", Pattern.DOTALL);

    @Test
    void theConsumerRunsTheReadmesFirstExampleUnchanged() throws IOException {
        Matcher readme = FIRST_JAVA_BLOCK.matcher(Files.readString(README));
        assertThat(readme.find()).as("a ```java block in " + README).isTrue();
        Path main = CONSUMER.resolve("dev/tally/examples/consumer/Main.java");
        Matcher consumer = MARKED_EXAMPLE.matcher(Files.readString(main));
        assertThat(consumer.find()).as("the marked example in " + main).isTrue();
        assertThat(consumer.group(1).stripIndent() + "\n").isEqualTo(readme.group(1));
    }

    @Test
    void theConsumerModuleRequiresCounterImpl() throws IOException {
        assertThat(Files.readString(CONSUMER.resolve("module-info.java")))
                .contains("requires dev.tally.counter.impl;");
    }
}
