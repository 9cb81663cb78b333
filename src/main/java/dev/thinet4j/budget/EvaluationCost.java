package dev.thinet4j.budget;

/**
 * What a sensitivity analysis cost, next to the naive way: one full pruning run (sampling the layer's group) and
 * one full forward pass over the held-out images per (layer, ratio) pair.
 *
 * @param layers              candidate layers L
 * @param ratios              ratios per layer R
 * @param samplingPasses      passes over the calibration images to sample group statistics (one per layer: L)
 * @param naiveSamplingPasses the same for the naive way (L·R)
 * @param evaluationMacs      MACs per held-out image spent evaluating: the unpruned network once, then per layer its
 *                            unchanged prefix once and the pruned suffix once per ratio
 * @param naiveEvaluationMacs the same for the naive way: the unpruned network once plus every pruned network in full
 */
public record EvaluationCost(int layers, int ratios, long samplingPasses, long naiveSamplingPasses,
                             long evaluationMacs, long naiveEvaluationMacs) {

    /** evaluationMacs / naiveEvaluationMacs (1 when nothing was evaluated). */
    public double evaluationFraction() {
        return naiveEvaluationMacs == 0 ? 1.0 : (double) evaluationMacs / naiveEvaluationMacs;
    }

    /** samplingPasses / naiveSamplingPasses (1 when nothing was sampled). */
    public double samplingFraction() {
        return naiveSamplingPasses == 0 ? 1.0 : (double) samplingPasses / naiveSamplingPasses;
    }

    /** A one-line summary, e.g. {@code sampling 6 passes (naive 54), evaluation 41.2% of the naive MACs}. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "sampling %d passes (naive %d), evaluation %.1f%% of the naive MACs",
                samplingPasses, naiveSamplingPasses, 100 * evaluationFraction());
    }
}
