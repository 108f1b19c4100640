package org.jqat.kernels.cuda;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUdeviceptr;

/**
 * A kernel's parameter list as its PTX declares it ({@code .entry name(.param .u64 p0, ...)}),
 * and the check that a Java launch passes matching arguments. The driver copies each argument
 * by the size the PTX gives: an int where a pointer is expected, a missing argument or two
 * swapped ones would make the kernel read garbage without any error, so every launch is checked.
 */
record PtxSignature(String kernel, List<Param> params) {

    /** What a parameter holds: a 32-bit int, a float, a double, a 64-bit value (pointer or long), or a by-value struct. */
    enum Kind {
        I32, F32, F64, B64, STRUCT
    }

    /** One {@code .param}: its kind and, for a struct, its size in bytes. */
    record Param(Kind kind, int bytes) {
        @Override
        public String toString() {
            return switch (kind) {
                case I32 -> "32-bit int";
                case F32 -> "float";
                case F64 -> "double";
                case B64 -> "64-bit pointer or long";
                case STRUCT -> bytes + "-byte struct";
            };
        }
    }

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile(
            "\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.([a-z]\\d+)\\s+[\\w$]+(?:\\s*\\[(\\d+)\\])?");

    /** Every {@code .entry} of a PTX module (NUL-terminated or not), by name, in file order. */
    static Map<String, PtxSignature> parseAll(byte[] ptx) {
        int len = ptx.length > 0 && ptx[ptx.length - 1] == 0 ? ptx.length - 1 : ptx.length;
        String text = new String(ptx, 0, len, StandardCharsets.US_ASCII);
        Map<String, PtxSignature> out = new LinkedHashMap<>();
        Matcher e = ENTRY.matcher(text);
        while (e.find()) {
            List<Param> params = new ArrayList<>();
            Matcher p = PARAM.matcher(e.group(2));
            while (p.find()) {
                params.add(param(e.group(1), p.group(1), p.group(2)));
            }
            out.put(e.group(1), new PtxSignature(e.group(1), List.copyOf(params)));
        }
        return out;
    }

    private static Param param(String kernel, String type, String arrayBytes) {
        if (arrayBytes != null) {
            if (!type.equals("b8")) {
                throw new IllegalStateException(kernel + ": unexpected PTX array parameter ." + type + "[" + arrayBytes + "]");
            }
            return new Param(Kind.STRUCT, Integer.parseInt(arrayBytes));
        }
        return switch (type) {
            case "u32", "s32", "b32" -> new Param(Kind.I32, 4);
            case "f32" -> new Param(Kind.F32, 4);
            case "f64" -> new Param(Kind.F64, 8);
            case "u64", "s64", "b64" -> new Param(Kind.B64, 8);
            default -> throw new IllegalStateException(kernel + ": unsupported PTX parameter type ." + type);
        };
    }

    /** The parameter a Java launch argument becomes (see {@link CudaRuntime#launch}). */
    static Param of(Object arg) {
        if (arg == null || arg instanceof CudaStorage || arg instanceof CudaBitMask || arg instanceof CUdeviceptr
                || arg instanceof Long) {
            return new Param(Kind.B64, 8);
        }
        if (arg instanceof Integer) {
            return new Param(Kind.I32, 4);
        }
        if (arg instanceof Float) {
            return new Param(Kind.F32, 4);
        }
        if (arg instanceof Double) {
            return new Param(Kind.F64, 8);
        }
        if (arg instanceof int[] a) {
            return new Param(Kind.STRUCT, 4 * a.length);
        }
        throw new IllegalArgumentException("unsupported kernel argument " + arg.getClass().getName());
    }

    /** Fails, naming the kernel and the first mismatch, unless {@code args} match the PTX parameters one for one. */
    void check(Object[] args) {
        if (args.length != params.size()) {
            throw new IllegalArgumentException("kernel " + kernel + " takes " + params.size() + " parameters "
                    + params + " but the launch passes " + args.length + " arguments");
        }
        for (int i = 0; i < args.length; i++) {
            Param want = params.get(i);
            Param got = of(args[i]);
            if (!want.equals(got)) {
                throw new IllegalArgumentException("kernel " + kernel + " parameter " + i + " is a " + want
                        + " but the launch passes a " + got + " (" + describe(args[i]) + ")");
            }
        }
    }

    private static String describe(Object a) {
        return a == null ? "null pointer" : a instanceof int[] v ? "int[" + v.length + "]" : a.getClass().getSimpleName() + " " + a;
    }
}
