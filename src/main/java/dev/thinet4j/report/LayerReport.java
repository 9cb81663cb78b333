package dev.thinet4j.report;

import java.util.Arrays;

/**
 * What pruning one layer did.
 *
 * @param layer            the conv whose output channels were cut
 * @param group            the coupled chain, e.g. {@code conv1 => bn1 => conv2}
 * @param channelsBefore   output channels before
 * @param channelsAfter    output channels after
 * @param paramsBefore     network parameters before this step
 * @param paramsAfter      network parameters after this step
 * @param macsBefore       network MACs before this step (one image)
 * @param macsAfter        network MACs after this step
 * @param samples          sampled rows used for selection
 * @param residualBefore   normalised reconstruction residual ‖y − Xw‖/‖y‖ of the consumers after removing
 *                         the channels with the original weights (NaN when not measured)
 * @param residualAfter    the same after reconstruction (equal to before with {@code none})
 * @param kept             kept channel indices (ascending, in the layer's channel numbering before this step)
 * @param seconds          wall time of the step
 */
public record LayerReport(String layer, String group, int channelsBefore, int channelsAfter, long paramsBefore,
                          long paramsAfter, long macsBefore, long macsAfter, long samples, double residualBefore,
                          double residualAfter, int[] kept, double seconds) {
    public LayerReport {
        kept = kept.clone();
    }

    @Override
    public int[] kept() {
        return kept.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerReport r && layer.equals(r.layer) && group.equals(r.group)
                && channelsBefore == r.channelsBefore && channelsAfter == r.channelsAfter
                && paramsBefore == r.paramsBefore && paramsAfter == r.paramsAfter && macsBefore == r.macsBefore
                && macsAfter == r.macsAfter && samples == r.samples
                && Double.compare(residualBefore, r.residualBefore) == 0
                && Double.compare(residualAfter, r.residualAfter) == 0 && Arrays.equals(kept, r.kept);
    }

    @Override
    public int hashCode() {
        return layer.hashCode() * 31 + Arrays.hashCode(kept);
    }
}
