package org.jqat.qat.reproduce;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** A PNG line chart of test accuracy per epoch, one line per run, drawn with Java2D (headless). */
public final class AccuracyPlot {
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)
    };

    private AccuracyPlot() {
    }

    public static void write(Path file, String title, List<RunRecord> runs) {
        System.setProperty("java.awt.headless", "true");
        int w = 900;
        int h = 560;
        int left = 70;
        int right = 230;
        int top = 50;
        int bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int epochs = runs.stream().mapToInt(r -> r.curve().size()).max().orElse(1);
        double lo = runs.stream().flatMap(r -> r.curve().stream()).mapToDouble(Double::doubleValue).min().orElse(0);
        double hi = runs.stream().flatMap(r -> r.curve().stream()).mapToDouble(Double::doubleValue).max().orElse(100);
        lo = Math.max(0, Math.floor(lo - 1));
        hi = Math.min(100, Math.ceil(hi + 1));
        if (hi <= lo) {
            hi = lo + 1;
        }
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setColor(new Color(0xdddddd));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int k = 0; k <= 5; k++) {
            double v = lo + (hi - lo) * k / 5;
            int y = top + ph - (int) Math.round(ph * k / 5.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.1f", v), 20, y + 4);
        }
        for (int e = 1; e <= epochs; e++) {
            int x = left + (epochs == 1 ? pw / 2 : (int) Math.round(pw * (e - 1) / (double) (epochs - 1)));
            g.drawString(Integer.toString(e), x - 4, top + ph + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("epoch", left + pw / 2 - 15, h - 20);
        g.drawString("test top-1 %", 10, top - 10);
        for (int i = 0; i < runs.size(); i++) {
            RunRecord r = runs.get(i);
            g.setColor(COLORS[i % COLORS.length]);
            g.setStroke(r.method().endsWith("+BR") ? new BasicStroke(2.2f)
                    : new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            int px = -1;
            int py = -1;
            List<Double> c = r.curve();
            for (int e = 0; e < c.size(); e++) {
                int x = left + (epochs == 1 ? pw / 2 : (int) Math.round(pw * e / (double) (epochs - 1)));
                int y = top + ph - (int) Math.round(ph * (c.get(e) - lo) / (hi - lo));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 3, y - 3, 6, 6);
                px = x;
                py = y;
            }
            int ly = top + 14 + i * 18;
            g.drawLine(left + pw + 15, ly - 4, left + pw + 40, ly - 4);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%s W%d/A%d s%d", r.method(), r.weightBits(), r.activationBits(), r.seed()),
                    left + pw + 45, ly);
        }
        g.dispose();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ImageIO.write(img, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + file, e);
        }
    }
}
