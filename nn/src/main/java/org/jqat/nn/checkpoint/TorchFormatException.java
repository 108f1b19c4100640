package org.jqat.nn.checkpoint;

/**
 * A PyTorch checkpoint could not be read: the message is one line that starts with the file,
 * then says what is wrong, e.g. {@code model.pt: refusing global 'posix.system' (weights-only
 * loading allows tensors, storages and plain containers only)}. It is the only exception
 * {@link TorchCheckpoint} lets escape for bad content, so readers of untrusted files can catch
 * exactly this type.
 */
public final class TorchFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Longest piece of file content quoted in a message; hostile files can carry huge strings. */
    private static final int MAX_QUOTED = 120;

    public TorchFormatException(String source, String problem) {
        super(source + ": " + problem);
    }

    public TorchFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }

    /** Quotes a name taken from the file, shortened if absurdly long and with control characters escaped. */
    static String quote(String s) {
        String shown = s.length() <= MAX_QUOTED ? s : s.substring(0, MAX_QUOTED) + "...(" + s.length() + " chars)";
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }
}
