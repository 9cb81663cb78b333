package dev.thinet4j.head;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of {@link HeadReplacement#toGapHead}.
 *
 * @param network  the network with the GAP head
 * @param head     the head that was replaced
 * @param gapNode  the name of the new GlobalAveragePool node
 * @param init     how the new linear layer was initialised
 * @param images   calibration images the least-squares fit read (0 for the other inits)
 * @param ridge    the absolute ridge λ the fit added to the normal equations' diagonal (NaN without a fit)
 * @param residual ‖Z − G·Wᵀ − 1bᵀ‖<sub>F</sub> / ‖Z‖<sub>F</sub> over the calibration images, Z the original
 *                 logits and G the GAP features (NaN without a fit)
 */
public record GapHeadResult(dev.thinet4j.model.Network network, ClassifierHead head, String gapNode, HeadInit init,
                            int images, double ridge, double residual) {

    /**
     * The replacement as ordered key/value pairs for a report's provenance.
     *
     * @return {@code head} (what was replaced by what), {@code head_init}, and for a least-squares fit
     *         {@code head_images}, {@code head_ridge} and {@code head_residual}
     */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("head", "gap: " + String.join(",", head.nodes()) + " -> " + gapNode + "," + flattenName() + ","
                + head.logits() + " (Linear " + head.channels() + "->" + head.classes() + ")");
        m.put("head_init", init.cliName());
        if (init == HeadInit.LEAST_SQUARES) {
            m.put("head_images", Integer.toString(images));
            m.put("head_ridge", String.format(Locale.ROOT, "%.6g", ridge));
            m.put("head_residual", String.format(Locale.ROOT, "%.6g", residual));
        }
        return m;
    }

    private String flattenName() {
        return network.nodes().get(network.indexOf(gapNode) + 1).name();
    }
}
