package dev.tally.counter.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;

/**
 * Compiles and runs, with assertions enabled, every {@code <pre>{@code ...}</pre>} example in the
 * javadoc under the roots named by the system property {@code tally.example.sources}, and every
 * README block fenced with a given info string, so an example that no longer compiles, throws, or
 * asserts a wrong value fails the build. Each example becomes the body of
 * {@code static void main(parameters)}, invoked with the given arguments.
 *
 * <pre>{@code
 * new UsageExamples(classes, "import dev.tally.counter.*;", "").tests("java")
 * }</pre>
 */
public final class UsageExamples {

    private static final Pattern EXAMPLE =
            Pattern.compile("<pre>\\{@code\\n(.*?)\\n\\s*\\*?\\s*}</pre>", Pattern.DOTALL);
    private static final Pattern PUBLIC_TYPE =
            Pattern.compile("^public (?:final )?(?:class|interface) (\\w+)", Pattern.MULTILINE);

    private final Path classes;
    private final String imports;
    private final String parameters;
    private final Object[] arguments;
    private UnaryOperator<String> rewrite = UnaryOperator.identity();

    /**
     * Prepares to compile examples into {@code classes}.
     *
     * @param classes an empty directory for the generated sources and classes
     * @param imports the import lines every example needs
     * @param parameters the parameter list of the generated {@code main}, which the examples see
     * @param arguments the values passed for those parameters
     */
    public UsageExamples(Path classes, String imports, String parameters, Object... arguments) {
        this.classes = classes;
        this.imports = imports;
        this.parameters = parameters;
        this.arguments = arguments.clone();
    }

    /**
     * Rewrites each example's code before it is compiled, for example to point an address at a
     * test server.
     *
     * @param rewrite applied to the code of each example
     * @return this
     */
    public UsageExamples rewriting(UnaryOperator<String> rewrite) {
        this.rewrite = rewrite;
        return this;
    }

    /**
     * Returns one test per javadoc example and per README block fenced with {@code readmeFence}
     * (the whole info string, as in {@code ```java}).
     *
     * @param readmeFence the info string of the README blocks to run
     * @return the tests, at least one per two source files
     */
    public List<DynamicTest> tests(String readmeFence) {
        List<DynamicTest> tests = new ArrayList<>();
        List<Path> files = sourceFiles();
        for (Path file : files) {
            Matcher example = EXAMPLE.matcher(read(file));
            for (int n = 1; example.find(); n++) {
                String name = file.getFileName().toString().replace(".java", "") + n;
                String code = example.group(1).replaceAll("(?m)^\\s*\\* ?", "");
                tests.add(DynamicTest.dynamicTest(name, () -> compileAndRun(name, code)));
            }
        }
        Path readme = Path.of(System.getProperty("tally.readme", "README.md"));
        Pattern block = Pattern.compile("```" + Pattern.quote(readmeFence) + "\\n(.*?)```", Pattern.DOTALL);
        Matcher example = block.matcher(read(readme));
        for (int n = 1; example.find(); n++) {
            String name = "Readme" + n;
            String code = example.group(1);
            tests.add(DynamicTest.dynamicTest(name, () -> compileAndRun(name, code)));
        }
        assertThat(tests).as("examples found").hasSizeGreaterThan(files.size() / 2);
        return tests;
    }

    /** Fails unless every source file that declares a public type shows an example. */
    public static void assertEveryPublicTypeHasAnExample() {
        List<Path> sources = sourceFiles();
        assertThat(sources).as("source files found").isNotEmpty();
        for (Path file : sources) {
            String text = read(file);
            if (PUBLIC_TYPE.matcher(text).find()) {
                assertThat(EXAMPLE.matcher(text).find()).as("an example in " + file).isTrue();
            }
        }
    }

    private void compileAndRun(String name, String code) throws Exception {
        String className = "Example" + name;
        String source = imports + "\n"
                + "public final class " + className + " {\n"
                + "    public static void main(" + parameters + ") throws Exception {\n"
                + rewrite.apply(code) + "\n"
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
            Method main = Arrays.stream(loader.loadClass(className).getMethods())
                    .filter(m -> m.getName().equals("main")).findFirst().orElseThrow();
            main.invoke(null, arguments);
        }
    }

    private static List<Path> sourceFiles() {
        String roots = System.getProperty("tally.example.sources");
        assertThat(roots).as("system property tally.example.sources").isNotBlank();
        List<Path> files = new ArrayList<>();
        for (String root : roots.split(java.io.File.pathSeparator)) {
            try (Stream<Path> walk = Files.walk(Path.of(root))) {
                walk.filter(p -> p.toString().endsWith(".java")).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
