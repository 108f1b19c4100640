package org.jqat.kernels.cuda;

import java.util.List;
import java.util.Map;

/**
 * Every kernel the Java side launches, by PTX module (a file {@code ptx/<module>.ptx} built from
 * {@code src/main/cuda/<module>.cu}). {@code PtxResourcesTest} checks each name against the
 * {@code .entry} directives of the committed PTX.
 */
final class Kernels {
    static final String ELEMENTWISE = "elementwise";
    static final String REDUCE = "reduce";
    static final String FAKEQUANT = "fakequant";
    static final String BATCHNORM = "batchnorm";
    static final String POOL = "pool";
    static final String CONV = "conv";
    static final String GEMM = "gemm";

    /** GEMM tile variants: {@code jq_sgemm_<tile>_<nn|nt|tn|tt>}. */
    static final List<String> GEMM_TILES = List.of("128x128", "32x128", "128x32");

    static final Map<String, List<String>> ALL = Map.of(
            ELEMENTWISE, List.of("jq_fill", "jq_unary", "jq_unary_backward", "jq_clamp", "jq_clamp_backward",
                    "jq_affine", "jq_copy_nd", "jq_binary_nd", "jq_binary_flat"),
            REDUCE, List.of("jq_reduce_strided", "jq_reduce_rows", "jq_argmax", "jq_channel_sum", "jq_softmax",
                    "jq_softmax_backward", "jq_pick_rows", "jq_scatter_rows", "jq_gather", "jq_gather_backward_det",
                    "jq_gather_backward_atomic"),
            FAKEQUANT, List.of("jq_fq_forward", "jq_fq_backward_partial", "jq_fq_backward_finish"),
            BATCHNORM, List.of("jq_bn_stats_partial", "jq_bn_stats_finish", "jq_bn_eval_coef", "jq_bn_apply",
                    "jq_bn_backward_partial", "jq_bn_backward_finish", "jq_bn_backward_dx"),
            POOL, List.of("jq_maxpool_forward", "jq_maxpool_backward", "jq_avgpool_forward", "jq_avgpool_backward"),
            CONV, List.of("jq_im2col", "jq_col2im", "jq_conv_cnp_to_nchw", "jq_conv_nchw_to_cnp"),
            GEMM, gemmNames());

    static String gemm(String tile, boolean transA, boolean transB) {
        return "jq_sgemm_" + tile + "_" + (transA ? "t" : "n") + (transB ? "t" : "n");
    }

    private static List<String> gemmNames() {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (String t : GEMM_TILES) {
            for (int c = 0; c < 4; c++) {
                out.add(gemm(t, (c & 2) != 0, (c & 1) != 0));
            }
        }
        return List.copyOf(out);
    }

    private Kernels() {
    }
}
