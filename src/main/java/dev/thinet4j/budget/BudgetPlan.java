package dev.thinet4j.budget;

import dev.thinet4j.model.Network;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.surgery.DependencyGraph;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-layer pruning ratios chosen to meet a {@link BudgetTarget}; a {@link PruningPolicy} that
 * {@link dev.thinet4j.pruner.ThiNetPruner} runs as is.
 *
 * @param target          the budget
 * @param choices         one entry per candidate layer, in candidate order (layers left whole included)
 * @param baselineCost    MACs or parameters of the unpruned network
 * @param cost            MACs or parameters of the chosen configuration (exact when the solver had the network)
 * @param predictedDamage Σ of the layers' predicted damage (from the sensitivity table, layers assumed independent;
 *                        by default squared relative logit errors, see {@link Damage})
 * @param withinTolerance whether keep·(1 − tolerance) ≤ cost/baselineCost ≤ keep
 */
public record BudgetPlan(BudgetTarget target, List<Choice> choices, long baselineCost, long cost,
                         double predictedDamage, boolean withinTolerance) implements PruningPolicy {

    /**
     * The choice for one layer.
     *
     * @param layer           the conv
     * @param channels        its channels before pruning
     * @param keep            channels kept
     * @param predictedDamage damage predicted from the sensitivity table for removing channels − keep
     */
    public record Choice(String layer, int channels, int keep, double predictedDamage) {
        public Choice {
            if (keep < 1 || keep > channels) {
                throw new IllegalArgumentException("layer '" + layer + "': cannot keep " + keep + " of " + channels
                        + " channels");
            }
        }

        /** The pruning ratio (C − keep)/C, which {@link dev.thinet4j.selection.Selection#numToRemove} maps back to C − keep. */
        public double ratio() {
            return (double) (channels - keep) / channels;
        }
    }

    public BudgetPlan {
        choices = List.copyOf(choices);
    }

    /** cost / baselineCost. */
    public double keptFraction() {
        return baselineCost == 0 ? 1.0 : (double) cost / baselineCost;
    }

    /** Ratios of the layers that lose channels, in candidate order. */
    public Map<String, Double> ratios() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Choice c : choices) {
            if (c.keep() < c.channels()) {
                m.put(c.layer(), c.ratio());
            }
        }
        return m;
    }

    /**
     * The layers that lose channels, at their ratios.
     *
     * @throws IllegalArgumentException when {@code net} lacks a layer or its channel count differs from the plan's
     */
    @Override
    public List<LayerPlan> plan(Network net) {
        DependencyGraph g = new DependencyGraph(net);
        List<LayerPlan> out = new ArrayList<>();
        for (Choice c : choices) {
            if (c.keep() == c.channels()) {
                continue;
            }
            int have = g.groupOf(c.layer()).channels();
            if (have != c.channels()) {
                throw new IllegalArgumentException("budget plan expects " + c.channels() + " channels in layer '"
                        + c.layer() + "' but '" + net.name() + "' has " + have + "; plan for this network");
            }
            out.add(new LayerPlan(c.layer(), c.ratio()));
        }
        return out;
    }

    @Override
    public String name() {
        return "budget:" + target.describe();
    }

    /** Writes the ratios as a policy file ({@code layer,ratio}) that {@code --policy csv:FILE} reads back. */
    public void writeCsv(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            writeCsv(w);
        }
    }

    /** Writes the policy CSV to {@code out} (not closed). */
    public void writeCsv(Writer out) throws IOException {
        CSVPrinter p = new CSVPrinter(out, CSVFormat.DEFAULT.builder().setHeader("layer", "ratio").build());
        for (Map.Entry<String, Double> e : ratios().entrySet()) {
            p.printRecord(e.getKey(), e.getValue());
        }
        p.flush();
    }

    /** A human summary: one line per layer and the totals. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-40s %9s %7s %10s%n", "layer", "channels", "ratio", "damage"));
        for (Choice c : choices) {
            sb.append(String.format(Locale.ROOT, "%-40s %4d→%-4d %7.4f %10.4g%n", c.layer(), c.channels(), c.keep(),
                    c.ratio(), c.predictedDamage()));
        }
        sb.append(String.format(Locale.ROOT, "%s kept %.4f of %d (target %s, %s), predicted damage %.4g%n",
                target.resource().id(), keptFraction(), baselineCost, target.describe(),
                withinTolerance ? "within tolerance" : "outside tolerance", predictedDamage));
        return sb.toString();
    }
}
