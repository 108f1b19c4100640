package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataLocationTest {
    @Test
    void optionThenEnvThenXdgThenHome() {
        Map<String, String> env = Map.of("JQAT_DATA", "/env/data", "XDG_CACHE_HOME", "/xdg");
        assertEquals(new DataLocation(Path.of("/opt/d"), "--data-dir"), DataLocation.resolve("/opt/d", env, "/home/u"));
        assertEquals(new DataLocation(Path.of("/env/data"), "JQAT_DATA"), DataLocation.resolve(null, env, "/home/u"));
        assertEquals(new DataLocation(Path.of("/xdg/jqat"), "cache"), DataLocation.resolve("", Map.of("XDG_CACHE_HOME", "/xdg"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/jqat"), DataLocation.resolve(null, Map.of(), "/home/u").root());
        // A relative XDG_CACHE_HOME is invalid per the spec and ignored.
        assertEquals(Path.of("/home/u/.cache/jqat"), DataLocation.resolve(null, Map.of("XDG_CACHE_HOME", "rel"), "/home/u").root());
    }
}
