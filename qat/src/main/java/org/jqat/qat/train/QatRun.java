package org.jqat.qat.train;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.qat.br.BlockReplacement;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;

/**
 * One QAT run from a trained full-precision model: convert, then train either plainly (cross
 * entropy on the LP model) or with block replacement. Quantizer parameters get their own
 * optimizer group with no weight decay. Training runs on {@link TrainConfig#device()}: the
 * converted model (and block replacement's frozen FP copy) are moved there.
 */
public final class QatRun {
    private QatRun() {
    }

    /** What a run produced: the trained LP model, the trainer's result and its per-epoch records. */
    public record Outcome(Module model, Trainer.Result result, List<java.util.Map<String, Object>> history) {
    }

    /**
     * @param br           block-replacement settings, or null for plain QAT
     * @param quantizerLr  learning rate of the quantizer parameters
     */
    public static Outcome run(Module fp, QatConfig qat, BrConfig br, DataLoader train, DataLoader test, TrainConfig cfg,
                              double quantizerLr) {
        Map<String, Object> settings = new java.util.LinkedHashMap<>();
        settings.put("method", qat.method().name().toLowerCase(java.util.Locale.ROOT));
        settings.put("wbits", qat.weightBits());
        settings.put("abits", qat.activationBits());
        settings.put("block_replacement", br == null ? "none" : br.toString());
        settings.put("quantizer_lr", quantizerLr);
        return run(fp, qat, br, train, test, cfg, quantizerLr, settings, Set.of());
    }

    /**
     * As above, with the settings the run directory stores and checks on resume (see
     * {@link Trainer#runSettings}) and those a resume may change.
     */
    public static Outcome run(Module fp, QatConfig qat, BrConfig br, DataLoader train, DataLoader test, TrainConfig cfg,
                              double quantizerLr, Map<String, ?> settings, Set<String> mayChange) {
        // The LP copy goes to the training device before the parameter groups are built; the
        // caller's FP model stays where it is (block replacement copies it onto the LP's device).
        Module lp = Qat.convert(fp, qat).to(cfg.device());
        Objective objective;
        if (br == null) {
            objective = new Supervised(lp, cfg.labelSmoothing());
        } else {
            BlockReplacement wrapped = BlockReplacement.wrap(lp, fp, br);
            Trainer.LOG.log(System.Logger.Level.INFO, wrapped.describe());
            objective = wrapped;
        }
        List<ParamGroup> groups = Qat.paramGroups(lp, cfg.lr(), cfg.weightDecay(), quantizerLr);
        Trainer trainer = new Trainer(objective, train, test, cfg, groups).runSettings(settings, mayChange);
        Trainer.Result r = trainer.fit();
        return new Outcome(lp, r, trainer.history());
    }
}
