package dev.tally.counter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The compiled module descriptor of counter-api: the API package and nothing but the JDK. */
final class ModuleDescriptorTest {

    @Test
    void exportsOnlyTheApiPackageAndRequiresNothingButTheJdk() throws Exception {
        Path classes = Path.of(Counter.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI());
        ModuleDescriptor module;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        assertThat(module.name()).isEqualTo("dev.tally.counter");
        assertThat(module.exports()).extracting(Exports::source)
                .containsExactly("dev.tally.counter");
        assertThat(module.requires()).extracting(Requires::name).containsExactly("java.base");
    }
}
