package dev.tally.counter.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.testkit.Promises.WritePath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the coverage tests share: the top-level classes compiled beside a class, and the check that
 * a file covers every thread-safe counter of {@link Counters} or says why not ({@link LeavesOut}).
 *
 * <pre>{@code
 * Coverage.assertCovers(IncrementRace.class, coveredPairs);
 * }</pre>
 */
public final class Coverage {

    /** One counter written one way. */
    public record Pair(Counters counter, WritePath path) {
    }

    private Coverage() {
    }

    /**
     * The top-level classes of {@code anchor}'s package, compiled into the same directory.
     *
     * @param anchor a class whose package is scanned
     * @return the classes, loaded without initializing them, sorted by name
     */
    public static List<Class<?>> classesBeside(Class<?> anchor) {
        Path dir;
        try {
            dir = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .resolve(anchor.getPackageName().replace('.', '/'));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".class") && !name.contains("$") && !name.contains("-")) {
                    classes.add(Class.forName(anchor.getPackageName() + "."
                            + name.substring(0, name.length() - ".class".length()), false,
                            anchor.getClassLoader()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return classes;
    }

    /**
     * Every way each thread-safe counter is written, limited to {@code paths}.
     *
     * @param paths the write paths that must be covered
     * @return the pairs that must be covered
     */
    public static List<Pair> required(Set<WritePath> paths) {
        List<Pair> pairs = new ArrayList<>();
        for (Counters counter : Counters.threadSafe()) {
            for (WritePath path : WritePath.values()) {
                if (paths.contains(path) && counter.promises().writePaths().contains(path)) {
                    pairs.add(new Pair(counter, path));
                }
            }
        }
        return pairs;
    }

    /**
     * Fails unless {@code file} covers each required pair or declares with a reason that it leaves
     * it out; also fails on a declaration for a pair that is covered after all.
     *
     * @param file the scenario or benchmark class
     * @param required the pairs it must cover
     * @param covered the pairs it does cover
     */
    public static void assertCovers(Class<?> file, List<Pair> required, Set<Pair> covered) {
        List<String> missing = new ArrayList<>();
        for (Pair pair : required) {
            List<LeavesOut> reasons = Arrays.stream(file.getAnnotationsByType(LeavesOut.class))
                    .filter(l -> l.value() == pair.counter()
                            && Arrays.asList(l.through()).contains(pair.path()))
                    .toList();
            reasons.forEach(l -> assertThat(l.why()).as("the reason %s leaves out %s",
                    file.getSimpleName(), pair).isNotBlank());
            if (covered.contains(pair)) {
                assertThat(reasons).as("%s covers %s but declares it left out", file.getSimpleName(),
                        pair).isEmpty();
            } else if (reasons.isEmpty()) {
                missing.add(pair.counter().label() + " through " + pair.path());
            }
        }
        assertThat(missing).as("counters %s neither covers nor declares @LeavesOut, with why",
                file.getSimpleName()).isEmpty();
    }
}
