package dev.thinet4j.examples;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.training.FineTuningHook;
import dev.thinet4j.training.OptimizerType;
import dev.thinet4j.training.TrainingConfig;

import java.nio.file.Path;
import java.util.Locale;

/**
 * ThiNet-GAP against plain ThiNet on the shipped VGG-BN: the {@code vgg} and {@code vgg-gap} policies at one
 * ratio with the {@code thinet} criterion and {@code full} reconstruction, top-1 on the shipped test images
 * after pruning (for {@code vgg-gap}: with the least-squares head) and after one epoch of fine-tuning on the
 * shipped training images (SGD, momentum 0.9, weight decay 5e-4, batch 64), with params and MACs, as a
 * Markdown table.
 *
 * <p>Arguments: {@code [ratio] [calibration images] [fine-tuning learning rate]}; defaults {@code 0.5 200 1e-3}.
 */
public final class GapComparison {
    private GapComparison() {
    }

    public static void main(String[] args) throws Exception {
        double ratio = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        double lr = args.length > 2 ? Double.parseDouble(args[2]) : 1e-3;
        Path data = Path.of("data/fashion-mnist");
        Path trainImages = data.resolve("train-images-idx3-ubyte.gz");
        Network net = OnnxImporter.load(Path.of("models/vgg_bn_fc.onnx"));
        ModelSize size = ModelSize.of(net);
        System.out.printf(Locale.ROOT, "ratio %.2f, thinet + full, %d calibration images; fine-tuning 1 epoch at lr %s%n",
                ratio, images, lr);
        System.out.println();
        System.out.println("| policy | top-1 pruned | top-1 + 1 epoch | params | MACs |");
        System.out.println("|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| unpruned | %.4f | | %d | %d |%n", VggThinetExample.accuracy(net, data),
                size.totalParams(), size.totalMacs());
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(images).pointsPerImage(10).seed(1).build();
        TrainingConfig epoch = TrainingConfig.builder().epochs(1).batchSize(64).optimizer(OptimizerType.SGD)
                .learningRate(lr).momentum(0.9).weightDecay(5e-4).seed(1).build();
        for (String policy : new String[]{"vgg", "vgg-gap"}) {
            PruningResult pruned;
            Network tuned;
            try (ImageSource calib = ImageSources.open(trainImages);
                 ImageSource train = ImageSources.withLabels(ImageSources.open(trainImages),
                         Labels.read(data.resolve("train-labels-idx1-ubyte.gz")))) {
                pruned = new ThiNetPruner(config).prune(net, Policies.parse(policy, ratio), calib);
                tuned = new FineTuningHook(train, null, epoch).atEnd(pruned.network());
            }
            ModelSize after = ModelSize.of(pruned.network());
            System.out.printf(Locale.ROOT, "| %s | %.4f | %.4f | %d | %d |%n", policy,
                    VggThinetExample.accuracy(pruned.network(), data), VggThinetExample.accuracy(tuned, data),
                    after.totalParams(), after.totalMacs());
        }
    }
}
