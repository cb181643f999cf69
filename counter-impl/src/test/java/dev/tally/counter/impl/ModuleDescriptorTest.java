package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The tests run on the class path, so the compiled module descriptor is checked here instead. */
final class ModuleDescriptorTest {

    @Test
    void exportsOnlyTheImplementationPackageAndRequiresTheApiTransitively() throws IOException {
        ModuleDescriptor module;
        try (InputStream in = Files.newInputStream(moduleInfoBeside(StripedCounter.class))) {
            module = ModuleDescriptor.read(in);
        }
        assertThat(module.name()).isEqualTo("dev.tally.counter.impl");
        assertThat(module.exports()).extracting(Exports::source)
                .containsExactly("dev.tally.counter.impl");
        assertThat(module.requires())
                .filteredOn(r -> r.name().equals("dev.tally.counter"))
                .singleElement()
                .extracting(Requires::modifiers)
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.ITERABLE)
                .contains(Requires.Modifier.TRANSITIVE);
        assertThat(module.requires()).extracting(Requires::name)
                .containsExactlyInAnyOrder("java.base", "dev.tally.counter");
    }

    /** The class path holds several module-info.class files: take the one of this module. */
    static Path moduleInfoBeside(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .resolve("module-info.class");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
