package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;
import org.junit.jupiter.api.Test;

class ElementwiseTest {

    @Test
    void stridedGatherTakesEveryStrideThElement() {
        Random r = new Random(43);
        for (int stride = 1; stride <= 4; stride++) {
            for (int n : TAIL_SIZES) {
                int off = r.nextInt(5);
                float[] src = randn(r, off + n * stride + 3);
                float[] dst = new float[n + 2];
                ElementwiseKernels.gatherStrided(src, off, stride, dst, 1, n);
                for (int j = 0; j < n; j++) {
                    assertEquals(src[off + j * stride], dst[1 + j],
                            "stride " + stride + " n " + n + " j " + j);
                }
                assertEquals(0f, dst[0]);
                assertEquals(0f, dst[n + 1]);
            }
        }
    }

    @Test
    void deinterleaveSplitsEvenAndOddValues() {
        Random r = new Random(44);
        for (int n : TAIL_SIZES) {
            int off = r.nextInt(5);
            float[] src = randn(r, off + 2 * n + 3);
            float[] even = new float[n + 2], odd = new float[n + 3];
            ElementwiseKernels.deinterleave(src, off, n, even, 1, odd, 2);
            for (int j = 0; j < n; j++) {
                assertEquals(src[off + 2 * j], even[1 + j], "even, n " + n + " j " + j);
                assertEquals(src[off + 2 * j + 1], odd[2 + j], "odd, n " + n + " j " + j);
            }
            assertEquals(0f, even[0]);
            assertEquals(0f, even[n + 1]);
            assertEquals(0f, odd[1]);
            assertEquals(0f, odd[n + 2]);
        }
    }

    @Test
    void interleaveUndoesDeinterleave() {
        Random r = new Random(45);
        for (int n : TAIL_SIZES) {
            int off = r.nextInt(5);
            float[] even = randn(r, n + 1), odd = randn(r, n + 4);
            float[] dst = new float[off + 2 * n + 1];
            ElementwiseKernels.interleave(even, 1, odd, 4, n, dst, off);
            for (int j = 0; j < n; j++) {
                assertEquals(even[1 + j], dst[off + 2 * j], "even, n " + n + " j " + j);
                assertEquals(odd[4 + j], dst[off + 2 * j + 1], "odd, n " + n + " j " + j);
            }
            assertEquals(0f, dst[off + 2 * n]);
        }
    }

    @Test
    void copyRowCopiesExactlyTheRow() {
        Random r = new Random(46);
        for (int n : TAIL_SIZES) {
            int off = r.nextInt(5);
            float[] src = randn(r, off + n + 3);
            float[] dst = new float[n + 2];
            ElementwiseKernels.copyRow(src, off, dst, 1, n);
            for (int j = 0; j < n; j++) {
                assertEquals(src[off + j], dst[1 + j], "n " + n + " j " + j);
            }
            assertEquals(0f, dst[0]);
            assertEquals(0f, dst[n + 1]);
        }
    }

    @Test
    void unaryForwardAndBackwardBitExact() {
        Random r = new Random(41);
        for (int n : TAIL_SIZES) {
            float[] x = randn(r, n), gy = randn(r, n);
            for (int i = 0; i < n; i++) {
                x[i] = Math.abs(x[i]) + 0.01f; // log/sqrt domain for those ops; sign varied below
            }
            for (UnaryOp op : UnaryOp.values()) {
                float[] in = x.clone();
                if (op != UnaryOp.LOG && op != UnaryOp.SQRT) {
                    for (int i = 0; i < n; i += 2) {
                        in[i] = -in[i];
                    }
                }
                Storage ye = new HeapStorage(n), ya = new HeapStorage(n);
                REF.unary(op, storage(in), ye, n);
                CPU.unary(op, storage(in), ya, n);
                assertBitExact(data(ye), data(ya), op + " n=" + n);
                Storage ge = new HeapStorage(n), ga = new HeapStorage(n);
                REF.unaryBackward(op, storage(in), ye, storage(gy), ge, n);
                CPU.unaryBackward(op, storage(in), ye, storage(gy), ga, n);
                assertBitExact(data(ge), data(ga), op + " backward n=" + n);
            }
            Storage ce = new HeapStorage(n), ca = new HeapStorage(n);
            REF.clamp(storage(gy), ce, n, -0.5f, 0.7f);
            CPU.clamp(storage(gy), ca, n, -0.5f, 0.7f);
            assertBitExact(data(ce), data(ca), "clamp");
            REF.clampBackward(storage(gy), storage(x), ce, n, -0.5f, 0.7f);
            CPU.clampBackward(storage(gy), storage(x), ca, n, -0.5f, 0.7f);
            assertBitExact(data(ce), data(ca), "clampBackward");
            REF.affine(storage(gy), ce, n, 1.7f, -0.3f);
            CPU.affine(storage(gy), ca, n, 1.7f, -0.3f);
            assertBitExact(data(ce), data(ca), "affine");
        }
    }

    private static void binaryCase(Random r, BinaryOp op, int[] shape, int[] aStr, int aOff, int[] bStr, int bOff) {
        int total = 1, aSpan = aOff + 1, bSpan = bOff + 1;
        for (int d = 0; d < shape.length; d++) {
            total *= shape[d];
            aSpan += (shape[d] - 1) * aStr[d];
            bSpan += (shape[d] - 1) * bStr[d];
        }
        float[] a = randn(r, aSpan), b = randn(r, bSpan);
        Storage oe = new HeapStorage(total), oa = new HeapStorage(total);
        REF.binary(op, shape, storage(a), aOff, aStr, storage(b), bOff, bStr, oe);
        CPU.binary(op, shape, storage(a), aOff, aStr, storage(b), bOff, bStr, oa);
        assertBitExact(data(oe), data(oa), op + " " + java.util.Arrays.toString(shape));

        Storage ce = new HeapStorage(3 + total), ca = new HeapStorage(3 + total);
        int[] dst = StridedKernels.contiguousStrides(shape);
        REF.copy(shape, storage(a), aOff, aStr, ce, 3, dst);
        CPU.copy(shape, storage(a), aOff, aStr, ca, 3, dst);
        assertBitExact(data(ce), data(ca), "copy " + java.util.Arrays.toString(shape));
    }

    @Test
    void binaryBroadcastAndStridedCopies() {
        Random r = new Random(42);
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : new int[] {1, 17, 65, 40_000}) {
                binaryCase(r, op, new int[] {n}, new int[] {1}, 2, new int[] {1}, 1);       // same shape
                binaryCase(r, op, new int[] {n}, new int[] {1}, 0, new int[] {0}, 3);       // scalar b
                binaryCase(r, op, new int[] {n}, new int[] {0}, 1, new int[] {1}, 0);       // scalar a
            }
            binaryCase(r, op, new int[] {3, 5, 4, 7}, new int[] {140, 28, 7, 1}, 0, new int[] {0, 1, 0, 0}, 0); // channel broadcast
            binaryCase(r, op, new int[] {4, 1, 33}, new int[] {33, 33, 1}, 0, new int[] {1, 0, 0}, 0);
            binaryCase(r, op, new int[] {6, 9}, new int[] {1, 6}, 0, new int[] {9, 1}, 0);  // transposed a
            binaryCase(r, op, new int[] {2, 3, 4}, new int[] {24, 8, 2}, 1, new int[] {0, 4, 1}, 0); // step-2 view
        }
        // an option-A shortcut's view, x[:, :, ::2, ::2] of 80×80 maps: thousands of rows over several parts
        binaryCase(r, BinaryOp.ADD, new int[] {6, 16, 40, 40}, new int[] {16 * 6400, 6400, 160, 2}, 0, new int[] {0, 1, 0, 0}, 0);
        binaryCase(r, BinaryOp.MUL, new int[] {5, 7, 9, 11}, new int[] {7 * 33 * 33, 33 * 33, 99, 3}, 4, new int[] {0, 1, 0, 0}, 0);
        binaryCase(r, BinaryOp.ADD, new int[] {0, 3}, new int[] {3, 1}, 0, new int[] {3, 1}, 0);
    }
}
