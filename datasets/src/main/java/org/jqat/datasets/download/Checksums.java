package org.jqat.datasets.download;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Checksum helpers: MD5 because that is what the data sets' publishers and torchvision list,
 * SHA-256 for model files (what PyTorch's hub and torchvision's weights record).
 */
public final class Checksums {
    private Checksums() {}

    public static final String MD5 = "MD5";
    public static final String SHA256 = "SHA-256";

    public static MessageDigest md5() {
        return digest(MD5);
    }

    /** A digest the JDK always provides ({@link #MD5} or {@link #SHA256}). */
    public static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides " + algorithm, e);
        }
    }

    /** Lower-case hex MD5 of a file's bytes. */
    public static String md5(Path file) throws IOException {
        return hex(file, MD5);
    }

    /** Lower-case hex digest of a file's bytes. */
    public static String hex(Path file, String algorithm) throws IOException {
        MessageDigest md = digest(algorithm);
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
        return matches(file, MD5, expected);
    }

    /** Whether {@code file} exists and its digest is {@code expected} (case-insensitive hex). */
    public static boolean matches(Path file, String algorithm, String expected) throws IOException {
        return Files.isRegularFile(file) && hex(file, algorithm).equalsIgnoreCase(expected);
    }
}
