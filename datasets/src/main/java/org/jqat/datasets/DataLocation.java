package org.jqat.datasets;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where data sets live: the {@code --data-dir} option if given, else the {@code JQAT_DATA}
 * environment variable, else a per-user cache ({@code $XDG_CACHE_HOME/jqat} or
 * {@code ~/.cache/jqat}).
 *
 * @param root   the resolved directory (it may not exist yet)
 * @param origin how it was chosen, for messages: "--data-dir", "JQAT_DATA" or "cache"
 */
public record DataLocation(Path root, String origin) {
    /** Name of the environment variable consulted when no option is given. */
    public static final String ENV = "JQAT_DATA";

    /** Resolves against the real environment and home directory. */
    public static DataLocation resolve(String dataDirOption) {
        return resolve(dataDirOption, System.getenv(), System.getProperty("user.home"));
    }

    /** Resolves with an explicit environment and home (testable, no global state). */
    public static DataLocation resolve(String dataDirOption, Map<String, String> env, String userHome) {
        if (dataDirOption != null && !dataDirOption.isBlank()) {
            return new DataLocation(Path.of(dataDirOption), "--data-dir");
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new DataLocation(Path.of(fromEnv), ENV);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        // The XDG spec says a relative value is invalid and must be ignored.
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return new DataLocation(Path.of(xdg, "jqat"), "cache");
        }
        return new DataLocation(Path.of(userHome, ".cache", "jqat"), "cache");
    }
}
