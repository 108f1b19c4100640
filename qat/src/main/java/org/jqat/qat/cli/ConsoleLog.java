package org.jqat.qat.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The command line's view of jqat's {@link System.Logger} output: the library only logs (epoch
 * summaries at DEBUG, resumes and fallbacks at INFO and WARNING); here every such line of the
 * {@code org.jqat} loggers goes to stderr as it is, without {@code java.util.logging}'s two-line
 * header. An application embedding jqat routes those loggers wherever it likes instead.
 */
final class ConsoleLog {
    /** Held strongly: java.util.logging keeps loggers only weakly. */
    private static Logger jqat;

    private ConsoleLog() {
    }

    static synchronized void install() {
        if (jqat != null) {
            return;
        }
        Logger l = Logger.getLogger("org.jqat");
        l.setLevel(Level.FINE);
        l.setUseParentHandlers(false);
        l.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    System.err.println(r.getMessage()); // the stream of the moment: tests swap System.err
                }
            }

            @Override
            public void flush() {
                System.err.flush();
            }

            @Override
            public void close() {
            }
        });
        jqat = l;
    }
}
