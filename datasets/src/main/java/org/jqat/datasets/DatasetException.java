package org.jqat.datasets;

import java.nio.file.Path;

/**
 * Bad or missing data: a truncated file, a wrong magic number, a label out of range, an
 * undecodable image, a failed download. Unchecked, because a training run cannot recover from
 * it; the message always names the file (and the record, where there is one) so the user can
 * find and replace the bad copy.
 */
public class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }

    /** An error in {@code file} as a whole (header, size). */
    public static DatasetException inFile(Path file, String problem) {
        return new DatasetException(file + ": " + problem);
    }

    /** An error in one record of {@code file}; records count from 0. */
    public static DatasetException inRecord(Path file, long record, String problem) {
        return new DatasetException(file + ": record " + record + ": " + problem);
    }
}
