package org.jqat.datasets.download;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** MD5 helpers; MD5 because that is what the data sets' publishers and torchvision list. */
public final class Checksums {
    private Checksums() {}

    public static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides MD5", e);
        }
    }

    /** Lower-case hex MD5 of a file's bytes. */
    public static String md5(Path file) throws IOException {
        MessageDigest md = md5();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Whether {@code file} exists and its MD5 is {@code expected} (case-insensitive). */
    public static boolean matches(Path file, String expected) throws IOException {
        return Files.isRegularFile(file) && md5(file).equalsIgnoreCase(expected);
    }
}
