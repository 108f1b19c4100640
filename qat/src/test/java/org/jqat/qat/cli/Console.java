package org.jqat.qat.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** What a command-line run prints: standard output or standard error captured while it runs. */
final class Console {
    private Console() {
    }

    static String stdoutOf(Runnable r) {
        return capture(r, () -> System.out, System::setOut);
    }

    static String stderrOf(Runnable r) {
        return capture(r, () -> System.err, System::setErr);
    }

    private static String capture(Runnable r, Supplier<PrintStream> current, Consumer<PrintStream> set) {
        PrintStream old = current.get();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        set.accept(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            set.accept(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
