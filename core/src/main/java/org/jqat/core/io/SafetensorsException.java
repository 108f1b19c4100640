package org.jqat.core.io;

/**
 * A safetensors file could not be read or written. The message always starts with the file
 * (or other source), then the tensor when one is involved, then the problem, e.g.
 * {@code model.safetensors: tensor 'fc.weight': data offsets [0, 400) do not match shape
 * [10, 64] of F32 (2560 bytes)}.
 *
 * <p>Unchecked because a corrupt model file is rarely something a caller can recover from
 * locally; readers of untrusted files can still catch exactly this type, as it is the only one
 * that {@link SafetensorsFile} lets escape for bad content.
 */
public final class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Longest tensor name quoted in a message; hostile files can carry megabyte-long names. */
    private static final int MAX_NAME_IN_MESSAGE = 120;

    private final String source;
    private final String tensor;
    private final String problem;

    /**
     * @param source  the file (or other source) being read or written
     * @param tensor  the tensor involved, or {@code null} if the problem is not about one tensor
     * @param problem what is wrong
     */
    public SafetensorsException(String source, String tensor, String problem) {
        this(source, tensor, problem, null);
    }

    /** As {@link #SafetensorsException(String, String, String)}, with the underlying cause. */
    public SafetensorsException(String source, String tensor, String problem, Throwable cause) {
        super(format(source, tensor, problem), cause);
        this.source = source;
        this.tensor = tensor;
        this.problem = problem;
    }

    /** The file or other source the problem was found in. */
    public String source() {
        return source;
    }

    /** The tensor involved, or {@code null}. */
    public String tensor() {
        return tensor;
    }

    /** The problem alone, without file and tensor. */
    public String problem() {
        return problem;
    }

    private static String format(String source, String tensor, String problem) {
        StringBuilder sb = new StringBuilder().append(source).append(": ");
        if (tensor != null) {
            sb.append("tensor ").append(quote(tensor)).append(": ");
        }
        return sb.append(problem).toString();
    }

    /** Quotes a name for a message, shortened if absurdly long. */
    static String quote(String name) {
        String shown = name.length() <= MAX_NAME_IN_MESSAGE ? name
                : name.substring(0, MAX_NAME_IN_MESSAGE) + "...(" + name.length() + " chars)";
        return "'" + shown + "'";
    }
}
