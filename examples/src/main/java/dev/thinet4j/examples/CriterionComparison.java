package dev.thinet4j.examples;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Compares selection criteria and reconstruction modes at one ratio, without fine-tuning, and
 * prints a Markdown table (top-1 accuracy on the shipped test images, MACs, params).
 *
 * <p>Arguments: {@code [model.onnx] [policy] [ratio] [calibration images]}; defaults
 * {@code models/vgg_bn_fc.onnx vgg 0.5 200}.
 */
public final class CriterionComparison {
    private CriterionComparison() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "models/vgg_bn_fc.onnx");
        String policyName = args.length > 1 ? args[1] : "vgg";
        double ratio = args.length > 2 ? Double.parseDouble(args[2]) : 0.5;
        int images = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        Path data = Path.of("data/fashion-mnist");
        Network net = OnnxImporter.load(model);
        ModelSize size = ModelSize.of(net);
        System.out.printf(Locale.ROOT, "%s, policy %s, ratio %.2f, %d calibration images, no fine-tuning%n%n", model,
                policyName, ratio, images);
        System.out.printf(Locale.ROOT, "unpruned: top-1 %.4f, params %d, MACs %d%n%n",
                VggThinetExample.accuracy(net, data), size.totalParams(), size.totalMacs());
        System.out.println("| criterion | none | scale | full | MACs | params |");
        System.out.println("|---|---|---|---|---|---|");
        Criterion[] criteria = {Criterion.THINET, Criterion.THINET_TPAMI, Criterion.L1, Criterion.RANDOM};
        for (Criterion c : criteria) {
            StringBuilder row = new StringBuilder("| " + c.cliName() + " |");
            ModelSize after = null;
            for (Reconstruction r : Reconstruction.values()) {
                PrunerConfig config = PrunerConfig.builder().criterion(c).reconstruction(r).images(images)
                        .pointsPerImage(10).seed(1).build();
                PruningPolicy policy = Policies.parse(policyName, ratio);
                PruningResult result;
                try (ImageSource calib = ImageSources.open(data.resolve("train-images-idx3-ubyte.gz"))) {
                    result = new ThiNetPruner(config).prune(net, policy, calib);
                }
                after = ModelSize.of(result.network());
                row.append(String.format(Locale.ROOT, " %.4f |", VggThinetExample.accuracy(result.network(), data)));
            }
            row.append(String.format(Locale.ROOT, " %d (%.1f%%) | %d |", after.totalMacs(),
                    100.0 * after.totalMacs() / size.totalMacs(), after.totalParams()));
            System.out.println(row);
        }
    }
}
