package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs, with assertions enabled, every {@code <pre>{@code ...}</pre>} example in the
 * javadoc of counter-api and counter-impl and every {@code java} block of the README, so an example
 * that no longer compiles, throws, or asserts a wrong value fails the build. Also checks that every
 * public type has an example.
 */
final class UsageExamplesTest {

    private static final Pattern EXAMPLE =
            Pattern.compile("<pre>\\{@code\\n(.*?)\\n\\s*\\*?\\s*}</pre>", Pattern.DOTALL);
    private static final Pattern README_EXAMPLE =
            Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern PUBLIC_TYPE =
            Pattern.compile("^public (?:final )?(?:class|interface) (\\w+)", Pattern.MULTILINE);

    @TempDir
    Path classes;

    @Test
    void everyPublicTypeHasAnExample() throws IOException {
        List<String> sources = sourceFiles();
        assertThat(sources).as("source files found").isNotEmpty();
        for (String file : sources) {
            String text = Files.readString(Path.of(file));
            if (PUBLIC_TYPE.matcher(text).find()) {
                assertThat(EXAMPLE.matcher(text).find()).as("an example in " + file).isTrue();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> everyExampleCompilesAndRuns() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String file : sourceFiles()) {
            Matcher example = EXAMPLE.matcher(Files.readString(Path.of(file)));
            for (int n = 1; example.find(); n++) {
                String name = Path.of(file).getFileName().toString().replace(".java", "") + n;
                String code = example.group(1).replaceAll("(?m)^\\s*\\* ?", "");
                tests.add(DynamicTest.dynamicTest(name, () -> compileAndRun(name, code)));
            }
        }
        Path readme = Path.of(System.getProperty("tally.readme", "README.md"));
        Matcher example = README_EXAMPLE.matcher(Files.readString(readme));
        for (int n = 1; example.find(); n++) {
            String name = "Readme" + n;
            String code = example.group(1);
            tests.add(DynamicTest.dynamicTest(name, () -> compileAndRun(name, code)));
        }
        assertThat(tests).as("examples found").hasSizeGreaterThan(sourceFiles().size() / 2);
        return tests.stream();
    }

    private void compileAndRun(String name, String code) throws Exception {
        String className = "Example" + name;
        String source = "import dev.tally.counter.*;\n"
                + "import dev.tally.counter.impl.*;\n"
                + "public final class " + className + " {\n"
                + "    public static void main() throws Exception {\n"
                + code + "\n"
                + "    }\n"
                + "}\n";
        Path file = classes.resolve(className + ".java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = javac.getTask(diagnostics, null, null,
                List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path")),
                null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(file))
                .call();
        assertThat(compiled).as("the example compiles:\n" + source + "\n" + diagnostics).isTrue();
        try (URLClassLoader loader = new URLClassLoader(
                new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            loader.setDefaultAssertionStatus(true);
            Method main = loader.loadClass(className).getMethod("main");
            main.invoke(null);
        }
    }

    private static List<String> sourceFiles() throws IOException {
        String roots = System.getProperty("tally.example.sources");
        assertThat(roots).as("system property tally.example.sources").isNotBlank();
        List<String> files = new ArrayList<>();
        for (String root : roots.split(java.io.File.pathSeparator)) {
            try (Stream<Path> walk = Files.walk(Path.of(root))) {
                walk.filter(p -> p.toString().endsWith(".java"))
                        .map(Path::toString)
                        .sorted()
                        .forEach(files::add);
            }
        }
        return files;
    }
}
