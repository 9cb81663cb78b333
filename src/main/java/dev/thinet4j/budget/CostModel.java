package dev.thinet4j.budget;

/**
 * The resource use (MACs or parameters) of a pruning configuration: {@code keep[i]} output channels kept in
 * candidate layer i. Used by {@link BudgetSolver}.
 */
@FunctionalInterface
public interface CostModel {
    /**
     * @param keep channels kept per candidate layer, in the solver's layer order. Not modified.
     * @return MACs (one image) or parameters of the pruned network
     */
    long cost(int[] keep);

    /**
     * An additive model from a sensitivity table: cost = total − Σ<sub>i</sub> u<sub>i</sub>·(C<sub>i</sub> − keep<sub>i</sub>), where
     * u<sub>i</sub> = saved/removed of layer i's row with the most channels removed. Exact for one layer pruned alone;
     * for two layers where one reads the other's channels it counts the channels removed on both sides twice, so
     * it under-estimates the cost (use {@link ChannelCostModel} when the network is at hand).
     *
     * @param layers the layers in the solver's order
     * @throws IllegalArgumentException when a layer has no row that removes a channel
     */
    static CostModel additive(SensitivityTable table, BudgetTarget.Resource resource, java.util.List<String> layers) {
        int n = layers.size();
        double[] unit = new double[n];
        int[] channels = new int[n];
        for (int i = 0; i < n; i++) {
            SensitivityRow best = null;
            for (SensitivityRow r : table.rows(layers.get(i))) {
                if (r.removed() > 0 && (best == null || r.removed() > best.removed())) {
                    best = r;
                }
            }
            if (best == null) {
                throw new IllegalArgumentException("sensitivity table has no row removing a channel of '"
                        + layers.get(i) + "'");
            }
            channels[i] = best.channels();
            long saved = resource == BudgetTarget.Resource.MACS ? best.macsSaved() : best.paramsSaved();
            unit[i] = (double) saved / best.removed();
        }
        long total = resource == BudgetTarget.Resource.MACS ? table.totalMacs() : table.totalParams();
        return keep -> {
            double c = total;
            for (int i = 0; i < n; i++) {
                c -= unit[i] * (channels[i] - keep[i]);
            }
            return Math.round(c);
        };
    }
}
