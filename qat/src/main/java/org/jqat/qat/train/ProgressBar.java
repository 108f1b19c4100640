package org.jqat.qat.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr with images/s and ETA, redrawn at most a few times a
 * second. Quiet when stderr is not a terminal, so logs and CI output stay clean.
 */
public final class ProgressBar {
    private final PrintStream out;
    private final boolean enabled;
    private long lastDraw;

    public ProgressBar(boolean wanted) {
        this(System.err, wanted && System.console() != null);
    }

    ProgressBar(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    /** Draws the bar for {@code done} of {@code total} steps. */
    public void update(String label, int done, int total, Metrics m) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        double rate = m.imagesPerSecond();
        double eta = done == 0 ? 0 : m.seconds() * (total - done) / done;
        out.printf(Locale.ROOT, "\r%s [%s%s] %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s   ",
                label, "=".repeat(filled), " ".repeat(width - filled), done, total, m.loss(), m.top1(), rate, clock(eta));
        if (done >= total) {
            out.println();
        }
        out.flush();
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
