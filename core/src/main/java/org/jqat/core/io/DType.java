package org.jqat.core.io;

/**
 * The safetensors element types this package reads and writes, with their size in bytes and
 * the exact name used in the {@code "dtype"} field of a header.
 */
public enum DType {
    /** IEEE 754 single precision. */
    F32("F32", 4, Kind.FLOAT),
    /** IEEE 754 half precision. */
    F16("F16", 2, Kind.FLOAT),
    /** bfloat16: the upper 16 bits of a float32. */
    BF16("BF16", 2, Kind.FLOAT),
    /** IEEE 754 double precision. */
    F64("F64", 8, Kind.FLOAT),
    /** Signed 64-bit integer (PyTorch's int64/long, used for labels). */
    I64("I64", 8, Kind.INTEGER),
    /** Signed 32-bit integer. */
    I32("I32", 4, Kind.INTEGER),
    /** Signed 8-bit integer. */
    I8("I8", 1, Kind.INTEGER),
    /** Unsigned 8-bit integer. */
    U8("U8", 1, Kind.INTEGER),
    /** Boolean stored as one byte, 0 or 1. */
    BOOL("BOOL", 1, Kind.BOOL);

    private enum Kind { FLOAT, INTEGER, BOOL }

    private final String safetensorsName;
    private final int byteSize;
    private final Kind kind;

    DType(String safetensorsName, int byteSize, Kind kind) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.kind = kind;
    }

    /** The name in a safetensors header, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32, F16, BF16 and F64. */
    public boolean isFloatingPoint() {
        return kind == Kind.FLOAT;
    }

    /** True for the integer types and BOOL, whose values convert exactly to {@code long}. */
    public boolean isIntegral() {
        return kind != Kind.FLOAT;
    }

    /**
     * The dtype with this safetensors name (case-sensitive, as in the format), or {@code null}
     * if it is unknown or not supported here (e.g. {@code "F8_E4M3"}, {@code "U16"}).
     */
    public static DType fromSafetensorsName(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            case "F64" -> F64;
            case "I64" -> I64;
            case "I32" -> I32;
            case "I8" -> I8;
            case "U8" -> U8;
            case "BOOL" -> BOOL;
            default -> null;
        };
    }
}
