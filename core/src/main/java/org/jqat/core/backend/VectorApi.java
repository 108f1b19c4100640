package org.jqat.core.backend;

/**
 * Whether the JVM resolved {@code jdk.incubator.vector}, which the SIMD kernels (the {@code cpu}
 * backend, the integer inference engine) are written in.
 *
 * <p>The module is an incubator: on the module path a module that {@code requires} it (such as
 * {@code org.jqat.kernels.cpu}) resolves it, but on the class path (an IDE run configuration,
 * {@code mvn exec:java}) nothing does unless the JVM starts with
 * {@code --add-modules jdk.incubator.vector}, and the first SIMD kernel would then fail with a
 * {@code NoClassDefFoundError}. Callers ask here first and take their scalar path instead.
 */
public final class VectorApi {
    /** What to do about it, for messages. */
    public static final String HOW_TO_ENABLE = "start the JVM with --add-modules jdk.incubator.vector "
            + "(on the class path; MAVEN_OPTS or the IDE's VM options), or run from the module path";

    private static final String REASON = probe();

    private VectorApi() {
    }

    /** True when {@code jdk.incubator.vector} can be used from this JVM. */
    public static boolean available() {
        return REASON == null;
    }

    /** Null when available, otherwise why not and what to do, in one line. */
    public static String unavailableReason() {
        return REASON;
    }

    private static String probe() {
        try {
            Class.forName("jdk.incubator.vector.FloatVector", false, VectorApi.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return "the JVM has not resolved module jdk.incubator.vector: " + HOW_TO_ENABLE;
        }
    }
}
